/**
 * Positions in the Kademlia key space, as kad-dht computes them: a peer sits at sha256(its peer id multihash),
 * a key at sha256(key). Synchronous (node:crypto): lookups sort candidates on every answer.
 */
import { createHash } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'

/** Bytes of a position (sha256). */
export const POSITION_BYTES = 32

const peerPositions = new Map<string, Uint8Array>()
/** Positions are cheap to recompute; a daemon must not grow without bound. */
const MAX_MEMO = 10_000

export function sha256 (bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/** A peer's position; `peerId` is its string form or a parsed PeerId. */
export function peerPosition (peerId: string | PeerId): Uint8Array {
  const id = peerId.toString()
  let position = peerPositions.get(id)
  if (position === undefined) {
    const parsed = typeof peerId === 'string' ? peerIdFromString(peerId) : peerId
    position = sha256(parsed.toMultihash().bytes)
    if (peerPositions.size >= MAX_MEMO) peerPositions.clear()
    peerPositions.set(id, position)
  }
  return position
}

/** A DHT key's position (the service key's position is keyPosition(serviceKey(network, name))). */
export function keyPosition (key: Uint8Array): Uint8Array {
  return sha256(key)
}

/** Negative when `a` is closer to `target` than `b` by XOR distance, positive when farther, 0 when equal. */
export function compareDistance (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const da = a[i] ^ target[i]
    const db = b[i] ^ target[i]
    if (da !== db) return da - db
  }
  return 0
}

/** Length of the common prefix of `a` and `b` in bits (256 when equal): a k-bucket index. */
export function commonPrefixBits (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ^ b[i]
    if (x !== 0) return i * 8 + Math.clz32(x) - 24
  }
  return a.length * 8
}

const servicePositions = new Map<string, Uint8Array>()
const encoder = new TextEncoder()

/** The position of a service's key, sha256(sha256("netget/v1/<network>/<name>")): where its records live. */
export function servicePosition (network: string, name: string): Uint8Array {
  const id = `${network}/${name}`
  let position = servicePositions.get(id)
  if (position === undefined) {
    position = keyPosition(sha256(encoder.encode(`netget/v1/${network}/${name}`)))
    if (servicePositions.size >= MAX_MEMO) servicePositions.clear()
    servicePositions.set(id, position)
  }
  return position
}
