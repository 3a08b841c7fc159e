/**
 * Health against instances in processes of their own: a SIGKILLed one leaves discovery within the documented
 * bound, and one whose event loop stalls (longer than the probe deadline, shorter than the tolerated stall) is
 * suspected but never removed.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, afterEach, describe, it } from 'node:test'
import { silentDetectionBound, toleratedStall } from '../../src/health/timing.js'
import { TestNetwork, eventually } from '../helpers/network.js'
import type { ChildProcess } from 'node:child_process'

const fixture = fileURLToPath(new URL('../fixtures/service-process.ts', import.meta.url))
const HEALTH = { healthInterval: 500, healthTimeout: 300, unhealthyThreshold: 2 }

describe('health of instances in other processes', () => {
  const net = new TestNetwork()
  const children: ChildProcess[] = []
  afterEach(() => { for (const child of children.splice(0)) child.kill('SIGKILL') })
  after(async () => { await net.stopAll() })

  /** Starts a service process; resolves with its peer id once it registered. */
  async function serviceProcess (registry: string, name: string, stall?: { ms: number, every: number }): Promise<{ child: ChildProcess, peerId: string }> {
    const args = ['--import', 'tsx', fixture, registry, name, ...(stall !== undefined ? [String(stall.ms), String(stall.every)] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let out = ''
    let err = ''
    child.stderr.on('data', chunk => { err += chunk })
    const peerId = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`the service process did not register within 15 s: ${err}`)) }, 15_000)
      child.stdout.on('data', chunk => {
        out += chunk
        const line = out.split('\n').find(l => l.startsWith('{'))
        if (line === undefined) return
        clearTimeout(timer)
        resolve((JSON.parse(line) as { peerId: string }).peerId)
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`the service process exited (${code}): ${err}`)) })
    })
    return { child, peerId }
  }

  it('a SIGKILLed instance leaves discovery within the detection bound', async t => {
    const { nodes: [registry], addrs } = await net.registries(1, 'development', HEALTH)
    const { child, peerId } = await serviceProcess(addrs[0], 'Killed')
    const client = net.node({ registryNodes: addrs })
    await eventually(async () => registry.listRecords('Killed').find(r => r.peerId === peerId)?.health.status === 'passing' ? true : undefined, 5000, 10)
    assert.deepEqual((await client.discoverServiceNode('Killed')).map(i => i.peerId), [peerId])
    const bound = silentDetectionBound(HEALTH)
    const killedAt = performance.now()
    child.kill('SIGKILL')
    await eventually(async () => (await client.discoverServiceNode('Killed')).length === 0 ? true : undefined, bound + 2000, 20)
    const elapsed = performance.now() - killedAt
    t.diagnostic(`SIGKILL → gone from discovery in ${Math.round(elapsed)} ms (bound ${bound} ms)`)
    assert.ok(elapsed <= bound, `gone after ${Math.round(elapsed)} ms, bound ${bound} ms`)
  })

  it('an instance whose event loop stalls past the probe deadline is suspected, never removed', async () => {
    const { nodes: [registry], addrs } = await net.registries(1, 'development', HEALTH)
    // Stalls long enough that a probe and the suspect's early retry both miss (when the first lands in the stall's
    // first 200 ms), short enough that the confirmation's longer deadline sees the end.
    const stall = 1300
    assert.ok(stall > HEALTH.healthTimeout + 500 + HEALTH.healthTimeout && stall < toleratedStall(HEALTH))
    const { peerId } = await serviceProcess(addrs[0], 'Stalling', { ms: stall, every: 2500 })
    const downs: string[] = []
    registry.addEventListener('instance:down', evt => { downs.push((evt as CustomEvent<{ peerId: string }>).detail.peerId) })
    // Count suspicion episodes (passing → suspect) until two were seen and each was cleared again.
    let episodes = 0
    let last = 'unknown'
    await eventually(async () => {
      const status = registry.listRecords('Stalling').find(r => r.peerId === peerId)?.health.status ?? 'gone'
      if (status === 'suspect' && last !== 'suspect') episodes++
      last = status
      return episodes >= 2 && status === 'passing' ? true : undefined
    }, 20_000, 10)
    assert.deepEqual(downs, [], 'a stalling instance was removed')
  })
})
