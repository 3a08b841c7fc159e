/**
 * Golden test vectors for service records (protocols/service-record.md): writes
 *   test/vectors/service-records.json  one encoded SignedServiceRecord per rule, with the verdict a verifier must reach
 *   test/vectors/selection.json        ordered pairs of records: which one wins, and what a registry holding
 *                                      `a` answers when `b` arrives
 * Run: `npx tsx scripts/make-vectors.ts`. The output is deterministic (fixed keys, a fixed clock, Ed25519
 * signatures are deterministic): test/vectors.test.ts regenerates it in memory and requires identical bytes.
 *
 * Verdicts are written here by hand from the spec, never computed with src/: the test then holds the code to them.
 */
import { writeFile, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ServiceRecord, SignedServiceRecord } from '../protocols/service-record.js'
import { encodeRecord, envelope, flipBit, signFields, signRaw, split, toHex } from '../test/helpers/forge.js'
import type { RawFields } from '../test/helpers/forge.js'
import type { PrivateKey } from '@libp2p/interface'

/**
 * PUBLIC TEST KEYS. These seeds are published in this repository: anyone can sign with them.
 * They exist only to make the vectors reproducible; never use them (or anything derived) for a real identity.
 */
export const ALICE_SEED = Uint8Array.from({ length: 32 }, (_, i) => i) // 00 01 02 … 1f
export const MALLORY_SEED = Uint8Array.from({ length: 32 }, (_, i) => 0x20 + i) // 20 21 22 … 3f

/** The fixed clock of every vector: 2027-01-15T08:00:00.000Z, in ms since the epoch. */
export const NOW = 1_800_000_000_000
const NETWORK = 'development'
const NAME = 'DatabaseService'
/** Limits the vectors are built around (src/constants.ts, restated so that a change there shows up as a failure). */
const MAX_RECORD_BYTES = 10 * 1024
const SKEW = 30_000
const MAX_LIFETIME = 3_600_000

export type Verdict = 'valid' | `NETGET_ERR_${string}`

export interface RecordVector {
  name: string
  description: string
  /** Hex of the encoded SignedServiceRecord. */
  record: string
  /** What the verifier expects (openRecord's RecordExpectations); `now` is its clock in ms. */
  expect: { network: string, name?: string, publisher?: string, now: number }
  verdict: Verdict
  /** Valid vectors: what the record must decode to (sequence as a decimal string). */
  decoded?: {
    peerId: string
    network: string
    name: string
    addresses: string[]
    metadata: Record<string, unknown>
    sequence: string
    issuedAt: number
    expiresAt: number
    withdrawn: boolean
  }
}

export type StoreVerdict = 'stored' | 'unchanged' | 'NETGET_ERR_RECORD_STALE'

export interface SelectionVector {
  name: string
  description: string
  network: string
  now: number
  /** Hex of two encoded SignedServiceRecords of one (name, publisher), both valid at `now`. */
  a: string
  b: string
  /** Which record selection keeps; 'equal' when a and b are the same bytes (the same record). */
  winner: 'a' | 'b' | 'equal'
  /** A registry that stored `a` answers this when `b` arrives. */
  storeVerdictWhenBArrivesAfterA: StoreVerdict
}

export interface Vectors {
  records: RecordVector[]
  selection: SelectionVector[]
}

interface Keys {
  alice: PrivateKey
  mallory: PrivateKey
  aliceId: string
  malloryId: string
}

async function keys (): Promise<Keys> {
  const alice = await generateKeyPairFromSeed('Ed25519', ALICE_SEED)
  const mallory = await generateKeyPairFromSeed('Ed25519', MALLORY_SEED)
  return { alice, mallory, aliceId: peerIdFromPrivateKey(alice).toString(), malloryId: peerIdFromPrivateKey(mallory).toString() }
}

const metadataJson = JSON.stringify({ name: NAME, version: '1.2.0', tags: ['primary'] })

function baseFields (k: Keys, overrides: Partial<RawFields> = {}): RawFields {
  return {
    network: NETWORK,
    name: NAME,
    addresses: [`/ip4/127.0.0.1/tcp/4001/p2p/${k.aliceId}`, 'http://127.0.0.1:8080'],
    metadata: metadataJson,
    sequence: 1_800_000_000_000_000n,
    issuedAt: NOW,
    expiresAt: NOW + 60_000,
    ...overrides
  }
}

const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts))
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)

