/**
 * ServiceRecord: create, sign, open (decode + verify every rule), all pure.
 * Bytes in, a typed value or a RecordValidationError out; nothing here knows of libp2p nodes.
 * Rules and their order: protocols/service-record.md.
 */
import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { ServiceRecord as ServiceRecordPb, SignedServiceRecord as SignedServiceRecordPb } from '../../protocols/service-record.js'
import {
  CLOCK_SKEW_MS, MAX_ADDRESS_BYTES, MAX_ADDRESSES, MAX_METADATA_BYTES, MAX_METADATA_KEYS, MAX_NAME_BYTES,
  MAX_RECORD_BYTES, MAX_RECORD_LIFETIME_MS, NAME_PATTERN, recordSignatureDomain
} from '../constants.js'
import { AdmissionError, RecordErrorCodes, RecordValidationError } from '../errors.js'
import { allowsService, checkValidity, verifyCertificate } from '../security/admission.js'
import { signWithDomain, verifyWithDomain } from '../util/signing.js'
import type { RecordErrorCode } from '../errors.js'
import type { VerifiedAdmission } from '../security/admission.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export type Metadata = Record<string, unknown>

/** What a publisher puts in a record. */
export interface RecordFields {
  network: string
  name: string
  addresses: string[]
  metadata: Metadata
  sequence: bigint
  issuedAt: number
  expiresAt: number
  withdrawn?: boolean
  /** Closed networks: the publisher's encoded AdmissionCertificate. */
  admission?: Uint8Array
}

/** A record that passed every rule. `bytes` is the SignedServiceRecord exactly as received. */
export interface VerifiedRecord {
  peerId: string
  network: string
  name: string
  addresses: string[]
  metadata: Metadata
  sequence: bigint
  issuedAt: number
  expiresAt: number
  withdrawn: boolean
  bytes: Uint8Array
  /** The encoded admission certificate carried by the record (empty on open networks). */
  admissionBytes: Uint8Array
  /** Set once the certificate was verified against a network's authority. */
  admission?: VerifiedAdmission
}

/** What the verifier expects; each given field is a binding rule. */
export interface RecordExpectations {
  /** The network of the protocol the record came over. */
  network: string
  /** The name that was asked for or published, when known. */
  name?: string
  /** Peer id of the peer that sent a PUBLISH: only the instance itself may publish its record. */
  publisher?: string
  /** Current time in ms (for tests); defaults to Date.now(). */
  now?: number
  /** Accept records that expired already (used only to compare against a held record). */
  allowExpired?: boolean
  /** Closed network: the authority whose certificate must admit the publisher for this name. */
  authority?: PublicKey
}

const encoder = new TextEncoder()

const byteLength = (s: string): number => encoder.encode(s).byteLength


function fail (code: RecordErrorCode, message: string): never {
  throw new RecordValidationError(code, message)
}

/** Checks a service name; used for records and for names given to the API. */
export function checkName (name: string, what = 'name'): void {
  if (name.length === 0 || byteLength(name) > MAX_NAME_BYTES || !NAME_PATTERN.test(name)) {
    fail(RecordErrorCodes.BAD_FIELD, `${what} must be 1–${MAX_NAME_BYTES} bytes of [A-Za-z0-9._-], got ${JSON.stringify(name.slice(0, 64))}`)
  }
}

/**
 * `metadata.name`, when present, is the record's `name`: a record served for one name must not describe itself as
 * another (an API user reads `metadata.name` as the service name). Not checked on a withdrawal, which is never
 * served as an instance: nodes from before this rule withdraw a renamed record with its new name, and a registry that
 * refused that tombstone would serve the old record until its lease ends (rolling upgrades).
 */
function checkMetadataName (metadata: Metadata, name: string, withdrawn: boolean): void {
  if (withdrawn) return
  if (Object.hasOwn(metadata, 'name') && metadata.name !== name) {
    fail(RecordErrorCodes.BAD_FIELD, `metadata.name ${JSON.stringify(String(metadata.name).slice(0, 64))} differs from the record's name ${JSON.stringify(name)}`)
  }
}

