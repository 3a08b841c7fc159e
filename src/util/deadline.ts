/**
 * A deadline that is cleared when the work is done. AbortSignal.timeout() cannot be cleared: on a hot path
 * (one per discovery, one per registry request) its timers pile up and fire long after the work ended.
 *
 * Parent signals are followed with a listener that clear() removes, not with AbortSignal.any(): Node tracks every
 * composite signal on its long-lived sources (a WeakRef and a FinalizationRegistry entry each, the composite kept
 * while it has listeners), which at one per request filled registry heaps with old-generation garbage (heaps of
 * 700 MB and 400–800 ms collection pauses at replicationFactor 20; docs/performance.md).
 */
export interface Deadline {
  signal: AbortSignal
  /** Stops the timer and the following of the parent signals; call it when the work is done. */
  clear(): void
}

/** A signal that aborts after `ms`, or when any of `signals` aborts (with its reason). */
export function deadline (ms: number, ...signals: Array<AbortSignal | undefined>): Deadline {
  const linked = follow(...signals)
  if (linked.signal.aborted) return linked
  const timer = setTimeout(() => { linked.abort(new DOMException(`deadline of ${ms} ms passed`, 'TimeoutError')) }, ms)
  timer.unref()
  return {
    signal: linked.signal,
    clear: () => {
      clearTimeout(timer)
      linked.clear()
    }
  }
}

/** A signal that aborts when any of `signals` aborts (with its reason), until clear(). */
export function follow (...signals: Array<AbortSignal | undefined>): Deadline & { abort(reason: unknown): void } {
  const controller = new AbortController()
  const parents = signals.filter((s): s is AbortSignal => s !== undefined)
  const onAbort = (evt: Event): void => { abort((evt.target as AbortSignal).reason) }
  const clear = (): void => {
    for (const parent of parents) parent.removeEventListener('abort', onAbort)
  }
  const abort = (reason: unknown): void => {
    clear()
    controller.abort(reason)
  }
  for (const parent of parents) {
    if (parent.aborted) {
      abort(parent.reason)
      break
    }
    parent.addEventListener('abort', onAbort, { once: true })
  }
  return { signal: controller.signal, clear, abort }
}

/**
 * One deadline armed again and again (a session's wait for its next request, the rest of each message): one timer
 * and one signal for the life of what it guards, instead of a controller, a timer and closures per wait. Those
 * lived as long as the wait (seconds, between a prober's probes), long enough to be promoted to the old
 * generation, where they died: with 80 nodes in a process, the largest share (18 %) of what major collections
 * freed at rest (docs/performance.md, "Re-measured after sibling lists…"; RSS itself moved within noise).
 *
 * Its signal aborts at most once, when an armed wait outlasts `ms`: what it guards ends there (the session closes,
 * the stream is reset). A timer left running by disarm() fires later and does nothing.
 */
export class RearmableDeadline {
  private readonly controller = new AbortController()
  private readonly ms: number
  private timer?: ReturnType<typeof setTimeout>
  private armed = false

  constructor (ms: number) {
    this.ms = ms
  }

  get signal (): AbortSignal {
    return this.controller.signal
  }

  /** Starts a wait: the signal aborts `ms` from now unless disarm() or arm() comes first. */
  arm (): void {
    if (this.controller.signal.aborted) return
    this.armed = true
    if (this.timer === undefined) {
      this.timer = setTimeout(() => { this.fire() }, this.ms)
      this.timer.unref()
    } else {
      // Re-inserts the same timer (also once it fired): no allocation.
      this.timer.refresh()
    }
  }

  /** The wait ended in time. */
  disarm (): void {
    this.armed = false
  }

  /** Done with it: stops the timer for good. */
  clear (): void {
    this.armed = false
    clearTimeout(this.timer)
  }

  private fire (): void {
    if (!this.armed) return
    this.armed = false
    this.controller.abort(new DOMException(`deadline of ${this.ms} ms passed`, 'TimeoutError'))
  }
}
