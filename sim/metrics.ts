/** Percentiles and the per-phase / per-bucket aggregation of judged lookups. */

export interface Percentiles { p50: number, p95: number, p99: number, max: number }

/** Nearest-rank percentiles; zeros for an empty sample so that JSON stays numeric. */
export function percentiles (values: readonly number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p95: 0, p99: 0, max: 0 }
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
  return { p50: round(at(50)), p95: round(at(95)), p99: round(at(99)), max: round(sorted[sorted.length - 1]) }
}

export function round (value: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

export function mean (values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
}

export interface JudgedLookup {
  client: string
  process: number
  name: string
  start: number
  end: number
  latencyMs: number
  ok: boolean
  error?: string
  returned: number
  required: number
  missing: string[]
  extra: string[]
  requests: number | null
  requestBytes: number | null
  responseBytes: number | null
  dhtLookups: number | null
}

export interface LookupSummary {
  lookups: number
  lookupSuccess: number
  errors: number
  latencyMs: Percentiles
  /** Per lookup, from the client's getStats() counters; null when this netget version has no such counter. */
  requestsPerLookup: number | null
  bytesPerLookup: number | null
  dhtLookupsPerLookup: number | null
}

function perLookup (lookups: readonly JudgedLookup[], pick: (l: JudgedLookup) => number | null): number | null {
  const values = lookups.map(pick).filter((v): v is number => v !== null)
  return values.length === 0 ? null : round(mean(values))
}

export function summarise (lookups: readonly JudgedLookup[]): LookupSummary {
  return {
    lookups: lookups.length,
    lookupSuccess: lookups.length === 0 ? 0 : round(lookups.filter(l => l.ok).length / lookups.length, 4),
    errors: lookups.filter(l => l.error !== undefined).length,
    latencyMs: percentiles(lookups.map(l => l.latencyMs)),
    requestsPerLookup: perLookup(lookups, l => l.requests),
    bytesPerLookup: perLookup(lookups, l => l.requestBytes === null || l.responseBytes === null ? null : l.requestBytes + l.responseBytes),
    dhtLookupsPerLookup: perLookup(lookups, l => l.dhtLookups)
  }
}

export interface Bucket { start: number, lookups: number, success: number, latencyMs: Percentiles }

/** Lookups grouped by start time into `widthMs` buckets from `from` to `to`. */
export function buckets (lookups: readonly JudgedLookup[], from: number, to: number, widthMs: number): Bucket[] {
  const out: Bucket[] = []
  for (let t = from; t < to; t += widthMs) {
    const inside = lookups.filter(l => l.start >= t && l.start < t + widthMs)
    out.push({ start: t, lookups: inside.length, success: inside.length === 0 ? Number.NaN : inside.filter(l => l.ok).length / inside.length, latencyMs: percentiles(inside.map(l => l.latencyMs)) })
  }
  return out
}