/** Checks the structural rules that do not depend on keys or time. */
export function checkFields (fields: Pick<RecordFields, 'name' | 'addresses' | 'metadata'> & { withdrawn?: boolean }): string {
  checkName(fields.name)
  if (fields.addresses.length > MAX_ADDRESSES) {
    fail(RecordErrorCodes.BAD_FIELD, `at most ${MAX_ADDRESSES} addresses, got ${fields.addresses.length}`)
  }
  for (const address of fields.addresses) {
    if (address.length === 0 || byteLength(address) > MAX_ADDRESS_BYTES) {
      fail(RecordErrorCodes.BAD_FIELD, `each address must be 1–${MAX_ADDRESS_BYTES} bytes`)
    }
  }
  if (fields.metadata === null || typeof fields.metadata !== 'object' || Array.isArray(fields.metadata)) {
    fail(RecordErrorCodes.BAD_FIELD, 'metadata must be a JSON object')
  }
  if (Object.keys(fields.metadata).length > MAX_METADATA_KEYS) {
    fail(RecordErrorCodes.BAD_FIELD, `metadata may have at most ${MAX_METADATA_KEYS} keys`)
  }
  checkMetadataName(fields.metadata, fields.name, fields.withdrawn === true)
  let json: string
  try {
    json = JSON.stringify(fields.metadata)
  } catch (err) {
    fail(RecordErrorCodes.BAD_FIELD, `metadata is not serialisable as JSON: ${(err as Error).message}`)
  }
  if (byteLength(json) > MAX_METADATA_BYTES) {
    fail(RecordErrorCodes.BAD_FIELD, `metadata JSON is ${byteLength(json)} bytes, more than ${MAX_METADATA_BYTES}`)
  }
  return json
}

/** Builds and signs a record; returns the encoded SignedServiceRecord. Throws on fields that would be refused. */
export async function signRecord (privateKey: PrivateKey, fields: RecordFields): Promise<Uint8Array> {
  const metadata = checkFields(fields)
  const record = ServiceRecordPb.encode({
    network: fields.network,
    name: fields.name,
    publicKey: publicKeyToProtobuf(privateKey.publicKey) as Uint8Array<ArrayBuffer>,
    addresses: fields.addresses,
    metadata,
    sequence: fields.sequence,
    issuedAt: BigInt(fields.issuedAt),
    expiresAt: BigInt(fields.expiresAt),
    withdrawn: fields.withdrawn === true,
    admission: (fields.admission ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
  })
  const signature = await signWithDomain(privateKey, recordSignatureDomain(fields.network), record)
  const bytes = SignedServiceRecordPb.encode({ record, signature: signature as Uint8Array<ArrayBuffer> })
  if (bytes.byteLength > MAX_RECORD_BYTES) {
    fail(RecordErrorCodes.TOO_LARGE, `record is ${bytes.byteLength} bytes, more than ${MAX_RECORD_BYTES}`)
  }
  return bytes
}

function decodeEnvelope (bytes: Uint8Array): { record: Uint8Array, signature: Uint8Array, fields: ServiceRecordPb } {
  let envelope: SignedServiceRecordPb
  let fields: ServiceRecordPb
  try {
    envelope = SignedServiceRecordPb.decode(bytes)
    fields = ServiceRecordPb.decode(envelope.record, { limits: { addresses: MAX_ADDRESSES } })
  } catch (err) {
    fail(RecordErrorCodes.MALFORMED, `record does not decode: ${(err as Error).message}`)
  }
  // One record has one encoding: unknown fields, duplicates or trailing bytes would let two byte strings
  // carry one signature's meaning differently across implementations.
  if (!uint8ArrayEquals(SignedServiceRecordPb.encode(envelope), bytes) || !uint8ArrayEquals(ServiceRecordPb.encode(fields), envelope.record)) {
    fail(RecordErrorCodes.MALFORMED, 'record is not in canonical encoding (unknown fields, repeated fields or trailing bytes)')
  }
  return { record: envelope.record, signature: envelope.signature, fields }
}

function parseMetadata (json: string): Record<string, unknown> {
  if (byteLength(json) > MAX_METADATA_BYTES) {
    fail(RecordErrorCodes.BAD_FIELD, `metadata JSON is more than ${MAX_METADATA_BYTES} bytes`)
  }
  let metadata: unknown
  try {
    metadata = JSON.parse(json)
  } catch {
    fail(RecordErrorCodes.BAD_FIELD, 'metadata is not valid JSON')
  }
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
    fail(RecordErrorCodes.BAD_FIELD, 'metadata must be a JSON object')
  }
  return metadata as Record<string, unknown>
}

