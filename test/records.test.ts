import assert from 'node:assert/strict'
import { describe, it, before } from 'node:test'
import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ServiceRecord, SignedServiceRecord } from '../protocols/service-record.js'
import { CLOCK_SKEW_MS, MAX_RECORD_BYTES, MAX_RECORD_LIFETIME_MS } from '../src/constants.js'
import { RecordErrorCodes, RecordValidationError } from '../src/errors.js'
import { compareRecords, openRecord, signRecord } from '../src/records/service-record.js'
import { VerifyCache } from '../src/records/verify-cache.js'
import { RecordStore } from '../src/registry/record-store.js'
import type { RecordFields } from '../src/records/service-record.js'
import type { PrivateKey } from '@libp2p/interface'

const NOW = 1_800_000_000_000

function fields (overrides: Partial<RecordFields> = {}): RecordFields {
  return {
    network: 'development',
    name: 'DatabaseService',
    addresses: ['/ip4/127.0.0.1/tcp/4001/p2p/x', 'http://127.0.0.1:8080'],
    metadata: { name: 'DatabaseService', version: '1.2.0', tags: ['primary'] },
    sequence: 5n,
    issuedAt: NOW,
    expiresAt: NOW + 60_000,
    ...overrides
  }
}

async function rejects (promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof RecordValidationError, `expected RecordValidationError, got ${String(err)}`)
    assert.equal(err.code, code)
    return true
  })
}

/** Re-signs arbitrary ServiceRecord bytes with `key`, to build records that pass the signature but break another rule. */
async function signRaw (key: PrivateKey, record: Uint8Array, network = 'development'): Promise<Uint8Array> {
  const domain = new TextEncoder().encode(`netget-record:v1:${network}`)
  const payload = new Uint8Array([domain.byteLength, ...domain, ...record])
  const signature = await key.sign(payload)
  return SignedServiceRecord.encode({ record: record as Uint8Array<ArrayBuffer>, signature: signature as Uint8Array<ArrayBuffer> })
}

