/**
 * Registry links: a registry keeps its connections to its neighbourhood (its sibling list, and the registries
 * that count it in theirs), and lets the others close when idle, so that what a registry holds open does not grow
 * with the network. A registry then no longer hears at once of the death of a registry far from it: it checks
 * one when an answer of its own names it, and clients ask again for more hints when the ones named were all dead.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siblingCount } from '../../src/constants.js'
import { IDLE_CONNECTION_TIMEOUT_MS } from '../../src/node/connection-policy.js'
import { compareDistance, peerPosition, servicePosition } from '../../src/routing/position.js'
import { TestNetwork, eventually } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'

const REGISTRIES = 40
const K = 3
const SIBLINGS = siblingCount(K)

interface Table { isVerified(id: string): boolean, isSibling(id: string, count: number): boolean }
const tableOf = (registry: Netget): Table => (registry as unknown as { running: { table: Table } }).running.table
const libp2p = (node: Netget): NetgetLibp2p => (node as unknown as { running: { node: NetgetLibp2p } }).running.node

function closestTo (position: Uint8Array, registries: Netget[], count: number): Netget[] {
  return [...registries].sort((a, b) => compareDistance(position, peerPosition(a.peerId), peerPosition(b.peerId))).slice(0, count)
}

/** The registries `node` has a connection to (opened before `since`, if given: links the sweeps judged). */
function linkedRegistries (node: Netget, registries: Netget[], since = Number.POSITIVE_INFINITY): string[] {
  const ids = new Set(registries.map(r => r.peerId))
  return [...new Set(libp2p(node).getConnections().filter(c => c.timeline.open < since).map(c => c.remotePeer.toString()).filter(id => ids.has(id)))]
}

/**
 * Time passes for every registry: its request sessions idle out, then sweeps an idle timeout apart (three: a
 * session's stream is listed until both ends closed it, so the first sweep may still find it in use).
 */
async function idleOut (registries: Netget[]): Promise<void> {
  for (const r of registries) {
    await (r as unknown as { client: { connections: { sessions: { expireIdle(): Promise<void> } } } }).client.connections.sessions.expireIdle()
  }
  const now = Date.now()
  for (const r of registries) await libp2p(r).services.connections.sweep(now)
  for (const r of registries) await libp2p(r).services.connections.sweep(now + IDLE_CONNECTION_TIMEOUT_MS + 1)
  for (const r of registries) await libp2p(r).services.connections.sweep(now + 2 * (IDLE_CONNECTION_TIMEOUT_MS + 1))
}

