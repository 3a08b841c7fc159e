/**
 * Start/stop: idempotent, and a process that stopped all its nodes exits by itself.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { NoRegistryReachableError, NotStartedError, StartError } from '../../src/index.js'
import { TestNetwork, waitForEvent } from '../helpers/network.js'

const fixture = fileURLToPath(new URL('../fixtures/stop-all.ts', import.meta.url))

async function runChild (file: string, timeout: number): Promise<{ code: number | null, stdout: string, stderr: string, ms: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => { stdout += chunk })
  child.stderr.on('data', chunk => { stderr += chunk })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, timeout)
  const code = await new Promise<number | null>(resolve => child.on('exit', resolve))
  clearTimeout(timer)
  return { code, stdout, stderr, ms: Date.now() - started }
}

describe('lifecycle', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('a process that stopped all its nodes exits by itself (open, closed and private networks)', async () => {
    // Killed after 20 s: a leaked socket or timer would keep it alive until then.
    const result = await runChild(fixture, 20_000)
    assert.equal(result.code, 0, `exit ${result.code} after ${result.ms} ms; stderr: ${result.stderr}`)
    const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')
    assert.equal(report.found, 1)
    assert.equal(report.foundClosed, 1)
  })

  it('start() and stop() are idempotent, concurrent calls included; peerId stays readable after stop()', async () => {
    const node = net.node()
    assert.throws(() => node.peerId, NotStartedError)
    await Promise.all([node.start(), node.start()])
    assert.equal(node.isRunning(), true)
    const peerId = node.peerId
    assert.ok(node.getMultiaddrs().every(a => a.endsWith(`/p2p/${peerId}`)))
    await Promise.all([node.stop(), node.stop()])
    await node.stop()
    assert.equal(node.isRunning(), false)
    assert.deepEqual(node.getMultiaddrs(), [])
    // Code that logs which node stopped reads its id after stop().
    assert.equal(node.peerId, peerId)
    await assert.rejects(node.discoverServiceNode('DatabaseService'), NotStartedError)
  })

  it('fails to start with a typed error when the listen address is taken', async () => {
    const first = net.node()
    await first.start()
    const taken = first.getMultiaddrs()[0].split('/p2p/')[0]
    const second = net.node({ listen: [taken] })
    await assert.rejects(second.start(), StartError)
    assert.equal(second.isRunning(), false)
  })

  it('stop() before start() leaves nothing behind', async () => {
    const node = net.node()
    await node.stop()
    await assert.rejects(node.start(), NotStartedError)
    assert.throws(() => node.peerId, NotStartedError)
  })

  it('adds and removes registry nodes on a running node', async () => {
    const { addrs } = await net.registries(1)
    const service = await net.service('DatabaseService', addrs)
    const client = net.node()
    await client.start()
    client.addRegistryNode(addrs[0])
    assert.ok(client.registryNodes.has(addrs[0]))
    assert.deepEqual((await client.discoverServiceNode('DatabaseService')).map(f => f.peerId), [service.peerId])
    client.removeRegistryNode(addrs[0])
    assert.equal(client.registryNodes.size, 0)
    // Dropped for good, although the peer store still remembers it as a registry.
    await assert.rejects(client.discoverServiceNode('DatabaseService'), NoRegistryReachableError)
    client.addRegistryNode(addrs[0])
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
  })

  it('emits typed events for the registration lifecycle', async () => {
    const { nodes, addrs } = await net.registries(1)
    const stored: string[] = []
    nodes[0].addEventListener('record:stored', evt => { stored.push(evt.detail.peerId) })
    const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: addrs })
    const registered: number[] = []
    service.addEventListener('registered', evt => { registered.push(evt.detail.accepted) })
    await service.registerWithNetwork()
    assert.deepEqual(registered, [1])
    assert.deepEqual(stored, [service.peerId])
  })

  it('a registry restarted with the same identity and address is repopulated by republishing', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const dataDir = await mkdtemp(join(tmpdir(), 'netget-registry-'))
    try {
      const first = net.node({ nodeType: 'registry', dataDir })
      await first.start()
      const address = first.getMultiaddrs()[0]
      const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: [address], recordTtl: 3000 })
      await service.registerWithNetwork()
      await first.stop()
      const listen = [address.split('/p2p/')[0]]
      const second = net.node({ nodeType: 'registry', dataDir, listen })
      await second.start()
      assert.equal(second.getMultiaddrs()[0], address)
      // The service republishes at a third of its lease and finds the registry again at the same address.
      await waitForEvent(second, 'record:stored', 5000, (d: { peerId: string }) => d.peerId === service.peerId)
      const client = net.node({ registryNodes: [address] })
      assert.deepEqual((await client.discoverServiceNode('DatabaseService')).map(f => f.peerId), [service.peerId])
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })

  it('republishes the lease before it ends', async () => {
    const { addrs } = await net.registries(1)
    const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: addrs, recordTtl: 3000 })
    const first = await service.registerWithNetwork()
    const renewed = await new Promise<import('../../src/index.js').RegistrationResult>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no republish within 3 s')) }, 3000)
      service.addEventListener('republished', evt => { clearTimeout(timer); resolve(evt.detail) }, { once: true })
    })
    assert.ok(renewed.instance.sequence > first.instance.sequence)
    assert.ok(renewed.instance.expiresAt > first.instance.expiresAt)
    const client = net.node({ registryNodes: addrs })
    const [found] = await client.discoverServiceNode('DatabaseService')
    assert.equal(found.sequence, renewed.instance.sequence)
  })
})
