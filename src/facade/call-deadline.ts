/**
 * The deadline of one public call (`registerWithNetwork`, `discoverServiceNode`, `ready`): the caller's signal,
 * the call's timeout and the node's lifetime, and which typed error says which of them ended it.
 */
import { AbortedError, InvalidOptionError, NoRegistryReachableError, NotStartedError, PublishFailedError, TimeoutError } from '../errors.js'
import { deadline } from '../util/deadline.js'

/** Runs `fn` under the caller's signal, a deadline and the node's lifetime; maps an expiry to a typed error. */
export async function withDeadline<T> (lifetime: AbortSignal, callerSignal: AbortSignal | undefined, timeout: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidOptionError('timeout', `expected a positive number of ms, got ${timeout}`)
  if (callerSignal?.aborted === true) throw new AbortedError(`${what} was aborted by the caller`, { cause: callerSignal.reason })
  const limit = deadline(timeout, lifetime, callerSignal)
  const signal = limit.signal
  try {
    return await fn(signal)
  } catch (err) {
    // Re-read: the caller may have aborted while fn ran (TypeScript narrowed the first read).
    if ((callerSignal as AbortSignal | undefined)?.aborted === true) throw new AbortedError(`${what} was aborted by the caller`, { cause: err })
    if (lifetime.aborted) throw new NotStartedError(`${what} was interrupted: the node is stopping`)
    if (signal.aborted && !(err instanceof NoRegistryReachableError) && !(err instanceof PublishFailedError)) {
      throw new TimeoutError(`${what} did not complete within ${timeout} ms`, { cause: err })
    }
    throw err
  } finally {
    limit.clear()
  }
}
