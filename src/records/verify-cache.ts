/**
 * A bounded map of verified records by exact bytes. Registries return the same bytes on every discovery;
 * re-verifying their signatures would dominate discovery latency. Insertion-order eviction is enough:
 * a miss only costs one verification.
 */
import { BoundedMap } from '../util/bounded-map.js'
import type { VerifiedBytesCache, VerifiedRecord } from './service-record.js'

export class VerifyCache implements VerifiedBytesCache {
  private readonly entries: BoundedMap<string, VerifiedRecord>

  constructor (capacity = 4096) {
    this.entries = new BoundedMap(capacity)
  }

  get (key: string): VerifiedRecord | undefined {
    return this.entries.get(key)
  }

  set (key: string, record: VerifiedRecord): void {
    this.entries.set(key, record)
  }
}
