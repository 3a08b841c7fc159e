/**
 * The idle-connection policy (src/node/connection-policy.ts; docs/architecture.md "Connections"), in process with
 * fake connections and a fake peer store: idle connections close after idleTimeout unless kept by a claim, or
 * tagged keep-alive (libp2p would redial them at once).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { ConnectionPolicy } from '../src/node/connection-policy.js'
import type { ConnectionPolicyComponents } from '../src/node/connection-policy.js'
import type { Connection, PeerId } from '@libp2p/interface'

const IDLE = 60_000
const SWEEP = IDLE / 4
const T0 = 1_700_000_000_000

interface FakeConnection { id: string, peer: string, closed: boolean, streams: unknown[] }

function harness (keepAlive: Set<string>): { policy: ConnectionPolicy, connections: FakeConnection[], reads: string[], open: (id: string, peer: string) => FakeConnection } {
  const connections: FakeConnection[] = []
  const reads: string[] = []
  const asConnection = (c: FakeConnection): Connection => ({
    id: c.id,
    get status () { return c.closed ? 'closed' : 'open' },
    get streams () { return c.streams },
    timeline: { open: T0 - IDLE, upgraded: T0 - IDLE },
    remotePeer: { toString: () => c.peer } as unknown as PeerId,
    close: async () => { c.closed = true },
    abort: () => { c.closed = true }
  }) as unknown as Connection
  const components: ConnectionPolicyComponents = {
    connectionManager: { getConnections: () => connections.filter(c => !c.closed).map(asConnection) },
    peerStore: {
      get: async (peer: PeerId) => {
        reads.push(peer.toString())
        return { tags: new Map(keepAlive.has(peer.toString()) ? [['keep-alive-kad-dht', { value: 1 }]] : [['kad-close', { value: 50 }]]) }
      }
    } as unknown as ConnectionPolicyComponents['peerStore'],
    logger: defaultLogger()
  }
  const policy = new ConnectionPolicy(components, { idleTimeout: IDLE })
  const open = (id: string, peer: string): FakeConnection => {
    const c = { id, peer, closed: false, streams: [] }
    connections.push(c)
    return c
  }
  return { policy, connections, reads, open }
}

/** Sweeps as the timer would, every idleTimeout / 4, from T0 for `count` sweeps. */
async function sweeps (policy: ConnectionPolicy, from: number, count: number): Promise<number> {
  let now = from
  for (let i = 0; i < count; i++) {
    await policy.sweep(now)
    now += SWEEP
  }
  return now
}

describe('connection policy', () => {
  it('closes an idle connection to a non-registry after idleTimeout, and keeps one with a stream open', async () => {
    const { policy, open } = harness(new Set())
    const idle = open('c1', 'service-1')
    const busy = open('c2', 'service-2')
    busy.streams.push({})
    // First seen idle at T0, counted idle since the sweep before (T0 - SWEEP): closed once IDLE has passed since.
    await sweeps(policy, T0, 3)
    assert.equal(idle.closed, false, 'not before idleTimeout')
    await policy.sweep(T0 + 3 * SWEEP)
    assert.equal(idle.closed, true)
    assert.equal(busy.closed, false)
    assert.equal(policy.closed, 1)
  })

  it('keeps an idle connection libp2p would redial (its peer tagged keep-alive), and reads the tags again each time', async () => {
    const tagged = new Set(['registry-1'])
    const { policy, reads, open } = harness(tagged)
    const kept = open('c1', 'registry-1')
    const other = open('c2', 'registry-2')
    const now = await sweeps(policy, T0, 5)
    assert.equal(kept.closed, false, 'closing it would cost a redial at once')
    assert.equal(other.closed, true, 'an untagged, unclaimed registry link closes when idle')
    // kad-dht moves its tags as its closest peers change: once untagged, the link goes.
    tagged.delete('registry-1')
    await policy.sweep(now)
    assert.equal(kept.closed, true)
    assert.ok(reads.filter(p => p === 'registry-1').length >= 2)
  })

  it('asks a keep() claim at every sweep: once released, the idle connection closes', async () => {
    const { policy, reads, open } = harness(new Set())
    const probed = open('c1', 'instance-1')
    let claimed = true
    const release = policy.keep(peer => claimed && peer === 'instance-1')
    const now = await sweeps(policy, T0, 10)
    assert.equal(probed.closed, false)
    assert.deepEqual(reads, [], 'a claimed peer needs no peer-store read')
    claimed = false
    await policy.sweep(now)
    assert.equal(probed.closed, true)
    release()
  })
})
