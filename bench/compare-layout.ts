/**
 * Pure helpers of `npm run bench:compare`: the seeded PRNG, the network's shape for a given N, a bounded
 * parallel map, and the least-squares fit against log2 N.
 */

/** mulberry32: a small seeded PRNG; the seed fixes the topology, names and samples (not the timing). */
export class Rng {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  next (): number {
    this.state = (this.state + 0x6D2B79F5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  pick<T> (items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list')
    return items[this.int(items.length)]
  }

  shuffle<T> (items: readonly T[]): T[] {
    const out = [...items]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = out[i]
      out[i] = out[j]
      out[j] = t
    }
    return out
  }

  hex (bytes: number): string {
    let s = ''
    for (let i = 0; i < bytes; i++) s += this.int(256).toString(16).padStart(2, '0')
    return s
  }
}

export interface Shape {
  n: number
  /** netget: registries (N/5). HyperDHT: plain DHT nodes that neither announce nor look up. */
  registries: number
  /** netget: services, each registering one name. HyperDHT: nodes announcing one key pair each. */
  services: number
  /** Nodes running the measured lookups. */
  clients: number
  /** Service names (~N/10); service j registers `svc-<j mod names>`. */
  names: number
}

export function shapeOf (n: number): Shape {
  const registries = Math.max(2, Math.round(n / 5))
  const names = Math.max(2, Math.round(n / 10))
  const services = Math.max(names, Math.round(n * 0.6))
  const clients = n - registries - services
  if (clients < 1) throw new Error(`N = ${n} is too small for the layout`)
  return { n, registries, services, clients, names }
}

export const nameOf = (i: number): string => `svc-${i}`

/**
 * Start order in doubling waves (1, 1, 2, 4, 8, … at most `cap` at once): each node of a wave bootstraps from one
 * random node of the earlier waves, so the overlay is a random join tree (not a star) and starts in O(log N) rounds.
 */
export function waves (count: number, cap = 16): number[][] {
  const out: number[][] = []
  let next = 0
  let size = 1
  while (next < count) {
    const wave: number[] = []
    for (let i = 0; i < size && next < count; i++) wave.push(next++)
    out.push(wave)
    if (out.length > 1) size = Math.min(cap, size * 2)
  }
  return out
}

/** Runs `fn` over 0…count−1, at most `limit` at once; results in index order. */
export async function mapLimit<T> (count: number, limit: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++
      out[i] = await fn(i)
    }
  }))
  return out
}

export interface Fit {
  /** y = intercept + slope × log2 N: `slope` is the growth per doubling of N. */
  intercept: number
  slope: number
  /** Coefficient of determination of that line (1 = on it). */
  r2: number
  points: Array<{ n: number, y: number }>
}

/** Least squares of y against log2 N; null with fewer than two distinct N. */
export function fitLog2 (points: ReadonlyArray<{ n: number, y: number | null | undefined }>): Fit | null {
  const ok = points.filter((p): p is { n: number, y: number } => typeof p.y === 'number' && Number.isFinite(p.y))
  if (new Set(ok.map(p => p.n)).size < 2) return null
  const xs = ok.map(p => Math.log2(p.n))
  const ys = ok.map(p => p.y)
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (let i = 0; i < xs.length; i++) {
    sxx += (xs[i] - mx) ** 2
    sxy += (xs[i] - mx) * (ys[i] - my)
    syy += (ys[i] - my) ** 2
  }
  const slope = sxy / sxx
  const intercept = my - slope * mx
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy)
  return { intercept, slope, r2, points: ok }
}

export function mean (values: readonly number[]): number | null {
  if (values.length === 0) return null
  return values.reduce((a, b) => a + b, 0) / values.length
}

export function median (values: readonly number[]): number | null {
  if (values.length === 0) return null
  const s = [...values].sort((a, b) => a - b)
  return s[Math.ceil(s.length / 2) - 1]
}
