/**
 * Every error netget throws across a module boundary. Each has a stable `code`
 * (documented in docs/errors.md, checked by test/errors.test.ts) so callers never
 * match on messages.
 */

const NETGET_ERROR = Symbol.for('netget.error')

export class NetgetError extends Error {
  /** The class's name as a literal (minifiers may rename classes): instances' `name`, and the key of instanceof. */
  static readonly errorName: string = 'NetgetError'
  readonly code: string = 'NETGET_ERR'

  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = (new.target as typeof NetgetError).errorName
  }

  /**
   * `instanceof` that works across two loaded copies of netget (two versions in one dependency tree, or a bundle
   * beside node_modules), where each copy has its own classes: an error of either copy is an instance of the
   * class of the same name in the other.
   */
  static override [Symbol.hasInstance] (value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true
    if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[NETGET_ERROR] !== true) return false
    if (this === NetgetError) return true
    // Only a class that names itself: a user's subclass inherits errorName, and must not match its parent's errors.
    return Object.hasOwn(this, 'errorName') && (value as { name?: unknown }).name === this.errorName
  }

  get [NETGET_ERROR] (): boolean {
    return true
  }
}

/** An option given to `new Netget()` or a method is missing, of the wrong type or out of range. */
export class InvalidOptionError extends NetgetError {
  static override readonly errorName = 'InvalidOptionError'
  override readonly code = 'NETGET_ERR_INVALID_OPTION'
  /** Name of the offending option, e.g. `registryNodes[1]`. */
  readonly option: string

  constructor (option: string, message: string) {
    super(`Invalid option "${option}": ${message}`)
    this.option = option
  }
}

/** No registry node could be reached (or none accepted the request) before the deadline. */
export class NoRegistryReachableError extends NetgetError {
  static override readonly errorName = 'NoRegistryReachableError'
  override readonly code = 'NETGET_ERR_NO_REGISTRY_REACHABLE'

  constructor (message = 'No registry node could be reached', options?: ErrorOptions) {
    super(message, options)
  }
}

/** Reasons an admission certificate (closed networks) is refused, for a peer or inside a record. */
export const AdmissionErrorCodes = {
  MISSING: 'NETGET_ERR_ADMISSION_MISSING',
  INVALID: 'NETGET_ERR_ADMISSION_INVALID',
  EXPIRED: 'NETGET_ERR_ADMISSION_EXPIRED',
  ROLE: 'NETGET_ERR_ADMISSION_ROLE',
  NAME: 'NETGET_ERR_ADMISSION_NAME'
} as const

export type AdmissionErrorCode = typeof AdmissionErrorCodes[keyof typeof AdmissionErrorCodes]

/** A peer or a record lacks a valid admission certificate on a closed network; `code` says what is wrong. */
export class AdmissionError extends NetgetError {
  static override readonly errorName = 'AdmissionError'
  override readonly code: AdmissionErrorCode

