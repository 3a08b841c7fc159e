/**
 * What a registry holds: the best record per (name, publisher), never replaced by one that loses selection
 * (the rollback js kad-dht allows, js-libp2p #3377). Offers are synchronous after verification, so the
 * compare-and-store is atomic per key without locks.
 */
import { compareRecords, isLive } from '../records/service-record.js'
import { LimitErrorCodes, LimitExceededError, RecordErrorCodes, RecordValidationError } from '../errors.js'
import type { VerifiedRecord } from '../records/service-record.js'

export type OfferResult = 'stored' | 'unchanged'

/**
 * Eviction candidates one scan of the store keeps, worst first. A full scan per offer at capacity (100 000
 * records by default) let a flood of new records cost the registry 100 000 rank checks each; one scan now serves
 * this many evictions.
 */
export const EVICTION_POOL_SIZE = 64
/** A pool older than this is scanned again: records that expired since go before any live one. */
export const EVICTION_POOL_MAX_AGE_MS = 1000

export interface RecordStoreInit {
  /** Records held in all; beyond it expired records go first, then the one with the longest lease left. @default 100000 */
  maxRecords?: number
  /** Bytes of signed records held in all (the same eviction). @default 268435456 (256 MiB) */
  maxBytes?: number
  /** Records held per publisher (peer id), across names. @default 32 */
  maxRecordsPerPeer?: number
  /** A record left the store: its lease ended, or it was evicted (watchers hear of it). */
  onDropped?: (record: VerifiedRecord) => void
  /**
   * At capacity, which records go first: the highest rank (e.g. 2 for an instance found down, 1 for one no probe
   * has confirmed, 0 for one answering its probes), then the longest lease left. @default every record 0
   */
  evictionRank?: (record: VerifiedRecord) => number
}

export interface RecordStoreCounters {
  /** Records evicted to stay under maxRecords. */
  evicted: number
  /** Records dropped because their lease ended. */
  expired: number
}

export class RecordStore {
  private readonly byName = new Map<string, Map<string, VerifiedRecord>>()
  private readonly perPeer = new Map<string, number>()
  private readonly maxRecords: number
  private readonly maxRecordsPerPeer: number
  private readonly maxBytes: number
  private readonly onDropped?: (record: VerifiedRecord) => void
  private readonly evictionRank: (record: VerifiedRecord) => number
  private count = 0
  private bytes = 0
  /** Eviction candidates from the last scan, worst first (some may have left the store since). */
  private pool: VerifiedRecord[] = []
  /** Records stored since that scan: candidates too (a flood's records come after it). */
  private sinceScan: VerifiedRecord[] = []
  /** More than EVICTION_POOL_SIZE records were stored since the scan: the next eviction scans again. */
  private poolStale = true
  /** When the pool was filled (ms since the epoch). */
  private scannedAt = 0
  readonly counters: RecordStoreCounters = { evicted: 0, expired: 0 }

  constructor (init: RecordStoreInit = {}) {
    this.maxRecords = init.maxRecords ?? 100_000
    this.maxRecordsPerPeer = init.maxRecordsPerPeer ?? 32
    this.maxBytes = init.maxBytes ?? 256 * 1024 * 1024
    if (init.onDropped !== undefined) this.onDropped = init.onDropped
    this.evictionRank = init.evictionRank ?? (() => 0)
  }

  /** Bytes of signed records held. */
  get byteSize (): number {
    return this.bytes
  }

  /** Whether any record of this publisher is held (live or not, until swept). */
  hasPublisher (peerId: string): boolean {
    return (this.perPeer.get(peerId) ?? 0) > 0
  }

  get size (): number {
    return this.count
  }

  /**
   * Stores `record` if it wins selection against the one held for its (name, publisher).
   * Throws RecordValidationError(STALE) when it loses: the newer record stays; LimitExceededError(QUOTA) when
   * its publisher holds maxRecordsPerPeer records already.
   */
  offer (record: VerifiedRecord): OfferResult {
    let publishers = this.byName.get(record.name)
    const held = publishers?.get(record.peerId)
    if (held !== undefined) {
      const order = compareRecords(record, held)
      if (order === 0) return 'unchanged'
      if (order < 0) {
        throw new RecordValidationError(RecordErrorCodes.STALE,
          `a newer record is held for ${record.name} by ${record.peerId} (sequence ${held.sequence} ≥ ${record.sequence})`)
      }
    }
    if (held === undefined) {
      const mine = this.perPeer.get(record.peerId) ?? 0
      if (mine >= this.maxRecordsPerPeer) {
        throw new LimitExceededError(LimitErrorCodes.QUOTA, `${record.peerId} holds ${mine} records here already (limit ${this.maxRecordsPerPeer})`)
      }
      while (this.count > 0 && (this.count >= this.maxRecords || this.bytes + record.bytes.byteLength > this.maxBytes)) this.makeRoom()
      this.count++
      this.perPeer.set(record.peerId, mine + 1)
    } else {
      this.bytes -= held.bytes.byteLength
    }
    this.bytes += record.bytes.byteLength
    // Looked up again: makeRoom() may have dropped this name's last record and its map.
    publishers = this.byName.get(record.name)
    if (publishers === undefined) {
      publishers = new Map()
      this.byName.set(record.name, publishers)
    }
    publishers.set(record.peerId, record)
    if (!this.poolStale) {
      if (this.sinceScan.length < EVICTION_POOL_SIZE) this.sinceScan.push(record)
      else this.poolStale = true
    }
    return 'stored'
  }

