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
 * admission), that refusal (LimitExceededError, AdmissionError) rather than "no registry reachable", which would
 * send the caller looking for a network fault.
 */
export function noAnswerError (name: string, failures: Map<string, Error>): NetgetError {
  const reasons = [...failures].map(([id, err]) => `${id}: ${err.message}`).join('; ')
  const refusals = [...failures.values()].filter((err): err is Refusal => err instanceof Refusal)
  if (refusals.length > 0 && refusals.length === failures.size) {
    const code = refusals[0].code
    const message = `every registry asked for "${name}" refused: ${reasons}`
    if (Object.values(LimitErrorCodes).includes(code as LimitErrorCode)) return new LimitExceededError(code as LimitErrorCode, message)
    if (Object.values(AdmissionErrorCodes).includes(code as AdmissionErrorCode)) return new AdmissionError(code as AdmissionErrorCode, message)
  }
  return new NoRegistryReachableError(`No registry answered for "${name}": ${reasons === '' ? 'none reachable in time' : reasons}`)
}
