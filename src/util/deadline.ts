/**
 * A deadline that is cleared when the work is done. AbortSignal.timeout() cannot be cleared: on a hot path
 * (one per discovery, one per registry request) its timers pile up and fire long after the work ended.
 */
export interface Deadline {
  signal: AbortSignal
  clear(): void
}

export function deadline (ms: number, ...signals: Array<AbortSignal | undefined>): Deadline {
  const controller = new AbortController()
  const timer = setTimeout(() => { controller.abort(new DOMException(`deadline of ${ms} ms passed`, 'TimeoutError')) }, ms)
  timer.unref()
  const others = signals.filter((s): s is AbortSignal => s !== undefined)
  return {
    signal: others.length === 0 ? controller.signal : AbortSignal.any([controller.signal, ...others]),
    clear: () => { clearTimeout(timer) }
  }
}
