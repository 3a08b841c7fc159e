/**
 * What a registry holds: the best record per (name, publisher), never replaced by one that loses selection
 * (the rollback js kad-dht allows, js-libp2p #3377). Offers are synchronous after verification, so the
 * compare-and-store is atomic per key without locks.
 */
import { compareRecords, isLive } from '../records/service-record.js'
import { RecordErrorCodes, RecordValidationError } from '../errors.js'
import type { VerifiedRecord } from '../records/service-record.js'

export type OfferResult = 'stored' | 'unchanged'

export interface RecordStoreInit {
  /** Records held in all; beyond it the soonest-expiring record is evicted. @default 100000 */
  maxRecords?: number
}

export class RecordStore {
  private readonly byName = new Map<string, Map<string, VerifiedRecord>>()
  private readonly maxRecords: number
  private count = 0

  constructor (init: RecordStoreInit = {}) {
    this.maxRecords = init.maxRecords ?? 100_000
  }

  get size (): number {
    return this.count
  }

  /**
   * Stores `record` if it wins selection against the one held for its (name, publisher).
   * Throws RecordValidationError(STALE) when it loses: the newer record stays.
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
    if (publishers === undefined) {
      publishers = new Map()
      this.byName.set(record.name, publishers)
    }
    if (held === undefined) {
      if (this.count >= this.maxRecords) this.evictOne()
      this.count++
    }
    publishers.set(record.peerId, record)
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
    for (const [name, publishers] of this.byName) {
      for (const [peerId, record] of publishers) {
        if (!isLive(record, now)) {
          publishers.delete(peerId)
          dropped.push(record)
        }
      }
      if (publishers.size === 0) this.byName.delete(name)
    }
    this.count -= dropped.length
    return dropped
  }

  clear (): void {
    this.byName.clear()
    this.count = 0
  }

  private evictOne (): void {
    let victim: VerifiedRecord | undefined
    for (const record of this.all()) {
      if (victim === undefined || record.expiresAt < victim.expiresAt) victim = record
    }
    if (victim === undefined) return
    const publishers = this.byName.get(victim.name)
    publishers?.delete(victim.peerId)
    if (publishers?.size === 0) this.byName.delete(victim.name)
    this.count--
  }
}
