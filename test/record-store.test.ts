/**
 * RecordStore at its cap: what goes first. Expired records, then instances that do not answer their probes, and
 * only then the longest lease: a flood of short leases from fresh keys must not evict records whose instances
 * answer.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { openRecord, signRecord } from '../src/records/service-record.js'
import { RecordStore } from '../src/registry/record-store.js'
import type { VerifiedRecord } from '../src/records/service-record.js'

const NOW = Date.now()

async function record (name: string, leaseMs: number): Promise<VerifiedRecord> {
  const key = await generateKeyPair('Ed25519')
  const bytes = await signRecord(key, { network: 'development', name, addresses: [], metadata: { name }, sequence: 1n, issuedAt: NOW, expiresAt: NOW + leaseMs })
  return openRecord(bytes, { network: 'development', now: NOW })
}

describe('RecordStore eviction at its cap', () => {
  it('keeps the records of instances that answer probes when a flood of short leases arrives', async () => {
    const passing = new Set<string>()
    const down = new Set<string>()
    const dropped: string[] = []
    const store = new RecordStore({
      maxRecords: 4,
      evictionRank: r => down.has(r.peerId) ? 2 : passing.has(r.peerId) ? 0 : 1,
      onDropped: r => { dropped.push(r.name) }
    })
    const honest = [await record('Honest', 60_000), await record('Honest', 60_000)]
    for (const r of honest) {
      store.offer(r)
      passing.add(r.peerId)
    }
    const flood = await Promise.all(Array.from({ length: 6 }, async () => record('Flood', 5_000)))
    for (const r of flood) store.offer(r)
    assert.equal(store.size, 4)
    assert.deepEqual(store.get('Honest', NOW).map(r => r.peerId).sort(), honest.map(r => r.peerId).sort(), 'both honest records are still held')
    assert.deepEqual(dropped, ['Flood', 'Flood', 'Flood', 'Flood'])
  })

  it('evicts an instance found down before one not probed yet, and the longest lease among equals', async () => {
    const down = new Set<string>()
    const store = new RecordStore({ maxRecords: 3, evictionRank: r => down.has(r.peerId) ? 2 : 1 })
    const long = await record('A', 120_000)
    const short = await record('B', 10_000)
    const dead = await record('C', 5_000)
    for (const r of [long, short, dead]) store.offer(r)
    down.add(dead.peerId)
    store.offer(await record('D', 10_000))
    assert.equal(store.get('C', NOW).length, 0, 'the down instance went first, though its lease was the shortest')
    store.offer(await record('E', 10_000))
    assert.equal(store.get('A', NOW).length, 0, 'then the longest lease among the unprobed')
    assert.equal(store.get('B', NOW).length, 1)
  })

  it('without a rank, the longest lease goes first (a flood of long leases fills a store)', async () => {
    const store = new RecordStore({ maxRecords: 2 })
    const long = await record('Long', 3_600_000)
    const short = await record('Short', 60_000)
    store.offer(long)
    store.offer(short)
    store.offer(await record('New', 60_000))
    assert.equal(store.get('Long', NOW).length, 0)
    assert.equal(store.get('Short', NOW).length, 1)
  })
})
