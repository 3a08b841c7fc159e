/**
 * Refusals told apart from failures: a registry that refused is alive and stays in a name's route, and a discovery
 * that met only refusals reports one of them.
 */
import { AdmissionError, AdmissionErrorCodes, LimitErrorCodes, LimitExceededError, NoRegistryReachableError } from '../errors.js'
import type { AdmissionErrorCode, LimitErrorCode, NetgetError } from '../errors.js'

/** A registry's refusal: it is alive, it just said no. */
export class Refusal extends Error {
  readonly code: string

  constructor (code: string, message: string) {
    super(`${code}: ${message}`)
    this.code = code
  }
}

/**
 * The error of a discovery that no registry answered: when every registry it reached refused (a rate limit, an
 * admission), a refusal (AdmissionError, LimitExceededError) rather than "no registry reachable", which would
 * send the caller looking for a network fault. Refusals of both kinds: the admission one, which waiting does not
 * cure (a rate limit does).
 */
export function noAnswerError (name: string, failures: Map<string, Error>): NetgetError {
  const reasons = [...failures].map(([id, err]) => `${id}: ${err.message}`).join('; ')
  const refusals = [...failures.values()].filter((err): err is Refusal => err instanceof Refusal)
  if (refusals.length > 0 && refusals.length === failures.size) {
    const message = `every registry asked for "${name}" refused: ${reasons}`
    const admission = refusals.find(r => Object.values(AdmissionErrorCodes).includes(r.code as AdmissionErrorCode))
    if (admission !== undefined) return new AdmissionError(admission.code as AdmissionErrorCode, message)
    const limit = refusals.find(r => Object.values(LimitErrorCodes).includes(r.code as LimitErrorCode))
    if (limit !== undefined) return new LimitExceededError(limit.code as LimitErrorCode, message)
  }
  return new NoRegistryReachableError(`No registry answered for "${name}": ${reasons === '' ? 'none reachable in time' : reasons}`)
}
