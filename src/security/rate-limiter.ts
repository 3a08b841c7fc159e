/**
 * Per-peer token buckets: `rate` operations per second on average, bursts up to `burst`.
 * Bounded memory: idle buckets are dropped once the map grows past `maxPeers`.
 */
export interface RateLimiterInit {
  /** Tokens added per second. */
  rate: number
  /** Bucket size. */
  burst: number
  /** Buckets kept before idle ones are dropped. @default 10000 */
  maxPeers?: number
}

interface Bucket {
  tokens: number
  updated: number
}

export class RateLimiter {
  private readonly init: Required<RateLimiterInit>
  private readonly buckets = new Map<string, Bucket>()

  constructor (init: RateLimiterInit) {
    this.init = { maxPeers: 10_000, ...init }
  }

  /** Takes one token for `key`; false when the bucket is empty. */
  take (key: string, now = Date.now()): boolean {
    let bucket = this.buckets.get(key)
    if (bucket === undefined) {
      if (this.buckets.size >= this.init.maxPeers) this.dropIdle(now)
      bucket = { tokens: this.init.burst, updated: now }
      this.buckets.set(key, bucket)
    } else {
      bucket.tokens = Math.min(this.init.burst, bucket.tokens + (now - bucket.updated) * this.init.rate / 1000)
      bucket.updated = now
    }
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  private dropIdle (now: number): void {
    const refillMs = this.init.burst / this.init.rate * 1000
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updated >= refillMs) this.buckets.delete(key)
    }
    // Everyone is active: drop the oldest half rather than grow without bound.
    if (this.buckets.size >= this.init.maxPeers) {
      let n = Math.floor(this.buckets.size / 2)
      for (const key of this.buckets.keys()) {
        if (n-- <= 0) break
        this.buckets.delete(key)
      }
    }
  }
}
