/**
 * The idle-connection policy (src/node/connection-policy.ts; docs/architecture.md "Connections"), in process with
 * fake connections and a fake peer store: idle connections close after idleTimeout unless kept; a registry keeps
 * its links to other registries, and learns that a connection leads to a registry once, not at every sweep.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { defaultLogger } from '@libp2p/logger'
import { kadProtocol } from '../src/constants.js'
import { ConnectionPolicy } from '../src/node/connection-policy.js'
import type { ConnectionPolicyComponents } from '../src/node/connection-policy.js'
import type { Connection, PeerId } from '@libp2p/interface'

const IDLE = 60_000
const SWEEP = IDLE / 4
const T0 = 1_700_000_000_000

interface FakeConnection { id: string, peer: string, closed: boolean, streams: unknown[] }

function harness (registries: Set<string>): { policy: ConnectionPolicy, connections: FakeConnection[], reads: string[], open: (id: string, peer: string) => FakeConnection } {
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
        return { protocols: registries.has(peer.toString()) ? [kadProtocol('development')] : ['/ipfs/id/1.0.0'] }
      }
    } as unknown as ConnectionPolicyComponents['peerStore'],
    logger: defaultLogger()
  }
  const policy = new ConnectionPolicy(components, { network: 'development', idleTimeout: IDLE })
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

  it('keeps a registry\'s idle links to other registries, reading the peer store once per connection, not per sweep', async () => {
    const { policy, reads, open } = harness(new Set(['registry-1', 'registry-2']))
    const links = [open('c1', 'registry-1'), open('c2', 'registry-2')]
    const now = await sweeps(policy, T0, 40)
    assert.ok(links.every(c => !c.closed), 'registry links are kept')
    assert.deepEqual(reads.sort(), ['registry-1', 'registry-2'])
    // A new connection to the same registry (a redial) is a new connection: read once more.
    links[0].closed = true
    open('c3', 'registry-1')
    await sweeps(policy, now, 10)
    assert.deepEqual(reads.sort(), ['registry-1', 'registry-1', 'registry-2'])
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