  constructor (code: AdmissionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** Reasons a record can be refused; the same strings travel on the wire in `RegistryResponse.code`. */
export const RecordErrorCodes = {
  TOO_LARGE: 'NETGET_ERR_RECORD_TOO_LARGE',
  MALFORMED: 'NETGET_ERR_RECORD_MALFORMED',
  BAD_FIELD: 'NETGET_ERR_RECORD_BAD_FIELD',
  BAD_SIGNATURE: 'NETGET_ERR_RECORD_BAD_SIGNATURE',
  WRONG_NETWORK: 'NETGET_ERR_RECORD_WRONG_NETWORK',
  WRONG_NAME: 'NETGET_ERR_RECORD_WRONG_NAME',
  WRONG_PUBLISHER: 'NETGET_ERR_RECORD_WRONG_PUBLISHER',
  EXPIRED: 'NETGET_ERR_RECORD_EXPIRED',
  FUTURE: 'NETGET_ERR_RECORD_FUTURE',
  LIFETIME: 'NETGET_ERR_RECORD_LIFETIME',
  STALE: 'NETGET_ERR_RECORD_STALE',
  ADMISSION_MISSING: AdmissionErrorCodes.MISSING,
  ADMISSION_INVALID: AdmissionErrorCodes.INVALID,
  ADMISSION_EXPIRED: AdmissionErrorCodes.EXPIRED,
  ADMISSION_ROLE: AdmissionErrorCodes.ROLE,
  ADMISSION_NAME: AdmissionErrorCodes.NAME
} as const

export type RecordErrorCode = typeof RecordErrorCodes[keyof typeof RecordErrorCodes]

export const LimitErrorCodes = {
  RATE: 'NETGET_ERR_RATE_LIMITED',
  QUOTA: 'NETGET_ERR_QUOTA_EXCEEDED'
} as const

export type LimitErrorCode = typeof LimitErrorCodes[keyof typeof LimitErrorCodes]

/** A registry refused work from a peer over its limits (rate of publishes, records held per peer). */
export class LimitExceededError extends NetgetError {
  static override readonly errorName = 'LimitExceededError'
  override readonly code: LimitErrorCode

  constructor (code: LimitErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** A record failed validation; `code` says which rule (see protocols/service-record.md). */
export class RecordValidationError extends NetgetError {
  static override readonly errorName = 'RecordValidationError'
  override readonly code: RecordErrorCode

  constructor (code: RecordErrorCode, message: string) {
    super(message)
    this.code = code
  }
}

/** Publishing reached registries but fewer than `minAcks` stored the record. */
export class PublishFailedError extends NetgetError {
  static override readonly errorName = 'PublishFailedError'
  override readonly code = 'NETGET_ERR_PUBLISH_FAILED'
  /** Registries that stored the record. */
  readonly accepted: number
  /** Refusals by registry peer id: `code: message`. */
  readonly refusals: Record<string, string>

  constructor (message: string, accepted: number, refusals: Record<string, string>) {
    super(message)
    this.accepted = accepted
    this.refusals = refusals
  }
}

/** A registry answered with something that is not a valid protocol message. */
export class ProtocolError extends NetgetError {
  static override readonly errorName = 'ProtocolError'
  override readonly code = 'NETGET_ERR_PROTOCOL'
}

/** The operation was cancelled by the caller's signal or its own timeout. */
export class TimeoutError extends NetgetError {
  static override readonly errorName = 'TimeoutError'
  override readonly code = 'NETGET_ERR_TIMEOUT'
}

/** The caller's AbortSignal fired before the operation completed. */
export class AbortedError extends NetgetError {
  static override readonly errorName = 'AbortedError'
  override readonly code = 'NETGET_ERR_ABORTED'
}

/** The node could not start (e.g. a listen address in use, a key file unreadable); `cause` has the details. */
export class StartError extends NetgetError {
  static override readonly errorName = 'StartError'
  override readonly code = 'NETGET_ERR_START'
}

/** A method that needs a running node was called after `stop()` began. */
export class NotStartedError extends NetgetError {
  static override readonly errorName = 'NotStartedError'
  override readonly code = 'NETGET_ERR_NOT_STARTED'

  constructor (message = 'The node is stopped') {
    super(message)
  }
}

/** A key file or data directory could not be read or has the wrong format. */
export class KeyFileError extends NetgetError {
  static override readonly errorName = 'KeyFileError'
  override readonly code = 'NETGET_ERR_KEY_FILE'
}

/** `registerWithNetwork()` on a node that has no service name (metadata.name). */
export class NotAServiceError extends NetgetError {
  static override readonly errorName = 'NotAServiceError'
  override readonly code = 'NETGET_ERR_NOT_A_SERVICE'

  constructor (message: string) {
    super(message)
  }
}

/** `pick()` found no instance of the service that matches the filters and is healthy enough to use. */
export class NoInstanceError extends NetgetError {
  static override readonly errorName = 'NoInstanceError'
  override readonly code = 'NETGET_ERR_NO_INSTANCE'

  constructor (message: string) {
    super(message)
  }
}