  /** Every unexpired record for `name`, withdrawn ones included (a client needs the tombstone to win a merge). */
  get (name: string, now = Date.now()): VerifiedRecord[] {
    const publishers = this.byName.get(name)
    if (publishers === undefined) return []
    const out: VerifiedRecord[] = []
    for (const record of publishers.values()) {
      if (isLive(record, now)) out.push(record)
    }
    return out
  }

  * all (): IterableIterator<VerifiedRecord> {
    for (const publishers of this.byName.values()) yield * publishers.values()
  }

  /** Drops expired records; returns them. */
  sweep (now = Date.now()): VerifiedRecord[] {
    const dropped: VerifiedRecord[] = []
    for (const record of this.all()) {
      if (!isLive(record, now)) dropped.push(record)
    }
    for (const record of dropped) this.remove(record)
    this.counters.expired += dropped.length
    return dropped
  }

  clear (): void {
    this.byName.clear()
    this.perPeer.clear()
    this.count = 0
    this.bytes = 0
    this.resetPool()
  }

  /**
   * At capacity: drop expired records first; if none, the one ranked first by `evictionRank` (instances that do
   * not answer their probes before those that do), then the one with the longest lease left. The lease alone was
   * gameable both ways: a flood of long leases fills a store, and a flood of short ones from fresh keys made the
   * honest 60 s leases the longest, so they went first. A flood's instances are rarely ones that answer probes.
   *
   * One scan finds the EVICTION_POOL_SIZE worst records (and drops the expired ones); the evictions after it take
   * the worst of that pool's head and the records stored since, until the pool runs out, too many were stored, or
   * it is EVICTION_POOL_MAX_AGE_MS old. A rank that changes, or a lease that ends, between two scans counts from
   * the next one.
   */
  private makeRoom (): void {
    let victim = this.poolStale || Date.now() - this.scannedAt > EVICTION_POOL_MAX_AGE_MS ? undefined : this.nextVictim()
    if (victim === undefined) {
      if (this.scan()) return
      victim = this.nextVictim()
      if (victim === undefined) return
    }
    this.remove(victim)
    this.counters.evicted++
  }

  /**
   * The worst of the pool's first record still held and the records stored since the scan; taken out of both.
   * None once the pool is used up: the next scan sees the whole store again.
   */
  private nextVictim (): VerifiedRecord | undefined {
    while (this.pool.length > 0 && !this.holds(this.pool[0])) this.pool.shift()
    let victim: VerifiedRecord | undefined = this.pool[0]
    if (victim === undefined) return undefined
    let victimRank = this.evictionRank(victim)
    for (const record of this.sinceScan) {
      if (!this.holds(record)) continue
      const rank = this.evictionRank(record)
      if (worse(rank, record, victimRank, victim)) {
        victim = record
        victimRank = rank
      }
    }
    if (victim === this.pool[0]) this.pool.shift()
    else this.sinceScan.splice(this.sinceScan.indexOf(victim), 1)
    return victim
  }

  /** One pass over the store: drops the expired records (true if there were any), else fills the pool. */
  private scan (now = Date.now()): boolean {
    this.resetPool()
    const expired: VerifiedRecord[] = []
    const worst: Array<{ record: VerifiedRecord, rank: number }> = []
    for (const record of this.all()) {
      if (!isLive(record, now)) {
        expired.push(record)
        continue
      }
      if (expired.length > 0) continue
      const rank = this.evictionRank(record)
      const last = worst.at(-1)
      if (worst.length === EVICTION_POOL_SIZE && last !== undefined && !worse(rank, record, last.rank, last.record)) continue
      // Kept sorted worst first: a binary search for its place among at most EVICTION_POOL_SIZE.
      let lo = 0
      let hi = worst.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (worse(rank, record, worst[mid].rank, worst[mid].record)) hi = mid
        else lo = mid + 1
      }
      worst.splice(lo, 0, { record, rank })
      if (worst.length > EVICTION_POOL_SIZE) worst.pop()
    }
    if (expired.length > 0) {
      for (const record of expired) this.remove(record)
      this.counters.expired += expired.length
      this.poolStale = true
      return true
    }
    this.pool = worst.map(w => w.record)
    this.poolStale = false
    this.scannedAt = now
    return false
  }

  private resetPool (): void {
    this.pool = []
    this.sinceScan = []
    this.poolStale = true
  }

  private holds (record: VerifiedRecord): boolean {
    return this.byName.get(record.name)?.get(record.peerId) === record
  }

  private remove (record: VerifiedRecord): void {
    const publishers = this.byName.get(record.name)
    if (publishers?.get(record.peerId) !== record) return
    publishers.delete(record.peerId)
    if (publishers.size === 0) this.byName.delete(record.name)
    this.count--
    this.bytes -= record.bytes.byteLength
    const mine = (this.perPeer.get(record.peerId) ?? 1) - 1
    if (mine <= 0) this.perPeer.delete(record.peerId)
    else this.perPeer.set(record.peerId, mine)
    this.onDropped?.(record)
  }
}

/** Whether a record of rank `rank` goes before one of rank `otherRank`: the higher rank, then the longer lease. */
function worse (rank: number, record: VerifiedRecord, otherRank: number, other: VerifiedRecord): boolean {
  return rank > otherRank || (rank === otherRank && record.expiresAt > other.expiresAt)
}
