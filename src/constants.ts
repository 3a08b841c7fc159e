/**
 * Protocol names and limits shared by every module. Units are in the names or the comments.
 * Wire limits are part of the protocol (protocols/service-record.md): changing one is a protocol change.
 */

/** Protocol ids are namespaced per network so that two networks never exchange DHT, registry or health traffic. */
export const kadProtocol = (network: string): string => `/netget/${network}/kad/1.0.0`
export const registryProtocol = (network: string): string => `/netget/${network}/registry/1.0.0`
export const healthProtocol = (network: string): string => `/netget/${network}/health/1.0.0`
export const admissionProtocol = (network: string): string => `/netget/${network}/admission/1.0.0`

/** Domain strings separate what a key signs, so a signature made for one purpose is never valid for another. */
export const recordSignatureDomain = (network: string): string => `netget-record:v1:${network}`

/** Maximum encoded SignedServiceRecord, checked before any decoding. */
export const MAX_RECORD_BYTES = 10 * 1024
export const MAX_NAME_BYTES = 253
export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/
export const MAX_ADDRESSES = 32
export const MAX_ADDRESS_BYTES = 256
export const MAX_METADATA_BYTES = 8 * 1024
export const MAX_METADATA_KEYS = 64
/** Network names appear in protocol ids, so they follow the service-name rules, shorter. */
export const MAX_NETWORK_BYTES = 64

/** A record may claim at most this lifetime (ms): leases are short and republished. */
export const MAX_RECORD_LIFETIME_MS = 60 * 60 * 1000
/** Clocks of two honest peers may differ by this much (ms) without a record being refused. */
export const CLOCK_SKEW_MS = 30 * 1000

/** Records one DISCOVER answer may carry. */
export const MAX_RECORDS_PER_RESPONSE = 256
/** Bytes of records a registry puts in one DISCOVER answer; it sends fewer records rather than more bytes. */
export const MAX_RESPONSE_RECORD_BYTES = 1024 * 1024
/** Largest registry protocol message a client reads (bytes): a full DISCOVER answer plus framing. */
export const MAX_REGISTRY_MESSAGE_BYTES = MAX_RESPONSE_RECORD_BYTES + MAX_RECORDS_PER_RESPONSE * 8 + 1024
export const MAX_HEALTH_MESSAGE_BYTES = 128
/** A registry request stream without traffic is closed after this long (ms), on both sides. */
export const SESSION_IDLE_TIMEOUT_MS = 60_000
/** Registry protocol streams one connection may hold open at once. */
export const MAX_REGISTRY_STREAMS_PER_CONNECTION = 8