describe('service records', () => {
  let key: PrivateKey
  let other: PrivateKey
  let peerId: string

  before(async () => {
    key = await generateKeyPair('Ed25519')
    other = await generateKeyPair('Ed25519')
    peerId = peerIdFromPrivateKey(key).toString()
  })

  it('round-trips every field and binds the record to the signer', async () => {
    const bytes = await signRecord(key, fields({ withdrawn: true }))
    const record = await openRecord(bytes, { network: 'development', name: 'DatabaseService', publisher: peerId, now: NOW })
    assert.equal(record.peerId, peerId)
    assert.equal(record.name, 'DatabaseService')
    assert.equal(record.network, 'development')
    assert.deepEqual(record.addresses, fields().addresses)
    assert.deepEqual(record.metadata, fields().metadata)
    assert.equal(record.sequence, 5n)
    assert.equal(record.issuedAt, NOW)
    assert.equal(record.expiresAt, NOW + 60_000)
    assert.equal(record.withdrawn, true)
    assert.deepEqual(record.bytes, bytes)
  })

  it('refuses a record over the size limit before decoding it', async () => {
    await rejects(openRecord(new Uint8Array(MAX_RECORD_BYTES + 1), { network: 'development', now: NOW }), RecordErrorCodes.TOO_LARGE)
  })

  it('refuses bytes that do not decode', async () => {
    await rejects(openRecord(new Uint8Array([0xff, 0xff, 0xff]), { network: 'development', now: NOW }), RecordErrorCodes.MALFORMED)
  })

  it('refuses trailing or unknown fields (one record, one encoding)', async () => {
    const bytes = await signRecord(key, fields())
    const withTrailer = new Uint8Array([...bytes, 0x28, 0x01]) // field 5, varint 1
    await rejects(openRecord(withTrailer, { network: 'development', now: NOW }), RecordErrorCodes.MALFORMED)
  })

  it('refuses bad names, too many addresses and oversized metadata when signing', async () => {
    await assert.rejects(signRecord(key, fields({ name: 'bad name!' })), { code: RecordErrorCodes.BAD_FIELD })
    await assert.rejects(signRecord(key, fields({ addresses: Array.from({ length: 33 }, (_, i) => `http://h/${i}`) })), { code: RecordErrorCodes.BAD_FIELD })
    await assert.rejects(signRecord(key, fields({ metadata: { blob: 'x'.repeat(9000) } })), { code: RecordErrorCodes.BAD_FIELD })
    await assert.rejects(signRecord(key, fields({ metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) })), { code: RecordErrorCodes.BAD_FIELD })
  })

  it('refuses a correctly signed record whose metadata is not a JSON object', async () => {
    const record = ServiceRecord.encode({
      network: 'development', name: 'DatabaseService', publicKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
      addresses: [], metadata: '[1,2]', sequence: 1n, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + 1000), withdrawn: false
    })
    await rejects(openRecord(await signRaw(key, record), { network: 'development', now: NOW }), RecordErrorCodes.BAD_FIELD)
  })

  it('refuses a record of another network, even with a valid signature', async () => {
    const bytes = await signRecord(key, fields({ network: 'production' }))
    await rejects(openRecord(bytes, { network: 'development', now: NOW }), RecordErrorCodes.WRONG_NETWORK)
  })

  it('refuses a record that names another service than the one asked for', async () => {
    const bytes = await signRecord(key, fields({ name: 'CacheService', metadata: { name: 'CacheService' } }))
    await rejects(openRecord(bytes, { network: 'development', name: 'DatabaseService', now: NOW }), RecordErrorCodes.WRONG_NAME)
  })

  it('refuses a record published by a peer other than its signer', async () => {
    const bytes = await signRecord(key, fields())
    await rejects(openRecord(bytes, { network: 'development', publisher: peerIdFromPrivateKey(other).toString(), now: NOW }), RecordErrorCodes.WRONG_PUBLISHER)
  })

  it('refuses a signature made by another key, and any flipped bit of the signed bytes', async () => {
    const good = await signRecord(key, fields())
    const envelope = SignedServiceRecord.decode(good)
    const forged = await signRaw(other, envelope.record)
    await rejects(openRecord(forged, { network: 'development', now: NOW }), RecordErrorCodes.BAD_SIGNATURE)

    const signatureFlipped = SignedServiceRecord.encode({ record: envelope.record, signature: envelope.signature.map((b, i) => i === 0 ? b ^ 1 : b) as Uint8Array<ArrayBuffer> })
    await rejects(openRecord(signatureFlipped, { network: 'development', now: NOW }), RecordErrorCodes.BAD_SIGNATURE)

    // Change the sequence (a field that stays well-formed) without re-signing.
    const fieldsPb = ServiceRecord.decode(envelope.record)
    const tampered = SignedServiceRecord.encode({ record: ServiceRecord.encode({ ...fieldsPb, sequence: 6n }), signature: envelope.signature })
    await rejects(openRecord(tampered, { network: 'development', now: NOW }), RecordErrorCodes.BAD_SIGNATURE)
  })

  it('refuses a record whose metadata.name is another service than its name, signed or not', async () => {
    await rejects(signRecord(key, fields({ metadata: { name: 'CacheService' } })), RecordErrorCodes.BAD_FIELD)
    const record = ServiceRecord.encode({
      network: 'development', name: 'DatabaseService', publicKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
      addresses: [], metadata: '{"name":"CacheService"}', sequence: 1n, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + 1000), withdrawn: false
    })
    await rejects(openRecord(await signRaw(key, record), { network: 'development', now: NOW }), RecordErrorCodes.BAD_FIELD)
    // Without a name field the record stands: metadata.name is optional on the wire.
    await openRecord(await signRecord(key, fields({ metadata: { version: '1' } })), { network: 'development', now: NOW })
  })

  it('accepts a withdrawal whose metadata.name is another name (a renamed record withdrawn by a node from before the rule)', async () => {
    const tombstone = ServiceRecord.encode({
      network: 'development', name: 'DatabaseService', publicKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
      addresses: [], metadata: '{"name":"DatabaseServiceV2"}', sequence: 2n, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + 1000), withdrawn: true
    })
    const opened = await openRecord(await signRaw(key, tombstone), { network: 'development', now: NOW })
    assert.equal(opened.withdrawn, true)
    assert.equal(opened.name, 'DatabaseService')
  })

  it('refuses a signature made for another network domain', async () => {
    const record = ServiceRecord.encode({
      network: 'development', name: 'DatabaseService', publicKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
      addresses: [], metadata: '{}', sequence: 1n, issuedAt: BigInt(NOW), expiresAt: BigInt(NOW + 1000), withdrawn: false
    })
    await rejects(openRecord(await signRaw(key, record, 'production'), { network: 'development', now: NOW }), RecordErrorCodes.BAD_SIGNATURE)
  })

  it('applies the time rules with the clock-skew allowance', async () => {
    const bytes = await signRecord(key, fields())
    await openRecord(bytes, { network: 'development', now: NOW + 60_000 + CLOCK_SKEW_MS - 1 })
    await rejects(openRecord(bytes, { network: 'development', now: NOW + 60_000 + CLOCK_SKEW_MS }), RecordErrorCodes.EXPIRED)
    await rejects(openRecord(bytes, { network: 'development', now: NOW - CLOCK_SKEW_MS - 1 }), RecordErrorCodes.FUTURE)
    const long = await signRecord(key, fields({ expiresAt: NOW + MAX_RECORD_LIFETIME_MS + 1 }))
    await rejects(openRecord(long, { network: 'development', now: NOW }), RecordErrorCodes.LIFETIME)
    const backwards = await signRecord(key, fields({ expiresAt: NOW }))
    await rejects(openRecord(backwards, { network: 'development', now: NOW }), RecordErrorCodes.LIFETIME)
  })

  it('re-checks binding and time on records served from the verification cache', async () => {
    const cache = new VerifyCache()
    const bytes = await signRecord(key, fields())
    await openRecord(bytes, { network: 'development', now: NOW }, cache)
    await rejects(openRecord(bytes, { network: 'development', name: 'Other', now: NOW }, cache), RecordErrorCodes.WRONG_NAME)
    await rejects(openRecord(bytes, { network: 'development', now: NOW + 10 * 60_000 }, cache), RecordErrorCodes.EXPIRED)
  })

  it('selects by sequence, then expiry, then a deterministic tie-break', async () => {
    const open = async (f: Partial<RecordFields>) => openRecord(await signRecord(key, fields(f)), { network: 'development', now: NOW })
    const low = await open({ sequence: 1n })
    const high = await open({ sequence: 2n, expiresAt: NOW + 1000 })
    assert.ok(compareRecords(high, low) > 0)
    assert.ok(compareRecords(low, high) < 0)
    const later = await open({ sequence: 1n, expiresAt: NOW + 90_000 })
    assert.ok(compareRecords(later, low) > 0)
    const a = await open({ sequence: 3n, metadata: { version: 'a' } })
    const b = await open({ sequence: 3n, metadata: { version: 'b' } })
    assert.equal(Math.sign(compareRecords(a, b)), -Math.sign(compareRecords(b, a)))
    assert.notEqual(compareRecords(a, b), 0)
    assert.equal(compareRecords(a, a), 0)
  })
})