function parsePublicKey (bytes: Uint8Array): PublicKey {
  let key: PublicKey
  try {
    key = publicKeyFromProtobuf(bytes)
  } catch (err) {
    fail(RecordErrorCodes.BAD_FIELD, `publicKey does not decode: ${(err as Error).message}`)
  }
  if (key.type !== 'Ed25519') {
    fail(RecordErrorCodes.BAD_FIELD, `publicKey must be Ed25519, got ${key.type}`)
  }
  return key
}

/** Remembers records whose structure and signature were verified, per exact byte string. */
export interface VerifiedBytesCache {
  get(key: string): VerifiedRecord | undefined
  set(key: string, record: VerifiedRecord): void
}

/**
 * Decodes and verifies a SignedServiceRecord against every rule, the first failure winning:
 * size, structure, binding (network, name, publisher), signature, time.
 * With a cache, bytes verified before skip decoding and the signature check (they depend on the bytes
 * only); binding and time rules run on every call.
 */
export async function openRecord (bytes: Uint8Array, expect: RecordExpectations, cache?: VerifiedBytesCache): Promise<VerifiedRecord> {
  if (bytes.byteLength > MAX_RECORD_BYTES) {
    fail(RecordErrorCodes.TOO_LARGE, `record is ${bytes.byteLength} bytes, more than ${MAX_RECORD_BYTES}`)
  }
  const key = cache === undefined ? '' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
  const known = cache?.get(key)
  if (known !== undefined) {
    checkBinding(known, expect)
    await checkAdmission(known, expect)
    checkTime(known, expect)
    return known
  }
  const { record: signed, signature, fields } = decodeEnvelope(bytes)
  checkName(fields.name)
  if (fields.addresses.length > MAX_ADDRESSES || fields.addresses.some(a => a.length === 0 || byteLength(a) > MAX_ADDRESS_BYTES)) {
    fail(RecordErrorCodes.BAD_FIELD, `at most ${MAX_ADDRESSES} addresses of 1–${MAX_ADDRESS_BYTES} bytes`)
  }
  const metadata = parseMetadata(fields.metadata)
  if (Object.keys(metadata).length > MAX_METADATA_KEYS) {
    fail(RecordErrorCodes.BAD_FIELD, `metadata may have at most ${MAX_METADATA_KEYS} keys`)
  }
  checkMetadataName(metadata, fields.name, fields.withdrawn)
  const publicKey = parsePublicKey(fields.publicKey)
  const record: VerifiedRecord = {
    peerId: peerIdFromPublicKey(publicKey).toString(),
    network: fields.network,
    name: fields.name,
    addresses: fields.addresses,
    metadata,
    sequence: fields.sequence,
    issuedAt: Number(fields.issuedAt),
    expiresAt: Number(fields.expiresAt),
    withdrawn: fields.withdrawn,
    bytes,
    admissionBytes: fields.admission
  }
  checkBinding(record, expect)
  const valid = await verifyWithDomain(publicKey, recordSignatureDomain(fields.network), signed, signature)
  if (!valid) fail(RecordErrorCodes.BAD_SIGNATURE, `signature does not verify with the key of ${record.peerId}`)
  await checkAdmission(record, expect)
  checkTime(record, expect)
  cache?.set(key, record)
  return record
}

