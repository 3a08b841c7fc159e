/**
 * RecordStore at its cap: what goes first. Expired records, then instances that do not answer their probes, and
 * only then the longest lease: a flood of short leases from fresh keys must not evict records whose instances
 * answer.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { openRecord, signRecord } from '../src/records/service-record.js'
import { EVICTION_POOL_MAX_AGE_MS, EVICTION_POOL_SIZE, RecordStore } from '../src/registry/record-store.js'
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

  it('a flood at the cap costs one scan of the store per EVICTION_POOL_SIZE evictions, not one per record', () => {
    // Records made by hand (the store reads names, publishers, leases and sizes): thousands of real keys are slow.
    const fake = (name: string, i: number, leaseMs: number): VerifiedRecord => ({
      network: 'development', name, peerId: `${name}-${i}`, addresses: [], metadata: { name }, sequence: 1n,
      issuedAt: NOW, expiresAt: Date.now() + leaseMs, withdrawn: false, bytes: new Uint8Array(200)
    }) as unknown as VerifiedRecord
    const CAP = 5000
    const FLOOD = 1000
    let rankChecks = 0
    const store = new RecordStore({
      maxRecords: CAP,
      evictionRank: r => {
        rankChecks++
        return r.name === 'Flood' ? 1 : 0
      }
    })
    for (let i = 0; i < CAP; i++) store.offer(fake('Honest', i, 60_000 + i))
    for (let i = 0; i < FLOOD; i++) store.offer(fake('Flood', i, 5_000))
    assert.equal(store.size, CAP)
    assert.equal(store.counters.evicted, FLOOD)
    // The records the flood displaced: the honest ones with the longest leases, then the flood's own.
    const honestLeft = store.get('Honest').length
    assert.ok(honestLeft >= CAP - FLOOD, `${honestLeft} honest records left`)
    assert.ok(store.get('Flood').length <= FLOOD)
    const fullScans = Math.ceil(FLOOD / EVICTION_POOL_SIZE) + 1
    assert.ok(rankChecks <= fullScans * CAP + FLOOD * (EVICTION_POOL_SIZE + 1), `${rankChecks} rank checks for ${FLOOD} evictions`)
    assert.ok(rankChecks < FLOOD * CAP / 10, 'far fewer than a scan per eviction')
  })

  it('a record found down after the scan still goes before the honest ones: within the next scan\'s pool', () => {
    const down = new Set<string>()
    const fake = (name: string, i: number, leaseMs: number): VerifiedRecord => ({
      network: 'development', name, peerId: `${name}-${i}`, addresses: [], metadata: { name }, sequence: 1n,
      issuedAt: NOW, expiresAt: Date.now() + leaseMs, withdrawn: false, bytes: new Uint8Array(200)
    }) as unknown as VerifiedRecord
    const store = new RecordStore({ maxRecords: 200, evictionRank: r => down.has(r.peerId) ? 2 : 0 })
    for (let i = 0; i < 200; i++) store.offer(fake('Svc', i, 60_000 + i))
    store.offer(fake('New', 0, 60_000))
    down.add('Svc-0')
    // At most a pool's worth of evictions later, the down instance's record is gone, though its lease is the shortest.
    for (let i = 1; i <= EVICTION_POOL_SIZE + 1 && store.get('Svc').some(r => r.peerId === 'Svc-0'); i++) store.offer(fake('New', i, 60_000))
    assert.ok(!store.get('Svc').some(r => r.peerId === 'Svc-0'))
  })

  it('a record that expired since the last scan goes before a live one, once the pool is a second old', t => {
    t.mock.timers.enable({ apis: ['Date'], now: NOW })
    const fake = (name: string, i: number, leaseMs: number): VerifiedRecord => ({
      network: 'development', name, peerId: `${name}-${i}`, addresses: [], metadata: { name }, sequence: 1n,
      issuedAt: NOW, expiresAt: Date.now() + leaseMs, withdrawn: false, bytes: new Uint8Array(200)
    }) as unknown as VerifiedRecord
    const store = new RecordStore({ maxRecords: 100 })
    for (let i = 0; i < 99; i++) store.offer(fake('Long', i, 600_000 + i))
    store.offer(fake('Short', 0, 100))
    store.offer(fake('New', 0, 600_000))
    assert.equal(store.get('Short').length, 1, 'live at the first scan: a long lease went instead')
    // Past its lease (and the 30 s clock-skew allowance), and past the pool's age: the next scan drops it first.
    t.mock.timers.tick(31_000 + EVICTION_POOL_MAX_AGE_MS)
    const held = (name: string): number => [...store.all()].filter(r => r.name === name).length
    const longBefore = held('Long')
    assert.equal(held('Short'), 1, 'still held, expired')
    store.offer(fake('New', 1, 600_000))
    assert.equal(held('Short'), 0)
    assert.equal(held('Long'), longBefore, 'no live record evicted while an expired one was held')
  })
})
