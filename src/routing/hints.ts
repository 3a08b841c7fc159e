/**
 * Closer-registry hints on the wire (`RegistryPeer`): encoding a table entry, and decoding what a registry
 * sent, which is untrusted: a hint that does not parse is dropped, never an error of the whole answer.
 */
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { MAX_FIND_HINTS } from '../constants.js'
import { MAX_ADDRS } from './registry-table.js'
import { peerPosition } from './position.js'
import { BoundedMap } from '../util/bounded-map.js'
import type { RegistryPeer } from '../../protocols/registry.js'
import type { TableEntry } from './registry-table.js'
import type { Hint } from './walk.js'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Bytes of one multiaddr in a hint at most (as MAX_ADDRESS_BYTES of records). */
const MAX_ADDR_BYTES = 256
/** A peer id multihash is at most this long (an inlined Ed25519/secp256k1 key or a sha256 hash). */
const MAX_ID_BYTES = 64

const encoded = new WeakMap<TableEntry, { addrs: Multiaddr[], peer: RegistryPeer }>()

export function encodeHint (entry: TableEntry): RegistryPeer {
  const held = encoded.get(entry)
  // Addresses change rarely; the encoding is kept until they do (answers list the same registries again and again).
  if (held !== undefined && held.addrs === entry.addrs) return held.peer
  const peer: RegistryPeer = {
    id: peerIdFromString(entry.id).toMultihash().bytes as Uint8Array<ArrayBuffer>,
    addrs: entry.addrs.map(ma => ma.bytes as Uint8Array<ArrayBuffer>)
  }
  encoded.set(entry, { addrs: entry.addrs, peer })
  return peer
}

/**
 * Parsed hints by their exact bytes: answers name the same registries again and again, and parsing their
 * multiaddrs showed in profiles of registries at rest. Bounded; a parse that failed is remembered as null.
 */
const MAX_PARSED = 4096
const parsed = new BoundedMap<string, Hint | null>(MAX_PARSED)

/** Hints from an answer: parsed, deduplicated, without `exclude`d ids; malformed ones dropped. */
export function decodeHints (peers: RegistryPeer[], exclude: (id: string) => boolean): Hint[] {
  const out: Hint[] = []
  const seen = new Set<string>()
  for (const peer of peers.slice(0, MAX_FIND_HINTS)) {
    // Only hints within the limits are remembered, so the memo stays small whatever a peer sends.
    const key = withinLimits(peer) ? bytesKey(peer) : undefined
    let hint = key === undefined ? undefined : parsed.get(key)
    if (hint === undefined) {
      hint = parseHint(peer)
      if (key !== undefined) {
        parsed.set(key, hint)
      }
    }
    if (hint === null || seen.has(hint.id) || exclude(hint.id)) continue
    seen.add(hint.id)
    out.push(hint)
  }
  return out
}

function withinLimits (peer: RegistryPeer): boolean {
  return peer.id.byteLength <= MAX_ID_BYTES && peer.addrs.length <= MAX_ADDRS && peer.addrs.every(a => a.byteLength <= MAX_ADDR_BYTES)
}

/** The hint's exact bytes as a string ('\u0100' cannot occur in latin1 text, so the parts stay apart). */
function bytesKey (peer: RegistryPeer): string {
  let key = Buffer.from(peer.id.buffer, peer.id.byteOffset, peer.id.byteLength).toString('latin1')
  for (const addr of peer.addrs) key += '\u0100' + Buffer.from(addr.buffer, addr.byteOffset, addr.byteLength).toString('latin1')
  return key
}

/** One hint, or null when its id does not parse. Addresses that do not parse are dropped. */
function parseHint (peer: RegistryPeer): Hint | null {
  if (peer.id.byteLength === 0 || peer.id.byteLength > MAX_ID_BYTES) return null
  let id: string
  let position: Uint8Array
  try {
    id = peerIdFromMultihash(Digest.decode(peer.id)).toString()
    // A multihash can make a peer id whose text does not parse back (a sha256 digest of 6 bytes, say); every
    // later use goes through the text, so such an id is no peer (found by the fuzzer).
    position = peerPosition(id)
  } catch {
    return null
  }
  const addrs: Multiaddr[] = []
  for (const bytes of peer.addrs.slice(0, MAX_ADDRS)) {
    if (bytes.byteLength === 0 || bytes.byteLength > MAX_ADDR_BYTES) continue
    try {
      const ma = multiaddr(bytes)
      // A hint names where to dial a peer; a /p2p inside would name another peer (or a relay): not taken.
      if (ma.getComponents().some(c => c.name === 'p2p' || c.name === 'p2p-circuit')) continue
      addrs.push(ma)
    } catch {
      // An address that does not decode is skipped; the hint's other addresses still count.
    }
  }
  return { id, position, addrs }
}