/**
 * A record signed by alice whose encoded SignedServiceRecord is exactly `size` bytes, every other rule
 * satisfied: metadata padded below 8 KiB, plus long (≤ 256-byte) addresses.
 */
async function recordOfSize (k: Keys, size: number): Promise<Uint8Array> {
  const addresses = Array.from({ length: 8 }, (_, i) => `http://127.0.0.1:${8080 + i}/` + 'a'.repeat(256 - `http://127.0.0.1:${8080 + i}/`.length))
  for (let pad = 0; pad < 8000; pad++) {
    const fields = baseFields(k, { addresses, metadata: JSON.stringify({ name: NAME, pad: 'p'.repeat(pad) }) })
    const record = encodeRecord(k.alice.publicKey, fields)
    const length = SignedServiceRecord.encode({ record: record as Uint8Array<ArrayBuffer>, signature: new Uint8Array(64) }).byteLength
    if (length === size) return signRaw(k.alice, record, NETWORK)
    if (length > size) break
  }
  throw new Error(`no padding gives a record of exactly ${size} bytes`)
}

/** The canonical encoding of `fields` with one field's bytes spliced in after field `after` (raw bytes, for non-canonical vectors). */
function spliced (k: Keys, fields: RawFields, afterField: number, extra: Uint8Array): Uint8Array {
  const full = ServiceRecord.decode(encodeRecord(k.alice.publicKey, fields))
  const head: Partial<ServiceRecord> = {}
  const tail: Partial<ServiceRecord> = {}
  const order: Array<keyof ServiceRecord> = ['network', 'name', 'publicKey', 'addresses', 'metadata', 'sequence', 'issuedAt', 'expiresAt', 'withdrawn', 'admission']
  order.forEach((field, i) => {
    const target = i + 1 <= afterField ? head : tail
    ;(target as Record<string, unknown>)[field] = full[field]
  })
  // Encodings of disjoint fields in ascending order concatenate into the encoding of their union.
  return concat(ServiceRecord.encode(head), extra, ServiceRecord.encode(tail))
}

function decodedOf (k: Keys, f: RawFields): RecordVector['decoded'] {
  return {
    peerId: k.aliceId,
    network: f.network,
    name: f.name,
    addresses: f.addresses,
    metadata: JSON.parse(f.metadata),
    sequence: f.sequence.toString(),
    issuedAt: Number(f.issuedAt),
    expiresAt: Number(f.expiresAt),
    withdrawn: f.withdrawn === true
  }
}

