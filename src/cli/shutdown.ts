/** Waiting for SIGINT/SIGTERM, for the long-running commands (registry, service). */

export interface ShutdownListener {
  /** Resolves with the first SIGINT or SIGTERM received after `listenForShutdown()`. */
  received: Promise<NodeJS.Signals>
  /** Removes the handlers (idempotent); a second Ctrl-C then kills the process as usual. */
  dispose: () => void
  /**
   * Bounds the stop that follows the signal: after `ms`, `onExpired` runs and the process exits with 1. The
   * timer does not hold the process open; clear it once the stop completed.
   */
  bound: (ms: number, onExpired: () => void) => ReturnType<typeof setTimeout>
}

/**
 * Installs the handlers at once, so a signal that arrives while the node is still starting is not lost:
 * the command stops as soon as it has started.
 */
export function listenForShutdown (): ShutdownListener {
  const { promise, resolve } = Promise.withResolvers<NodeJS.Signals>()
  const onSignal = (signal: NodeJS.Signals): void => {
    dispose()
    resolve(signal)
  }
  const dispose = (): void => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  const bound = (ms: number, onExpired: () => void): ReturnType<typeof setTimeout> => {
    const timer = setTimeout(() => {
      onExpired()
      process.exit(1)
    }, ms)
    timer.unref()
    return timer
  }
  return { received: promise, dispose, bound }
}
