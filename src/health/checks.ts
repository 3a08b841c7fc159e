/**
 * A node's named health checks, run on a schedule (not per probe: a probe must not cost a database query, and
 * an answer must not wait for one). Probes read the latest results; a check that has not finished its first
 * run yet is waited for, within the probe's deadline.
 */
import { truncateUtf8 } from './model.js'
import type { CheckResult } from './model.js'

/**
 * A user-defined check. It passes when it returns (or resolves to) anything but `false`; it fails when it returns
 * `false`, throws, or misses its deadline (`signal` fires then). A string result is kept as the check's output.
 */
export type HealthCheck = (signal: AbortSignal) => unknown

export interface CheckRunnerInit {
  checks: Record<string, HealthCheck>
  /** Time between runs of each check (ms). */
  interval: number
  /** Deadline of one run (ms). */
  timeout: number
}

const TIMED_OUT = Symbol('timed out')

interface Slot {
  name: string
  check: HealthCheck
  result?: CheckResult
  /** The run in progress (the first one is awaited by probes). */
  running?: Promise<void>
  /** The user's promise of a run that missed its deadline and has not settled: no new run until it does. */
  stuck?: Promise<unknown>
}

export class CheckRunner {
  private readonly init: CheckRunnerInit
  private readonly slots: Slot[]
  private timer?: ReturnType<typeof setInterval>
  private controller?: AbortController

  constructor (init: CheckRunnerInit) {
    this.init = init
    this.slots = Object.entries(init.checks).map(([name, check]) => ({ name, check }))
  }

  get size (): number {
    return this.slots.length
  }

  start (): void {
    if (this.timer !== undefined || this.slots.length === 0) return
    this.controller = new AbortController()
    this.runAll()
    this.timer = setInterval(() => { this.runAll() }, this.init.interval)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.controller?.abort()
    this.controller = undefined
  }

  /**
   * The latest result of every check; checks that never finished a run are waited for (until `signal`), and
   * count as failing ("pending") if they still have not.
   */
  async results (signal: AbortSignal): Promise<CheckResult[]> {
    const pending = this.slots.filter(s => s.result === undefined && s.running !== undefined).map(async s => s.running)
    if (pending.length > 0 && !signal.aborted) {
      let onAbort = (): void => {}
      const stopped = new Promise<void>(resolve => { onAbort = resolve })
      signal.addEventListener('abort', onAbort, { once: true })
      await Promise.race([Promise.all(pending), stopped])
      signal.removeEventListener('abort', onAbort)
    }
    const now = Date.now()
    return this.slots.map(s => s.result ?? { name: s.name, passing: false, output: 'pending: its first run has not finished', lastRun: now })
  }

  /** Runs every check that is not running already. */
  private runAll (): void {
    const controller = this.controller
    if (controller === undefined) return
    for (const slot of this.slots) {
      if (slot.running !== undefined) continue
      // A check that ignores its signal: runs would pile up behind it. It stays failing until it settles.
      if (slot.stuck !== undefined) {
        slot.result = { name: slot.name, passing: false, output: 'still running past its deadline', lastRun: Date.now() }
        continue
      }
      slot.running = this.runOne(slot, controller.signal).finally(() => { slot.running = undefined })
    }
  }

  private async runOne (slot: Slot, lifetime: AbortSignal): Promise<void> {
    const started = Date.now()
    const controller = new AbortController()
    const timeout = this.init.timeout
    let timer: ReturnType<typeof setTimeout> | undefined
    const onStop = (): void => { controller.abort(lifetime.reason) }
    lifetime.addEventListener('abort', onStop, { once: true })
    const deadline = new Promise<typeof TIMED_OUT>(resolve => {
      timer = setTimeout(() => {
        controller.abort(new DOMException(`the check did not finish within ${timeout} ms`, 'TimeoutError'))
        resolve(TIMED_OUT)
      }, timeout)
      // Not unref'd: a run in flight is work, and its verdict must come even if nothing else holds the process
      // (it is cleared when the run ends, so it never holds it longer than `timeout`).
    })
    let passing: boolean
    let output: string
    try {
      const run = Promise.resolve().then(() => slot.check(controller.signal))
      const value = await Promise.race([run, deadline])
      if (value === TIMED_OUT) {
        passing = false
        output = `timed out after ${timeout} ms`
        const stuck = run.catch(() => {}).finally(() => { if (slot.stuck === stuck) slot.stuck = undefined })
        slot.stuck = stuck
      } else {
        passing = value !== false
        output = typeof value === 'string' ? value : value === false ? 'returned false' : ''
      }
    } catch (err) {
      passing = false
      output = err instanceof Error ? err.message : String(err)
    } finally {
      clearTimeout(timer)
      lifetime.removeEventListener('abort', onStop)
    }
    if (lifetime.aborted) return
    slot.result = { name: slot.name, passing, output: truncateUtf8(output), lastRun: started }
  }
}
