/**
 * The registries a node knows, with their addresses, in Kademlia k-buckets around the node's own position.
 * Fed by identify (peers that serve the registry protocol), by the configured registries, and by the closer
 * registries that answers name (hints, unverified until they answer a request themselves). Lookups seed from
 * it; registries answer `closer` from it.
 *
 * A bucket keeps at most `bucketSize` registries; a full bucket takes a verified registry in place of an
 * unverified or failing one, and otherwise keeps what it has (old, live contacts are the most reliable ones,
 * as in Kademlia). Configured registries are never evicted.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { commonPrefixBits, compareDistance, peerPosition } from './position.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface TableEntry {
  id: string
  peerId: PeerId
  position: Uint8Array
  /** Dialable addresses (without /p2p), newest source first; at most MAX_ADDRS. */
  addrs: Multiaddr[]
  /** Proven a registry: identified with the registry protocol, or answered a registry request. */
  verified: boolean
  /** Given in registryNodes: kept whatever happens (until removeRegistryNode). */
  configured: boolean
  /** Failed requests in a row. */
  failures: number
  /** Last time it answered or was identified (ms since the epoch); 0 if never. */
  lastSeen: number
  /**
   * When this node's last connection to it closed without a liveness check (ms since the epoch; 0: never): a
   * registry that is no neighbour of this one may have died since (linkClosed()).
   */
  linkClosedAt: number
  /** Its link closed unchecked, and nothing was heard from it since (linkClosed()). */
  unconfirmed: boolean
}

export interface TableEvents {
  /** A registry was verified for the first time (joined this node's view). */
  onVerified?: (entry: TableEntry) => void
  /** A verified registry left the table (failed, or removed). */
  onRemoved?: (entry: TableEntry) => void
}

/** Addresses kept per registry. */
export const MAX_ADDRS = 4
/** Failed requests in a row after which a registry leaves the table (configured ones stay). */
export const MAX_FAILURES = 2

export class RegistryTable {
  private readonly self: Uint8Array
  private readonly selfId: string
  private readonly bucketSize: number
  private readonly buckets = new Map<number, Map<string, TableEntry>>()
  private readonly entries = new Map<string, TableEntry>()
  private readonly events: TableEvents
  /** Counts verified registries joining and leaving: unchanged means the table's membership did not move. */
  generation = 0
  private readonly neighbours = new Map<string, boolean>()
  private readonly siblings = new Set<string>()
  private neighbourGeneration = -1
  private neighbourCount = 0
  /** When the first registry was verified (ms since the epoch; 0: never): when this node joined the network. */
  firstVerifiedAt = 0

  constructor (selfId: string, bucketSize: number, events: TableEvents = {}) {
    this.selfId = selfId
    this.self = peerPosition(selfId)
    this.bucketSize = bucketSize
    this.events = events
  }

  get size (): number {
    return this.entries.size
  }

  get (id: string): TableEntry | undefined {
    return this.entries.get(id)
  }

  has (id: string): boolean {
    return this.entries.has(id)
  }

  /** Whether `id` is a registry this node has proof of (identify or an answer), not merely heard of. */
  isVerified (id: string): boolean {
    return this.entries.get(id)?.verified === true
  }

  * all (): IterableIterator<TableEntry> {
    yield * this.entries.values()
  }

  /**
   * Adds or refreshes a registry. `verified` marks proof that it is one (identify, an answer); `configured`
   * pins it. Returns the entry, or undefined when its bucket is full of better registries.
   */
  add (id: string, addrs: Multiaddr[], flags: { verified?: boolean, configured?: boolean } = {}): TableEntry | undefined {
    if (id === this.selfId) return undefined
    const existing = this.entries.get(id)
    if (existing !== undefined) {
      // A hint (another registry's word) never replaces the addresses of a registry this node has proof of.
      if (addrs.length > 0 && (flags.verified === true || flags.configured === true || !existing.verified)) existing.addrs = mergeAddrs(addrs, existing.addrs)
      if (flags.configured === true) existing.configured = true
      if (flags.verified === true) this.verify(existing)
      return existing
    }
    const entry: TableEntry = {
      id,
      peerId: peerIdFromString(id),
      position: peerPosition(id),
      addrs: mergeAddrs(addrs, []),
      verified: false,
      configured: flags.configured === true,
      failures: 0,
      lastSeen: 0,
      linkClosedAt: 0,
      unconfirmed: false
    }
    const index = commonPrefixBits(this.self, entry.position)
    let bucket = this.buckets.get(index)
    if (bucket === undefined) {
      bucket = new Map()
      this.buckets.set(index, bucket)
    }
    if (bucket.size >= this.bucketSize && !entry.configured) {
      // Make room only for something better than the worst held: a verified registry over an unverified one.
      // Otherwise the bucket keeps its contacts (a failing one leaves by itself after MAX_FAILURES).
      if (flags.verified !== true) return undefined
      const worst = [...bucket.values()].find(e => !e.configured && !e.verified)
      if (worst === undefined) return undefined
      this.delete(worst)
    }
    bucket.set(id, entry)
    this.entries.set(id, entry)
    if (flags.verified === true) this.verify(entry)
    return entry
  }

  /** A request to `id` succeeded: it is a live registry. */
  answered (id: string): void {
    const entry = this.entries.get(id)
    if (entry === undefined) return
    entry.failures = 0
    this.verify(entry)
  }

