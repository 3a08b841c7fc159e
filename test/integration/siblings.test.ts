/**
 * Sibling lists: a registry knows (verified) the registries closest to itself, replicationFactor + SIBLING_MARGIN
 * of them, not only Kademlia's 20. The registries that relay a renewal are the few closest to its key, and must
 * know every one of the key's K closest; with K = 20 in a 60-registry network, relayers that knew only their own
 * 20 closest left 3 % of the slots of a closest set empty in one simulation run of five.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { siblingCount } from '../../src/constants.js'
import { compareDistance, peerPosition, servicePosition } from '../../src/routing/position.js'
import { TestNetwork, eventually, waitForEvent } from '../helpers/network.js'
import type { Netget, RegistrationResult } from '../../src/index.js'

const REGISTRIES = 30
const K = 14
const SIBLINGS = siblingCount(K)

interface Table { isVerified(id: string): boolean }
const tableOf = (registry: Netget): Table => (registry as unknown as { running: { table: Table } }).running.table

function closestTo (position: Uint8Array, registries: Netget[], count: number): Netget[] {
  return [...registries].sort((a, b) => compareDistance(position, peerPosition(a.peerId), peerPosition(b.peerId))).slice(0, count)
}

describe(`sibling lists (${REGISTRIES} registries, replicationFactor ${K}: ${SIBLINGS} siblings each)`, () => {
  const net = new TestNetwork()
  const registries: Netget[] = []

  before(async () => {
    assert.ok(SIBLINGS > 20 && SIBLINGS < REGISTRIES - 1, 'the test needs a sibling list longer than a k-bucket and shorter than the network')
    const addrs: string[] = []
    // Each registry knows one other, started before it (a tree: registry i knows registry ⌊i/2⌋).
    for (let i = 0; i < REGISTRIES; i++) {
      const registry = net.node({ nodeType: 'registry', replicationFactor: K, registryNodes: i === 0 ? [] : [addrs[Math.floor(i / 2)]] })
      await registry.start()
      registries.push(registry)
      addrs.push(registry.getMultiaddrs()[0])
    }
  })
  after(async () => { await net.stopAll() })

  it('every registry comes to know its closest replicationFactor + SIBLING_MARGIN registries', async () => {
    // Registries started early meet the later ones through the later ones' self-lookups, or else through their own
    // warm-up refreshes, 2, 10 and 30 s (±20 %) after their first self-lookup: alone, ≈ 10 s after the last one
    // started; with the rest of the suite running, up to the last refresh (a sibling of rank 20–24 that started
    // after the 10-s one, and does not count this registry among its own siblings, waits for it).
    const lacking = (): string[] => registries.flatMap((r, i) => {
      const ranked = closestTo(peerPosition(r.peerId), registries.filter(o => o !== r), SIBLINGS)
      const missing = ranked.flatMap((s, rank) => tableOf(r).isVerified(s.peerId) ? [] : [rank + 1])
      return missing.length > 0 ? [`registry ${i} lacks its siblings of rank ${missing.join(', ')}`] : []
    })
    await eventually(async () => lacking().length === 0 ? true : undefined, 60_000).catch(err => {
      throw new Error(`${(err as Error).message}: ${lacking().join('; ')}`)
    })
  })

  it('a renewal relayed by the nearest few reaches every one of the K closest', async () => {
    const name = 'SiblingService'
    const service = await net.service(name, [registries[REGISTRIES - 1].getMultiaddrs()[0]], { replicationFactor: K, recordTtl: 9000 })
    const renewal = await waitForEvent<RegistrationResult>(service, 'republished', 10_000)
    const closest = closestTo(servicePosition('development', name), registries, K)
    await eventually(async () => closest.every(r => r.listRecords(name).some(x => x.sequence >= renewal.instance.sequence)) ? true : undefined, 3000)
  })
})
