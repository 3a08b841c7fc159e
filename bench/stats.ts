/**
 * Summaries of latency samples (ms) and the small helpers every scenario shares:
 * bounded waits, a GC hook, RSS readings.
 */
import { execFileSync } from 'node:child_process'
import { arch, cpus, loadavg, platform, totalmem } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface Summary {
  /** Number of samples. */
  n: number
  p50: number
  p95: number
  p99: number
  mean: number
  min: number
  max: number
}

/** Nearest-rank percentile of an ascending array. */
function percentile (sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

export function summarize (samples: readonly number[]): Summary | null {
  if (samples.length === 0) return null
  const sorted = [...samples].sort((a, b) => a - b)
  const sum = sorted.reduce((acc, x) => acc + x, 0)
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sum / sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1]
  }
}

/** min/max/mean of small integer observations (e.g. instances found, attempts). */
export interface Counts {
  min: number
  max: number
  mean: number
}

export function counts (values: readonly number[]): Counts | null {
  if (values.length === 0) return null
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  let sum = 0
  for (const v of values) {
    if (v < min) min = v
    if (v > max) max = v
    sum += v
  }
  return { min, max, mean: Number((sum / values.length).toFixed(3)) }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise<void>(resolve => { setTimeout(resolve, ms) })
}

/** Races `promise` against a deadline; the timer never keeps the process alive. */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what} did not finish within ${ms} ms`)) }, ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

let gcFn: (() => void) | undefined

/** global.gc when the process was started with --expose-gc, else the same function obtained through V8 flags. */
export function gc (): boolean {
  if (gcFn === undefined) {
    const g = (globalThis as { gc?: () => void }).gc
    if (typeof g === 'function') {
      gcFn = g
    } else {
      try {
        setFlagsFromString('--expose-gc')
        gcFn = runInNewContext('gc') as () => void
      } catch {
        gcFn = () => {}
        return false
      }
    }
  }
  gcFn()
  return true
}

/** RSS and heap after two full GCs and a short pause (lets freed pages go back). */
export async function settledMemory (pauseMs = 100): Promise<{ rss: number, heapUsed: number }> {
  gc()
  await sleep(pauseMs)
  gc()
  const m = process.memoryUsage()
  return { rss: m.rss, heapUsed: m.heapUsed }
}

export const MB = 1024 * 1024

/** A git command's output in `root`, or '?' (no git, not a checkout). */
export function git (root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, timeout: 5000, encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}

/** Where, when and on what code a benchmark ran, for the head of its JSON. */
export function runEnvironment (root: string): Record<string, unknown> {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    memoryGb: Number((totalmem() / 1024 ** 3).toFixed(1)),
    loadAvgAtStart: loadavg().map(x => Number(x.toFixed(2))),
    commit: git(root, ['rev-parse', '--short', 'HEAD']),
    srcDirty: git(root, ['status', '--porcelain', '--', 'src', 'protocols']) !== ''
  }
}

export interface FreshResult {
  summary: Summary | null
  found: Counts | null
  /** Samples that threw or found fewer than expected, with the first error seen. */
  failures: number
  firstError?: string
  /** How long closing each client took (not part of its time to the first result). */
  close: Summary | null
}

/**
 * Times `samples` fresh clients one after another (after `warmup` untimed ones): `open(closeWith)` creates one,
 * hands its closing function to `closeWith` at once (so that a client that failed is closed too), and resolves
 * with how many instances its first result held; a throw counts as a failure. One loop for every system compared.
 */
export async function timeFresh (samples: number, expected: number, open: (closeWith: (close: () => Promise<void>) => void) => Promise<number>,
  warmup = Math.min(3, samples)): Promise<FreshResult> {
  const times: number[] = []
  const closeTimes: number[] = []
  const found: number[] = []
  let failures = 0
  let firstError: string | undefined
  for (let i = 0; i < samples + warmup; i++) {
    const timed = i >= warmup
    let close: (() => Promise<void>) | undefined
    const t0 = performance.now()
    try {
      const n = await open(c => { close = c })
      if (timed) {
        times.push(performance.now() - t0)
        found.push(n)
        if (n < expected) failures++
      }
    } catch (err) {
      if (timed) failures++
      firstError ??= (err as Error).message
    }
    if (close === undefined) continue
    const c0 = performance.now()
    await close()
    if (timed) closeTimes.push(performance.now() - c0)
  }
  return { summary: summarize(times), found: counts(found), failures, ...(firstError !== undefined ? { firstError } : {}), close: summarize(closeTimes) }
}
