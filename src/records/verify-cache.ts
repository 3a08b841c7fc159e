/**
 * A bounded map of verified records by exact bytes. Registries return the same bytes on every discovery;
 * re-verifying their signatures would dominate discovery latency. Insertion-order eviction is enough:
 * a miss only costs one verification.
 */
import type { VerifiedBytesCache, VerifiedRecord } from './service-record.js'

export class VerifyCache implements VerifiedBytesCache {
  private readonly entries = new Map<string, VerifiedRecord>()
  private readonly capacity: number

  constructor (capacity = 4096) {
    this.capacity = capacity
  }

  get (key: string): VerifiedRecord | undefined {
    return this.entries.get(key)
  }

  set (key: string, record: VerifiedRecord): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string)
    this.entries.set(key, record)
  }
}