describe(`registry links (${REGISTRIES} registries, replicationFactor ${K}: ${SIBLINGS} siblings each)`, () => {
  const net = new TestNetwork()
  const registries: Netget[] = []

  before(async () => {
    assert.ok(SIBLINGS < REGISTRIES - 1, 'the test needs registries outside each other\'s neighbourhoods')
    const addrs: string[] = []
    // Each registry knows one other, started before it (a tree: registry i knows registry ⌊i/2⌋).
    for (let i = 0; i < REGISTRIES; i++) {
      const registry = net.node({ nodeType: 'registry', replicationFactor: K, settlingTime: 0, registryNodes: i === 0 ? [] : [addrs[Math.floor(i / 2)]] })
      await registry.start()
      registries.push(registry)
      addrs.push(registry.getMultiaddrs()[0])
    }
    // Every registry has a neighbourhood to keep: more registries verified than its sibling list holds (its
    // self-lookup; knowing exactly its true siblings takes the warm-up refreshes: siblings.test.ts). ≈ 20 s alone on
    // a 2-core machine; beside the rest of `npm test` (4 files at once) it took over 45 s on a slower one.
    await eventually(async () => registries.every(r => registries.filter(o => tableOf(r).isVerified(o.peerId)).length > SIBLINGS) ? true : undefined, 90_000)
  })
  after(async () => { await net.stopAll() })

  it('a registry keeps its links to its siblings and lets most others close when idle', async () => {
    const siblingsOf = (r: Netget): string[] => registries.filter(o => tableOf(r).isSibling(o.peerId, SIBLINGS)).map(o => o.peerId)
    const linkedBefore = registries.map(r => linkedRegistries(r, registries))
    const siblingsBefore = registries.map(siblingsOf)
    const swept = Date.now()
    await idleOut(registries)
    let kept = 0
    let siblingLinks = 0
    let siblingLinksKept = 0
    for (const [i, r] of registries.entries()) {
      // The network is still forming (lookups open links as the sweeps run): what counts is what the sweeps kept.
      const linked = linkedRegistries(r, registries, swept)
      kept += linked.length
      const siblings = siblingsOf(r)
      assert.equal(siblings.length, SIBLINGS)
      for (const id of siblings.filter(id => siblingsBefore[i].includes(id) && linkedBefore[i].includes(id))) {
        siblingLinks++
        if (linked.includes(id)) siblingLinksKept++
      }
    }
    // The sweeps keep sibling links (both ends count them as neighbours), but for the few that the other end, whose
    // table does not know every registry around this one yet, does not count as its neighbour.
    assert.ok(siblingLinksKept >= 0.9 * siblingLinks, `${siblingLinksKept} of ${siblingLinks} sibling links kept through the sweeps`)
    // Every sibling is linked (a closed link to one is how its death shows at once), within a neighbourhood check
    // (every 15 s) for one that became a sibling while it had no link. While the network still forms, the other end
    // of a link may not count itself a neighbour yet (it does not know every registry around this one) and close
    // it; this end then checks its sibling at once, which links them again.
    await eventually(async () => registries.every(r => siblingsOf(r).every(id => linkedRegistries(r, registries).includes(id))) ? true : undefined, 20_000)
    const total = linkedBefore.reduce((a, l) => a + l.length, 0)
    const mesh = REGISTRIES * (REGISTRIES - 1)
    // Each registry keeps its siblings and the registries that count it among theirs (≈ 25 of 39 here), whatever
    // the network's size; a full mesh would be every pair.
    assert.ok(kept <= mesh * 0.8, `links ${total} → ${kept} of ${mesh} possible: still a full mesh`)
  })

  it('when a name\'s closest set goes at once, a client bootstrapped from a registry with no link to them finds every instance', async () => {
    // A name whose closest set has, somewhere in the network, a registry outside their neighbourhood: neither
    // counts the other among its siblings, so it will not check them when they go (any link between them closes
    // unchecked).
    const pick = (): { name: string, leaving: Netget[], far: Netget } | undefined => {
      for (let i = 0; i < 500; i++) {
        const name = `FarService${i}`
        const leaving = closestTo(servicePosition('development', name), registries, K)
        const next = closestTo(servicePosition('development', name), registries.filter(r => !leaving.includes(r)), K)
        const far = registries.find(r => !leaving.includes(r) && !next.includes(r) && leaving.every(l => tableOf(r).isVerified(l.peerId) &&
          !tableOf(r).isSibling(l.peerId, SIBLINGS) && !tableOf(l).isSibling(r.peerId, SIBLINGS)))
        if (far !== undefined) return { name, leaving, far }
      }
      return undefined
    }
    const picked = pick()
    assert.ok(picked !== undefined, 'no name has a registry outside its closest set\'s neighbourhood')
    const { name, leaving, far } = picked
    const alive = registries.filter(r => !leaving.includes(r))
    const next = closestTo(servicePosition('development', name), alive, K)
    const instances: Netget[] = []
    for (const r of alive.slice(0, 2)) instances.push(await net.service(name, [r.getMultiaddrs()[0]], { replicationFactor: K }))
    const ids = instances.map(s => s.peerId).sort()
    await eventually(async () => leaving.every(r => ids.every(id => r.listRecords(name).some(rec => rec.peerId === id))) ? true : undefined, 10_000)
    await Promise.all(leaving.map(async r => r.stop()))
    // Their publishers were linked to them (nearest holders): they renew to the next ones at once.
    await eventually(async () => next.every(r => ids.every(id => r.listRecords(name).some(rec => rec.peerId === id))) ? true : undefined, 10_000)
    // Nothing told the far registry (other lookups through it may have made it check them since).
    const client = net.node({ registryNodes: [far.getMultiaddrs()[0]], replicationFactor: K })
    assert.deepEqual((await client.discoverServiceNode(name)).map(i => i.peerId).sort(), ids)
    // Its answers named them; it checked them and dropped them.
    await eventually(async () => leaving.every(l => !tableOf(far).isVerified(l.peerId)) ? true : undefined, 10_000)
  })
})