function checkBinding (record: VerifiedRecord, expect: RecordExpectations): void {
  if (record.network !== expect.network) {
    fail(RecordErrorCodes.WRONG_NETWORK, `record is for network "${record.network.slice(0, 64)}", expected "${expect.network}"`)
  }
  if (expect.name !== undefined && record.name !== expect.name) {
    fail(RecordErrorCodes.WRONG_NAME, `record names "${record.name}", expected "${expect.name}"`)
  }
  if (expect.publisher !== undefined && record.peerId !== expect.publisher) {
    fail(RecordErrorCodes.WRONG_PUBLISHER, `record is signed by ${record.peerId} but was published by ${expect.publisher}`)
  }
}

/**
 * Closed networks: the record must carry a certificate from the network's authority that admits its publisher
 * (as a service or registry) for its name. A verified certificate is kept on the record; its time is re-checked.
 */
async function checkAdmission (record: VerifiedRecord, expect: RecordExpectations): Promise<void> {
  if (expect.authority === undefined) return
  let admission = record.admission
  if (admission === undefined || !uint8ArrayEquals(admission.authority, publicKeyToProtobuf(expect.authority))) {
    try {
      admission = await verifyCertificate(record.admissionBytes, { authority: expect.authority, network: record.network, subject: record.peerId, now: expect.now })
    } catch (err) {
      if (err instanceof AdmissionError) fail(err.code, `record of ${record.name} by ${record.peerId}: ${err.message}`)
      throw err
    }
    record.admission = admission
  }
  try {
    checkValidity(admission, expect.now)
  } catch (err) {
    fail((err as AdmissionError).code, (err as Error).message)
  }
  if (admission.role === 'client') fail(RecordErrorCodes.ADMISSION_ROLE, `${record.peerId} is admitted as a client and may not publish`)
  if (!allowsService(admission, record.name)) fail(RecordErrorCodes.ADMISSION_NAME, `${record.peerId} is not admitted to publish "${record.name}"`)
}

function checkTime (record: VerifiedRecord, expect: RecordExpectations): void {
  const now = expect.now ?? Date.now()
  const { issuedAt, expiresAt } = record
  if (issuedAt > now + CLOCK_SKEW_MS) {
    fail(RecordErrorCodes.FUTURE, `record is issued ${issuedAt - now} ms in the future (allowed skew ${CLOCK_SKEW_MS} ms)`)
  }
  if (expiresAt <= issuedAt || expiresAt - issuedAt > MAX_RECORD_LIFETIME_MS) {
    fail(RecordErrorCodes.LIFETIME, `record lifetime must be within (0, ${MAX_RECORD_LIFETIME_MS}] ms, got ${expiresAt - issuedAt} ms`)
  }
  if (expect.allowExpired !== true && expiresAt + CLOCK_SKEW_MS <= now) {
    fail(RecordErrorCodes.EXPIRED, `record expired ${now - expiresAt} ms ago`)
  }
}

/**
 * Selection between two records of one (name, publisher): higher sequence, then later expiry,
 * then the smaller signed bytes (lexicographic), a deterministic tie-break every peer agrees on.
 * Returns a positive number when `a` wins, negative when `b` wins, 0 when they are the same record.
 */
export function compareRecords (a: VerifiedRecord, b: VerifiedRecord): number {
  if (a.sequence !== b.sequence) return a.sequence > b.sequence ? 1 : -1
  if (a.expiresAt !== b.expiresAt) return a.expiresAt > b.expiresAt ? 1 : -1
  return compareBytes(b.bytes, a.bytes)
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.byteLength - b.byteLength
}

/** Expiry check with the clock-skew allowance used everywhere. */
export function isLive (record: VerifiedRecord, now = Date.now()): boolean {
  return record.expiresAt + CLOCK_SKEW_MS > now
}
