/**
 * RegistryPersistence on an in-memory datastore: what a flush writes and deletes, that a failed write keeps its
 * changes for the next flush (newer changes winning), and that saved registries are replaced, not accumulated.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { prefixLogger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { openRecord, signRecord } from '../src/records/service-record.js'
import { RegistryPersistence } from '../src/registry/persistence.js'
import type { VerifiedRecord } from '../src/records/service-record.js'

const log = prefixLogger('test').forComponent('netget:persistence')

async function record (name: string, sequence = 1n): Promise<VerifiedRecord> {
  const key = await generateKeyPair('Ed25519')
  const now = Date.now()
  return openRecord(await signRecord(key, { network: 'development', name, addresses: [], metadata: {}, sequence, issuedAt: now, expiresAt: now + 60_000 }), { network: 'development' })
}

async function keys (datastore: MemoryDatastore): Promise<string[]> {
  const out: string[] = []
  for await (const key of datastore.queryKeys({})) out.push(key.toString())
  return out.sort()
}

describe('RegistryPersistence', () => {
  it('writes stored records and deletes dropped ones in one flush, under the network\'s namespace', async () => {
    const datastore = new MemoryDatastore()
    const persistence = new RegistryPersistence(datastore, 'development', log)
    const a = await record('A')
    const b = await record('B')
    persistence.recordStored(a)
    persistence.recordStored(b)
    assert.equal(persistence.dirty, true)
    await persistence.flush()
    assert.equal(persistence.dirty, false)
    assert.deepEqual(await keys(datastore), [`/netget/development/records/A/${a.peerId}`, `/netget/development/records/B/${b.peerId}`])
    persistence.recordDropped(a)
    await persistence.flush()
    assert.deepEqual(await keys(datastore), [`/netget/development/records/B/${b.peerId}`])
    const read = []
    for await (const saved of persistence.records()) read.push(saved)
    assert.deepEqual(read.map(r => r.bytes), [b.bytes])
    assert.equal(persistence.counters.flushes, 2)
  })

  it('keeps the changes of a failed write for the next flush, a newer change winning', async () => {
    const datastore = new MemoryDatastore()
    let failNext = true
    const batch = datastore.batch.bind(datastore)
    datastore.batch = () => {
      const inner = batch()
      return {
        put: (key, value) => { inner.put(key, value) },
        delete: key => { inner.delete(key) },
        commit: async () => {
          if (failNext) {
            failNext = false
            throw new Error('disk full')
          }
          await inner.commit()
        }
      }
    }
    const persistence = new RegistryPersistence(datastore, 'development', log)
    const a = await record('A')
    persistence.recordStored(a)
    await persistence.flush()
    assert.equal(persistence.counters.flushFailures, 1)
    assert.deepEqual(await keys(datastore), [])
    // Dropped while the write was failing: the next flush deletes, it does not write the old bytes back.
    persistence.recordDropped(a)
    const b = await record('B')
    persistence.recordStored(b)
    await persistence.flush()
    assert.deepEqual(await keys(datastore), [`/netget/development/records/B/${b.peerId}`])
  })

  it('replaces the saved registries with the table\'s, and skips entries that do not parse', async () => {
    const datastore = new MemoryDatastore()
    const persistence = new RegistryPersistence(datastore, 'development', log)
    persistence.registriesChanged([{ id: 'r1', addrs: ['/ip4/127.0.0.1/tcp/1'] }, { id: 'r2', addrs: [] }])
    await persistence.flush()
    persistence.registriesChanged([{ id: 'r2', addrs: ['/ip4/127.0.0.1/tcp/2'] }])
    await persistence.flush()
    await datastore.put(new Key('/netget/development/registries/junk'), new TextEncoder().encode('{"addrs": 3}'))
    const fresh = new RegistryPersistence(datastore, 'development', log)
    assert.deepEqual(await fresh.registries(), [{ id: 'r2', addrs: ['/ip4/127.0.0.1/tcp/2'] }])
    assert.deepEqual(await keys(datastore), ['/netget/development/registries/r2'], 'the junk entry was deleted')
    // Another network's registries are another namespace.
    assert.deepEqual(await new RegistryPersistence(datastore, 'production', log).registries(), [])
  })
})
