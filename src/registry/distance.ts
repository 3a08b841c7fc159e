/**
 * Kademlia XOR distance, with kad-dht's key space: a peer's position is sha256 of its peer id multihash.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from 'multiformats/hashes/sha2'

const positions = new Map<string, Uint8Array>()

export async function kadPosition (peerId: string): Promise<Uint8Array> {
  let position = positions.get(peerId)
  if (position === undefined) {
    position = (await sha256.digest(peerIdFromString(peerId).toMultihash().bytes)).digest
    // Bounded memo: positions are cheap to recompute, unbounded growth is not acceptable in a daemon.
    if (positions.size > 10_000) positions.clear()
    positions.set(peerId, position)
  }
  return position
}

function compareDistance (key: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < key.length; i++) {
    const da = a[i] ^ key[i]
    const db = b[i] ^ key[i]
    if (da !== db) return da - db
  }
  return 0
}

/**
 * The `count` peers closest to DHT key `key`, nearest first. As in kad-dht, a key's position in the key space is
 * sha256(key), so this ranks peers exactly as a getClosestPeers(key) walk does.
 */
export async function closestTo (key: Uint8Array, peerIds: Iterable<string>, count: number): Promise<string[]> {
  const target = (await sha256.digest(key)).digest
  const unique = [...new Set(peerIds)]
  const withPositions = await Promise.all(unique.map(async id => ({ id, position: await kadPosition(id) })))
  withPositions.sort((a, b) => compareDistance(target, a.position, b.position))
  return withPositions.slice(0, count).map(p => p.id)
}
