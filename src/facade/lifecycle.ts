/**
 * The order in which a node's parts start, and the undoing of a start that failed half-way: the parts already
 * started stop again, newest first, so that a failed `start()` leaves no handler, timer or listener behind.
 */

/** One part of a running node, as libp2p's `Startable`: what starting it does and what undoes it. */
export interface Step {
  name: string
  start: () => void | Promise<void>
  stop: () => void | Promise<void>
}

/**
 * Starts `steps` in order. When one fails, stops those already started (newest first) and rethrows the start's
 * error; a failure while undoing goes to `onStopError`, never in place of the error that caused it.
 */
export async function startInOrder (steps: readonly Step[], onStopError: (step: string, err: unknown) => void): Promise<void> {
  const started: Step[] = []
  try {
    for (const step of steps) {
      started.push(step)
      await step.start()
    }
  } catch (err) {
    await stopInReverse(started, onStopError)
    throw err
  }
}

/** Stops every step, newest first; one that fails is reported and the others still stop. */
export async function stopInReverse (steps: readonly Step[], onError: (step: string, err: unknown) => void): Promise<void> {
  for (const step of [...steps].reverse()) {
    try {
      await step.stop()
    } catch (err) {
      onError(step.name, err)
    }
  }
}