describe('record store', () => {
  it('keeps the best record per (name, publisher) and refuses an older one', async () => {
    const key = await generateKeyPair('Ed25519')
    const now = Date.now()
    const open = async (sequence: bigint) => openRecord(await signRecord(key, fields({ sequence, issuedAt: now, expiresAt: now + 60_000 })), { network: 'development' })
    const store = new RecordStore()
    const newer = await open(10n)
    const older = await open(9n)
    assert.equal(store.offer(newer), 'stored')
    assert.equal(store.offer(newer), 'unchanged')
    assert.throws(() => store.offer(older), { code: RecordErrorCodes.STALE })
    assert.equal(store.get('DatabaseService')[0].sequence, 10n)
    assert.equal(store.size, 1)
  })

  it('drops expired records on sweep and, at capacity, evicts the record with the longest lease left', async () => {
    const now = Date.now()
    const store = new RecordStore({ maxRecords: 2 })
    const make = async (expiresIn: number) => {
      const key = await generateKeyPair('Ed25519')
      return openRecord(await signRecord(key, fields({ issuedAt: now, expiresAt: now + expiresIn })), { network: 'development' })
    }
    const soon = await make(1000)
    const later = await make(50_000)
    const latest = await make(60_000)
    store.offer(soon)
    store.offer(later)
    store.offer(latest)
    assert.equal(store.size, 2)
    // A flood of long leases is what fills a store: the longest one held makes room, short leases stay.
    assert.deepEqual(store.get('DatabaseService', now).map(r => r.peerId).sort(), [soon.peerId, latest.peerId].sort())
    assert.deepEqual(store.sweep(now + 55_000 + CLOCK_SKEW_MS).map(r => r.peerId), [soon.peerId])
    assert.equal(store.size, 1)
    assert.equal(store.byteSize, latest.bytes.byteLength)
  })

  it('caps the bytes held as well as the records', async () => {
    const now = Date.now()
    const make = async (expiresIn: number) => openRecord(await signRecord(await generateKeyPair('Ed25519'), fields({ issuedAt: now, expiresAt: now + expiresIn })), { network: 'development' })
    const first = await make(10_000)
    const store = new RecordStore({ maxBytes: first.bytes.byteLength * 2 + 10 })
    store.offer(first)
    store.offer(await make(20_000))
    const third = await make(30_000)
    store.offer(third)
    assert.equal(store.size, 2)
    assert.ok(store.byteSize <= first.bytes.byteLength * 2 + 10)
    assert.ok(store.get('DatabaseService', now).some(r => r.peerId === first.peerId))
  })
})