  /**
   * This node's connection to `id` closed and nobody checked whether it is still there (a registry keeps links only
   * to its neighbours: the others close when idle, or when they die). Until it answers again it is unconfirmed.
   */
  linkClosed (id: string): void {
    const entry = this.entries.get(id)
    if (entry === undefined) return
    entry.linkClosedAt = Date.now()
    entry.unconfirmed = true
  }

  /**
   * A request to `id` failed. After MAX_FAILURES in a row (at once when `fatal`, e.g. a liveness check after its
   * connection closed) it leaves the table. A configured registry stays as a seed, unverified: it counts as
   * gone (onRemoved) until it answers again. Returns whether it left (or went down).
   */
  failed (id: string, fatal = false): boolean {
    const entry = this.entries.get(id)
    if (entry === undefined) return false
    entry.failures++
    if (!fatal && entry.failures < MAX_FAILURES) return false
    if (entry.configured) {
      if (!entry.verified) return false
      entry.verified = false
      this.generation++
      this.events.onRemoved?.(entry)
      return true
    }
    this.delete(entry)
    return true
  }

  /** Forgets a registry (removeRegistryNode, or a peer refused admission). */
  remove (id: string): void {
    const entry = this.entries.get(id)
    if (entry !== undefined) this.delete(entry)
  }

  /**
   * The `count` registries closest to `target`, nearest first. `filter` excludes entries; those that failed
   * once are included (they may have recovered; a lookup drops them at their next failure).
   */
  closest (target: Uint8Array, count: number, filter?: (entry: TableEntry) => boolean): TableEntry[] {
    const out: TableEntry[] = []
    for (const entry of this.entries.values()) {
      if (filter !== undefined && !filter(entry)) continue
      out.push(entry)
    }
    out.sort((a, b) => compareDistance(target, a.position, b.position))
    return out.length > count ? out.slice(0, count) : out
  }

  /**
   * Whether `id` is in this node's neighbourhood: among the `count` verified registries closest to this node, or
   * this node among the `count` closest to it (as far as this table knows, which errs on the side of yes: a table
   * knows fewer registries near a far one than that one does). Kademlia's distance is symmetric but ranks are
   * not; judged both ways, the two ends of a link agree on keeping it once each knows the registries around
   * itself. While a network forms they may not: the end that counts the other a sibling then checks it when the
   * link closes, which links them again.
   */
  isNeighbour (id: string, count: number): boolean {
    this.judgeNeighbours(count)
    const known = this.neighbours.get(id)
    if (known !== undefined) return known
    const entry = this.entries.get(id)
    // Not a verified registry (a client, a service): no judgement to keep, so the cache holds registries only.
    if (entry === undefined || !entry.verified) return false
    let closer = 0
    for (const other of this.entries.values()) {
      if (other === entry || !other.verified) continue
      if (compareDistance(entry.position, other.position, this.self) < 0 && ++closer >= count) break
    }
    const near = closer < count
    this.neighbours.set(id, near)
    return near
  }

  /**
   * Whether `id` is among the `count` verified registries closest to this node: its sibling list, the strict half of
   * isNeighbour(). A table knows the registries around itself best, so a registry that is not this one's sibling
   * by this count does not, as a rule, count this one among its siblings either: a link between them that closes
   * is no news.
   */
  isSibling (id: string, count: number): boolean {
    return this.siblingIds(count).has(id)
  }

  /** The ids of the `count` verified registries closest to this node (kept while the membership does not change). */
  siblingIds (count: number): ReadonlySet<string> {
    this.judgeNeighbours(count)
    return this.siblings
  }

  /** Judgements are kept while the verified membership does not change. */
  private judgeNeighbours (count: number): void {
    if (this.neighbourGeneration === this.generation && this.neighbourCount === count) return
    this.neighbourGeneration = this.generation
    this.neighbourCount = count
    this.neighbours.clear()
    this.siblings.clear()
    for (const entry of this.closest(this.self, count, e => e.verified)) {
      this.neighbours.set(entry.id, true)
      this.siblings.add(entry.id)
    }
  }

  /** Bucket indexes (common prefix bits with this node) that hold at least one registry. */
  bucketIndexes (): number[] {
    return [...this.buckets.entries()].filter(([, b]) => b.size > 0).map(([i]) => i).sort((a, b) => a - b)
  }

  private verify (entry: TableEntry): void {
    entry.lastSeen = Date.now()
    entry.unconfirmed = false
    if (entry.verified) return
    entry.verified = true
    this.generation++
    if (this.firstVerifiedAt === 0) this.firstVerifiedAt = Date.now()
    this.events.onVerified?.(entry)
  }

  private delete (entry: TableEntry): void {
    this.entries.delete(entry.id)
    this.buckets.get(commonPrefixBits(this.self, entry.position))?.delete(entry.id)
    if (!entry.verified) return
    this.generation++
    this.events.onRemoved?.(entry)
  }
}

/** New addresses first, no duplicates, at most MAX_ADDRS; /p2p is stripped (the id is known). */
function mergeAddrs (fresh: Multiaddr[], held: Multiaddr[]): Multiaddr[] {
  const out: Multiaddr[] = []
  const seen = new Set<string>()
  for (const ma of [...fresh, ...held]) {
    const bare = withoutPeerId(ma)
    const key = bare.toString()
    if (seen.has(key)) continue
    seen.add(key)
    out.push(bare)
    if (out.length === MAX_ADDRS) break
  }
  return out
}

function withoutPeerId (ma: Multiaddr): Multiaddr {
  const components = ma.getComponents()
  if (!components.some(c => c.name === 'p2p')) return ma
  return multiaddr(components.filter(c => c.name !== 'p2p'))
}
