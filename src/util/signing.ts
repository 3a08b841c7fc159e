/**
 * Domain-separated Ed25519 signatures, as libp2p signed envelopes do: what is signed is
 * varint(len(domain)) ‖ domain ‖ payload, so a signature made for one purpose (a record of one network, an
 * admission certificate) is never valid for another.
 */
import * as varint from 'uint8-varint'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export const ED25519_SIGNATURE_BYTES = 64

function signedPayload (domain: string, payload: Uint8Array): Uint8Array {
  const domainBytes = uint8ArrayFromString(domain)
  return uint8ArrayConcat([varint.encode(domainBytes.byteLength), domainBytes, payload])
}

export async function signWithDomain (key: PrivateKey, domain: string, payload: Uint8Array): Promise<Uint8Array> {
  return key.sign(signedPayload(domain, payload))
}

/** False for any signature that does not verify, malformed ones included (never throws). */
export async function verifyWithDomain (key: PublicKey, domain: string, payload: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.byteLength !== ED25519_SIGNATURE_BYTES) return false
  try {
    return await key.verify(signedPayload(domain, payload), signature)
  } catch {
    return false
  }
}
