/**
 * Builds service records that `signRecord` refuses to build: any field values, any ServiceRecord bytes,
 * signed by any key for any network's domain, or not signed at all. For test vectors and adversarial tests.
 * Nothing here checks a rule: that is the point.
 */
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import * as varint from 'uint8-varint'
import { ServiceRecord, SignedServiceRecord } from '../../protocols/service-record.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/** ServiceRecord values as numbers and strings; `metadata` is the JSON text exactly as it goes on the wire. */
export interface RawFields {
  network: string
  name: string
  addresses: string[]
  metadata: string
  sequence: bigint
  issuedAt: number | bigint
  expiresAt: number | bigint
  withdrawn?: boolean
}

/** Encodes a ServiceRecord (canonical protons encoding) carrying `publicKey`, without any check. */
export function encodeRecord (publicKey: PublicKey | Uint8Array, fields: RawFields): Uint8Array {
  return ServiceRecord.encode({
    network: fields.network,
    name: fields.name,
    publicKey: (publicKey instanceof Uint8Array ? publicKey : publicKeyToProtobuf(publicKey)) as Uint8Array<ArrayBuffer>,
    addresses: fields.addresses,
    metadata: fields.metadata,
    sequence: fields.sequence,
    issuedAt: BigInt(fields.issuedAt),
    expiresAt: BigInt(fields.expiresAt),
    withdrawn: fields.withdrawn === true
  })
}

/** The bytes a record signature covers: varint(len(domain)) || domain || record (protocols/service-record.md). */
export function signedPayload (network: string, record: Uint8Array): Uint8Array {
  const domain = new TextEncoder().encode(`netget-record:v1:${network}`)
  const out = new Uint8Array(varint.encodingLength(domain.byteLength) + domain.byteLength + record.byteLength)
  varint.encodeUint8Array(domain.byteLength, out)
  out.set(domain, varint.encodingLength(domain.byteLength))
  out.set(record, out.byteLength - record.byteLength)
  return out
}

/** Wraps record bytes and a signature into an encoded SignedServiceRecord. */
export function envelope (record: Uint8Array, signature: Uint8Array): Uint8Array {
  return SignedServiceRecord.encode({ record: record as Uint8Array<ArrayBuffer>, signature: signature as Uint8Array<ArrayBuffer> })
}

/** Signs arbitrary ServiceRecord bytes with `key` for `domainNetwork`'s domain; returns the SignedServiceRecord. */
export async function signRaw (key: PrivateKey, record: Uint8Array, domainNetwork: string): Promise<Uint8Array> {
  return envelope(record, await key.sign(signedPayload(domainNetwork, record)))
}

/** Encodes `fields` with `key`'s public key and signs them for the record's own network. */
export async function signFields (key: PrivateKey, fields: RawFields): Promise<Uint8Array> {
  return signRaw(key, encodeRecord(key.publicKey, fields), fields.network)
}

/** The envelope's parts and the decoded ServiceRecord. */
export function split (signed: Uint8Array): { record: Uint8Array, signature: Uint8Array, fields: ServiceRecord } {
  const { record, signature } = SignedServiceRecord.decode(signed)
  return { record, signature, fields: ServiceRecord.decode(record) }
}

/** Copy of `bytes` with bit `bit` (0 = least significant) of byte `at` flipped. */
export function flipBit (bytes: Uint8Array, at: number, bit = 0): Uint8Array {
  const out = new Uint8Array(bytes)
  out[at] ^= 1 << bit
  return out
}

/** `s` with bit 0 of its character at `at` flipped (ASCII stays ASCII). */
export function flipChar (s: string, at: number): string {
  const i = at < 0 ? s.length + at : at
  return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ 1) + s.slice(i + 1)
}

/**
 * Re-encodes a signed record with one field changed and the ORIGINAL signature: a forgery.
 * The change is applied to the decoded ServiceRecord, which is re-encoded canonically.
 */
export function tamper (signed: Uint8Array, change: (fields: ServiceRecord) => ServiceRecord): Uint8Array {
  const { signature, fields } = split(signed)
  return envelope(ServiceRecord.encode(change(fields)), signature)
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'))
