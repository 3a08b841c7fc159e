/**
 * Hedged discovery against registries in processes of their own: a client asks the closest registry alone, and
 * when that one stalls (SIGSTOP: a process that is alive but does not answer, as in a long pause), the next
 * closest is asked after the client's recent p95 answer time, not after the 500 ms fixed hedge nor the
 * request's deadline.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { LOOKUP_HEDGE_MS } from '../../src/constants.js'
import { compareDistance, peerPosition, servicePosition } from '../../src/routing/position.js'
import { TestNetwork } from '../helpers/network.js'
import type { ChildProcess } from 'node:child_process'

const fixture = fileURLToPath(new URL('../fixtures/registry-process.ts', import.meta.url))

describe('hedged discovery with registries in other processes', () => {
  const net = new TestNetwork()
  const children: ChildProcess[] = []
  after(async () => {
    for (const child of children) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
    await net.stopAll()
  })

  async function registryProcess (join: string[]): Promise<{ child: ChildProcess, address: string }> {
    // Not settling: a registry that just joined is confirmed by a second one, which is tested elsewhere.
    const args = ['--import', 'tsx', fixture, join.join(','), JSON.stringify({ settlingTime: 0 })]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let out = ''
    let err = ''
    child.stderr.on('data', chunk => { err += chunk })
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`the registry did not listen within 15 s: ${err}`)) }, 15_000)
      child.stdout.on('data', chunk => {
        out += chunk
        const match = /^listening (\S+)$/m.exec(out)
        if (match === null) return
        clearTimeout(timer)
        resolve(match[1])
      })
      child.on('exit', code => { clearTimeout(timer); reject(new Error(`the registry exited (${code}): ${err}`)) })
    })
    return { child, address }
  }

  it('a stalled closest registry costs a discovery its hedge, and the next one answers in full', async () => {
    const first = await registryProcess([])
    const second = await registryProcess([first.address])
    const registries = [first, second]
    const addrs = registries.map(r => r.address)
    for (let i = 0; i < 3; i++) await net.service('Hedged', addrs)
    // A deadline shorter than the fixed hedge: only a hedge after the recent p95 can answer in time.
    const client = net.node({ registryNodes: addrs, discoverTimeout: LOOKUP_HEDGE_MS - 100 })
    for (let i = 0; i < 40; i++) assert.equal((await client.discoverServiceNode('Hedged')).length, 3)
    // One registry per warm discovery (the default queryFanout 2 would make it 2.0); a hedge now and then adds one.
    const sent = client.getStats().requests
    for (let i = 0; i < 20; i++) await client.discoverServiceNode('Hedged')
    const perDiscovery = (client.getStats().requests - sent) / 20
    assert.ok(perDiscovery < 1.5, `${perDiscovery} requests per warm discovery`)
    const before = client.getStats()

    const target = servicePosition('development', 'Hedged')
    const id = (address: string): string => address.split('/p2p/')[1]
    const [closest] = [...registries].sort((a, b) => compareDistance(target, peerPosition(id(a.address)), peerPosition(id(b.address))))
    closest.child.kill('SIGSTOP')
    try {
      const found = await client.discoverServiceNode('Hedged')
      assert.equal(found.length, 3, 'every instance, from the next registry')
      assert.ok(client.getStats().hedges > before.hedges, 'the next registry was asked as a hedge')
    } finally {
      closest.child.kill('SIGCONT')
    }
    assert.equal((await client.discoverServiceNode('Hedged')).length, 3, 'and after it resumes')
  })
})