async function recordVectors (k: Keys): Promise<RecordVector[]> {
  const out: RecordVector[] = []
  const at = { network: NETWORK, now: NOW }
  const add = (name: string, description: string, record: Uint8Array, verdict: Verdict, expect: RecordVector['expect'] = at, decoded?: RecordVector['decoded']): void => {
    out.push({ name, description, record: toHex(record), expect, verdict, ...(decoded !== undefined ? { decoded } : {}) })
  }
  const sign = async (overrides: Partial<RawFields> = {}): Promise<Uint8Array> => signFields(k.alice, baseFields(k, overrides))
  const signValid = async (name: string, description: string, overrides: Partial<RawFields> = {}, expect: RecordVector['expect'] = at): Promise<void> => {
    add(name, description, await sign(overrides), 'valid', expect, decodedOf(k, baseFields(k, overrides)))
  }
  const good = await sign()

  // Valid records, including every boundary that is still inside a rule.
  await signValid('valid', 'A well-formed record, bound to the name asked for and to its publisher.', {},
    { network: NETWORK, name: NAME, publisher: k.aliceId, now: NOW })
  await signValid('valid-withdrawn', 'A signed tombstone (withdrawn = true, encoded 48 01) is a valid record.', { withdrawn: true })
  await signValid('valid-minimal', 'No addresses, metadata "{}", sequence 0 (field absent): still valid.', { addresses: [], metadata: '{}', sequence: 0n })
  await signValid('valid-max-sequence', 'sequence = 2^64 - 1 (ten-byte varint).', { sequence: (1n << 64n) - 1n })
  await signValid('valid-max-fields', '32 addresses of 256 bytes, a 253-byte name, 64 metadata keys.', {
    name: 'N'.repeat(253),
    addresses: Array.from({ length: 32 }, (_, i) => `tcp://10.0.0.${i}:1/`.padEnd(256, 'x')),
    metadata: JSON.stringify(Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, i])))
  })
  await signValid('valid-max-lifetime', 'expiresAt - issuedAt = 3 600 000 ms exactly (one hour).', { expiresAt: NOW + MAX_LIFETIME })
  await signValid('valid-issued-within-skew', 'issuedAt = now + 30 000 ms: at the edge of the clock-skew allowance.', { issuedAt: NOW + SKEW, expiresAt: NOW + SKEW + 60_000 })
  await signValid('valid-expired-within-skew', 'now = expiresAt + 29 999 ms: expired, but within the clock-skew allowance.', {},
    { network: NETWORK, now: NOW + 60_000 + SKEW - 1 })
  {
    const atLimit = await recordOfSize(k, MAX_RECORD_BYTES)
    const f = split(atLimit).fields
    add('valid-size-at-limit', 'An encoded SignedServiceRecord of exactly 10 240 bytes.', atLimit, 'valid', at,
      decodedOf(k, { ...baseFields(k), addresses: f.addresses, metadata: f.metadata }))
  }

  // Rule 1: size.
  add('too-large', 'A correctly signed record of 10 241 bytes, one over the limit; every other rule holds.', await recordOfSize(k, MAX_RECORD_BYTES + 1), 'NETGET_ERR_RECORD_TOO_LARGE')
  add('too-large-garbage', '10 241 bytes of 0xff: the size is checked before any decoding.', new Uint8Array(MAX_RECORD_BYTES + 1).fill(0xff), 'NETGET_ERR_RECORD_TOO_LARGE')

  // Rules 2-3: decoding and canonical encoding.
  add('malformed-bytes', 'Bytes that are not a protobuf message (an unterminated varint).', bytes(0xff, 0xff, 0xff), 'NETGET_ERR_RECORD_MALFORMED')
  add('malformed-truncated', 'A valid record cut short by one byte.', good.slice(0, good.byteLength - 1), 'NETGET_ERR_RECORD_MALFORMED')
  add('malformed-inner-record', 'A signed envelope whose record field does not decode as a ServiceRecord.', await signRaw(k.alice, bytes(0xff, 0xff, 0xff), NETWORK), 'NETGET_ERR_RECORD_MALFORMED')
  add('trailing-bytes', 'A valid record followed by 28 01 (an unknown field 5 of the envelope).', concat(good, bytes(0x28, 0x01)), 'NETGET_ERR_RECORD_MALFORMED')
  add('unknown-field', 'A signed ServiceRecord carrying an unknown field 15 (78 01) at its end.',
    await signRaw(k.alice, concat(encodeRecord(k.alice.publicKey, baseFields(k)), bytes(0x78, 0x01)), NETWORK), 'NETGET_ERR_RECORD_MALFORMED')
  add('repeated-singular-field', 'A signed ServiceRecord with its network field (1) twice.',
    await signRaw(k.alice, spliced(k, baseFields(k), 1, bytes(0x0a, 0x0b, ...new TextEncoder().encode(NETWORK))), NETWORK), 'NETGET_ERR_RECORD_MALFORMED')
  add('explicit-default', 'A signed ServiceRecord that encodes withdrawn = false (48 00), which proto3 leaves out.',
    await signRaw(k.alice, spliced(k, baseFields(k), 9, bytes(0x48, 0x00)), NETWORK), 'NETGET_ERR_RECORD_MALFORMED')
  add('non-minimal-varint', 'A signed ServiceRecord whose sequence 1 is encoded 30 81 00 instead of 30 01.',
    await signRaw(k.alice, spliced(k, baseFields(k, { sequence: 0n }), 5, bytes(0x30, 0x81, 0x00)), NETWORK), 'NETGET_ERR_RECORD_MALFORMED')
  add('invalid-utf8', 'A signed ServiceRecord whose name is the invalid UTF-8 bytes ff fe.',
    await signRaw(k.alice, spliced(k, baseFields(k, { name: '' }), 1, bytes(0x12, 0x02, 0xff, 0xfe)), NETWORK), 'NETGET_ERR_RECORD_MALFORMED')
  add('too-many-addresses', 'A signed record with 33 addresses: the decoder stops at the 33rd.',
    await sign({ addresses: Array.from({ length: 33 }, (_, i) => `http://127.0.0.1:${8000 + i}`) }), 'NETGET_ERR_RECORD_MALFORMED')

  // Rules 4-7: fields.
  add('empty', 'Zero bytes: decodes to all defaults, and the empty name fails first.', new Uint8Array(0), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('name-bad-characters', 'A signed record named "bad name!" (space and "!" are outside [A-Za-z0-9._-]).', await sign({ name: 'bad name!' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('name-empty', 'A signed record with an empty name.', await sign({ name: '' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('name-too-long', 'A signed record with a 254-byte name.', await sign({ name: 'N'.repeat(254) }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('address-empty', 'A signed record with an empty address.', await sign({ addresses: ['http://127.0.0.1:8080', ''] }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('address-too-long', 'A signed record with a 257-byte address.', await sign({ addresses: ['http://127.0.0.1:8080/'.padEnd(257, 'a')] }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-array', 'A signed record whose metadata is the JSON array [1,2].', await sign({ metadata: '[1,2]' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-null', 'A signed record whose metadata is the JSON null.', await sign({ metadata: 'null' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-string', 'A signed record whose metadata is a JSON string.', await sign({ metadata: '"DatabaseService"' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-not-json', 'A signed record whose metadata does not parse as JSON.', await sign({ metadata: '{name:' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-empty', 'A signed record with empty metadata text (use "{}").', await sign({ metadata: '' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-too-many-keys', 'A signed record whose metadata has 65 keys.',
    await sign({ metadata: JSON.stringify(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]))) }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('metadata-too-large', 'A signed record whose metadata is 8 193 bytes of JSON.',
    await sign({ metadata: JSON.stringify({ p: 'x'.repeat(8193 - 8) }) }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('public-key-garbage', 'A signed record whose publicKey is 01 02 03 (not a libp2p public key).',
    await signRaw(k.alice, encodeRecord(bytes(1, 2, 3), baseFields(k)), NETWORK), 'NETGET_ERR_RECORD_BAD_FIELD')
  {
    // secp256k1 generator point G, compressed: a valid key of the wrong type.
    const g = Buffer.from('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', 'hex')
    add('public-key-not-ed25519', 'A record whose publicKey is a valid secp256k1 key (08 02 12 21 …).',
      await signRaw(k.alice, encodeRecord(concat(bytes(0x08, 0x02, 0x12, 0x21), g), baseFields(k)), NETWORK), 'NETGET_ERR_RECORD_BAD_FIELD')
  }

  // Rules 8-10: binding.
  add('wrong-network', 'A correctly signed record of network "production" checked by a development verifier.', await sign({ network: 'production' }), 'NETGET_ERR_RECORD_WRONG_NETWORK')
  add('wrong-name', 'A valid DatabaseService record returned for a DISCOVER of CacheService.', good, 'NETGET_ERR_RECORD_WRONG_NAME', { network: NETWORK, name: 'CacheService', now: NOW })
  add('wrong-publisher', 'A valid record of alice PUBLISHed by mallory (publisher ≠ signer).', good, 'NETGET_ERR_RECORD_WRONG_PUBLISHER', { network: NETWORK, publisher: k.malloryId, now: NOW })

  // Rule 11: signature.
  const { record: goodRecord, signature: goodSignature } = split(good)
  add('bad-signature-bit-flip', 'A valid record with bit 0 of the signature\'s first byte flipped.', envelope(goodRecord, flipBit(goodSignature, 0)), 'NETGET_ERR_RECORD_BAD_SIGNATURE')
  add('bad-signature-other-key', 'A record carrying alice\'s key, signed by mallory.', await signRaw(k.mallory, goodRecord, NETWORK), 'NETGET_ERR_RECORD_BAD_SIGNATURE')
  add('bad-signature-other-domain', 'A development record signed over the "netget-record:v1:production" domain.', await signRaw(k.alice, goodRecord, 'production'), 'NETGET_ERR_RECORD_BAD_SIGNATURE')
  add('bad-signature-tampered-field', 'A valid record whose sequence was raised by one after signing.',
    envelope(encodeRecord(k.alice.publicKey, baseFields(k, { sequence: baseFields(k).sequence + 1n })), goodSignature), 'NETGET_ERR_RECORD_BAD_SIGNATURE')
  add('bad-signature-short', 'A valid record whose signature lost its last byte (63 bytes).', envelope(goodRecord, goodSignature.slice(0, 63)), 'NETGET_ERR_RECORD_BAD_SIGNATURE')
  add('bad-signature-missing', 'A valid record with no signature at all.', envelope(goodRecord, new Uint8Array(0)), 'NETGET_ERR_RECORD_BAD_SIGNATURE')

  // Rules 12-14: time.
  add('future', 'issuedAt = now + 30 001 ms: one past the clock-skew allowance.', await sign({ issuedAt: NOW + SKEW + 1, expiresAt: NOW + SKEW + 1 + 60_000 }), 'NETGET_ERR_RECORD_FUTURE')
  add('lifetime-too-long', 'expiresAt - issuedAt = 3 600 001 ms.', await sign({ expiresAt: NOW + MAX_LIFETIME + 1 }), 'NETGET_ERR_RECORD_LIFETIME')
  add('lifetime-zero', 'expiresAt = issuedAt.', await sign({ expiresAt: NOW }), 'NETGET_ERR_RECORD_LIFETIME')
  add('lifetime-negative', 'expiresAt before issuedAt.', await sign({ expiresAt: NOW - 1 }), 'NETGET_ERR_RECORD_LIFETIME')
  add('expired', 'now = expiresAt + 30 000 ms: just past the allowance.', good, 'NETGET_ERR_RECORD_EXPIRED', { network: NETWORK, now: NOW + 60_000 + SKEW })
  add('expired-long-ago', 'A record that expired a day before now.', good, 'NETGET_ERR_RECORD_EXPIRED', { network: NETWORK, now: NOW + 86_400_000 })

  // Rule order: the first failing rule is the error.
  add('order-network-before-signature', 'A production record, signed by mallory over alice\'s key: WRONG_NETWORK comes before BAD_SIGNATURE.',
    await signRaw(k.mallory, encodeRecord(k.alice.publicKey, baseFields(k, { network: 'production' })), 'production'), 'NETGET_ERR_RECORD_WRONG_NETWORK')
  add('order-publisher-before-signature', 'A forged record (bad signature) PUBLISHed by mallory: WRONG_PUBLISHER comes before BAD_SIGNATURE.',
    envelope(goodRecord, flipBit(goodSignature, 0)), 'NETGET_ERR_RECORD_WRONG_PUBLISHER', { network: NETWORK, publisher: k.malloryId, now: NOW })
  add('order-signature-before-time', 'An expired record with a flipped signature bit: BAD_SIGNATURE comes before EXPIRED.',
    envelope(goodRecord, flipBit(goodSignature, 0)), 'NETGET_ERR_RECORD_BAD_SIGNATURE', { network: NETWORK, now: NOW + 86_400_000 })
  add('order-field-before-network', 'A production record with a bad name: BAD_FIELD comes before WRONG_NETWORK.',
    await sign({ network: 'production', name: 'bad name!' }), 'NETGET_ERR_RECORD_BAD_FIELD')
  add('order-future-before-lifetime', 'Issued in the future with a two-hour lifetime: FUTURE comes before LIFETIME.',
    await sign({ issuedAt: NOW + 600_000, expiresAt: NOW + 600_000 + 2 * MAX_LIFETIME }), 'NETGET_ERR_RECORD_FUTURE')
  add('order-lifetime-before-expired', 'An expired record with a two-hour lifetime: LIFETIME comes before EXPIRED.',
    await sign({ expiresAt: NOW + 2 * MAX_LIFETIME }), 'NETGET_ERR_RECORD_LIFETIME', { network: NETWORK, now: NOW + 3 * MAX_LIFETIME })
  return out
}

/** Selection as the spec states it, written independently of src/: sequence, then expiresAt, then smaller bytes. */
function specWinner (a: Uint8Array, b: Uint8Array): 'a' | 'b' | 'equal' {
  if (Buffer.compare(a, b) === 0) return 'equal'
  const fa = split(a).fields
  const fb = split(b).fields
  if (fa.sequence !== fb.sequence) return fa.sequence > fb.sequence ? 'a' : 'b'
  if (fa.expiresAt !== fb.expiresAt) return fa.expiresAt > fb.expiresAt ? 'a' : 'b'
  return Buffer.compare(a, b) < 0 ? 'a' : 'b'
}

async function selectionVectors (k: Keys): Promise<SelectionVector[]> {
  const out: SelectionVector[] = []
  const sign = async (overrides: Partial<RawFields>): Promise<Uint8Array> => signFields(k.alice, baseFields(k, overrides))
  const add = (name: string, description: string, a: Uint8Array, b: Uint8Array, expected: 'a' | 'b' | 'equal'): void => {
    const winner = specWinner(a, b)
    if (winner !== expected) throw new Error(`selection vector ${name}: the spec picks ${winner}, the vector says ${expected}`)
    const storeVerdictWhenBArrivesAfterA: StoreVerdict = winner === 'b' ? 'stored' : winner === 'equal' ? 'unchanged' : 'NETGET_ERR_RECORD_STALE'
    out.push({ name, description, network: NETWORK, now: NOW, a: toHex(a), b: toHex(b), winner, storeVerdictWhenBArrivesAfterA })
  }
  const s10 = await sign({ sequence: 10n })
  const s9 = await sign({ sequence: 9n })
  const s11 = await sign({ sequence: 11n })
  add('newer-sequence-after-older', 'sequence 11 arrives after sequence 10: it replaces it.', s10, s11, 'b')
  add('older-sequence-after-newer', 'sequence 9 arrives after sequence 10 (a replay of an old record): refused, 10 stays.', s10, s9, 'a')
  add('same-record-twice', 'The same bytes again (a republish of an unchanged record): nothing changes.', s10, s10, 'equal')
  add('same-sequence-later-expiry', 'Equal sequence, b expires later: b wins.', s10, await sign({ sequence: 10n, expiresAt: NOW + 120_000 }), 'b')
  add('same-sequence-earlier-expiry', 'Equal sequence, b expires sooner: a stays.', s10, await sign({ sequence: 10n, expiresAt: NOW + 30_000 }), 'a')
  add('higher-sequence-shorter-lease', 'b has the higher sequence but expires much sooner: sequence decides.',
    await sign({ sequence: 10n, expiresAt: NOW + MAX_LIFETIME }), await sign({ sequence: 11n, expiresAt: NOW + 1000 }), 'b')
  add('lower-sequence-longer-lease', 'b has a lower sequence but expires much later: sequence decides, b is stale.',
    await sign({ sequence: 11n, expiresAt: NOW + 1000 }), await sign({ sequence: 10n, expiresAt: NOW + MAX_LIFETIME }), 'a')
  {
    // Equal sequence and expiry: the smaller encoded SignedServiceRecord wins, in either arrival order.
    const x = await sign({ sequence: 12n, metadata: JSON.stringify({ name: NAME, v: 'x' }) })
    const y = await sign({ sequence: 12n, metadata: JSON.stringify({ name: NAME, v: 'y' }) })
    const [small, large] = Buffer.compare(x, y) < 0 ? [x, y] : [y, x]
    add('tie-break-smaller-bytes-arrives-second', 'Equal sequence and expiry: the record with the smaller bytes wins (it arrives second).', large, small, 'b')
    add('tie-break-larger-bytes-arrives-second', 'Equal sequence and expiry: the record with the larger bytes loses (it arrives second).', small, large, 'a')
  }
  add('tombstone-after-live', 'A withdrawal (sequence 11, withdrawn) after the live record 10: stored, the instance leaves.', s10, await sign({ sequence: 11n, withdrawn: true }), 'b')
  add('live-after-tombstone', 'The old live record 10 replayed after the withdrawal 11: refused, no resurrection.', await sign({ sequence: 11n, withdrawn: true }), s10, 'a')
  add('sequence-beyond-2^53', 'Sequences 2^53 + 1 then 2^53 (equal as JS numbers): compared as 64-bit integers.',
    await sign({ sequence: 9_007_199_254_740_993n }), await sign({ sequence: 9_007_199_254_740_992n }), 'a')
  add('sequence-max-then-zero', 'sequence 2^64 - 1 then 0: no wrap-around.', await sign({ sequence: (1n << 64n) - 1n }), await sign({ sequence: 0n }), 'a')
  return out
}

export async function buildVectors (): Promise<Vectors> {
  const k = await keys()
  return { records: await recordVectors(k), selection: await selectionVectors(k) }
}

/** The file contents, keyed by path relative to the repository root. */
export async function buildFiles (): Promise<Record<string, string>> {
  const { records, selection } = await buildVectors()
  return {
    'test/vectors/service-records.json': JSON.stringify(records, null, 2) + '\n',
    'test/vectors/selection.json': JSON.stringify(selection, null, 2) + '\n'
  }
}

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const [path, content] of Object.entries(await buildFiles())) {
    const target = join(REPO_ROOT, path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
    process.stdout.write(`wrote ${path} (${content.length} bytes)\n`)
  }
}
