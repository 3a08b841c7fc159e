/**
 * When a discovery asks the next registry as well: once the request out has taken longer than this client's
 * recent p95 answer time (hedged requests, "The Tail at Scale", Dean and Barroso 2013). A client asks one
 * registry by default; the hedge is what keeps one slow or stalled registry from becoming its tail.
 */
import { HEDGE_MIN_MS, HEDGE_MIN_SAMPLES, HEDGE_SAMPLES, LOOKUP_HEDGE_MS } from '../constants.js'

export class HedgeDelay {
  private readonly samples: Float64Array
  private next = 0
  private count = 0
  /** The delay from the samples as they were at the last computation; recomputed after a few new samples. */
  private cached = LOOKUP_HEDGE_MS
  private sinceComputed = 0
  private computed = false

  constructor (size = HEDGE_SAMPLES) {
    this.samples = new Float64Array(size)
  }

  /** An answer came after `ms` (or a request was given up after `ms`, still unanswered: a lower bound). */
  record (ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return
    this.samples[this.next] = ms
    this.next = (this.next + 1) % this.samples.length
    if (this.count < this.samples.length) this.count++
    this.sinceComputed++
  }

  /** How long (ms) a request may be pending before the next registry is asked too. */
  delay (): number {
    if (this.count < HEDGE_MIN_SAMPLES) return LOOKUP_HEDGE_MS
    // Sorting 64 numbers costs about a microsecond, yet a discovery costs a few: recompute every 8 samples.
    if (this.sinceComputed >= 8 || !this.computed) {
      const sorted = this.samples.slice(0, this.count).sort()
      const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)]
      this.cached = Math.min(LOOKUP_HEDGE_MS, Math.max(HEDGE_MIN_MS, Math.ceil(p95)))
      this.sinceComputed = 0
      this.computed = true
    }
    return this.cached
  }
}
