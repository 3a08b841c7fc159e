/**
 * ServiceInstance: what the API returns for a verified record. Records are shared with the verification and
 * discovery caches, so callers always get their own copy.
 */
import { copyHealth, unknownHealth } from '../health/model.js'
import type { InstanceHealth } from '../health/model.js'
import type { Metadata, VerifiedRecord } from './service-record.js'

/** One instance of a service, as discovery returns it: verified, live, the newest record of its publisher. */
export interface ServiceInstance {
  /** The instance's libp2p peer id (the key that signed its record). */
  peerId: string
  name: string
  network: string
  metadata: Metadata
  /** libp2p multiaddrs (each ending in /p2p/<peerId>) and announced application endpoints. */
  addresses: string[]
  /** Monotonic per instance: higher means newer. */
  sequence: bigint
  /** ms since the epoch. */
  issuedAt: number
  /** ms since the epoch: the lease ends here unless republished. */
  expiresAt: number
  /** Its health as the registries that probe it last saw it (`unknown` until one has). */
  health: InstanceHealth
}

/** A view of a record (shares its metadata and addresses: copy before handing it out). */
export function toInstance (record: Omit<VerifiedRecord, 'bytes' | 'admissionBytes' | 'withdrawn'>, health: InstanceHealth = unknownHealth()): ServiceInstance {
  return {
    peerId: record.peerId,
    name: record.name,
    network: record.network,
    metadata: record.metadata,
    addresses: record.addresses,
    sequence: record.sequence,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt,
    health
  }
}

export function copyInstance (instance: ServiceInstance): ServiceInstance {
  return { ...instance, metadata: cloneJson(instance.metadata), addresses: [...instance.addresses], health: copyHealth(instance.health) }
}

/**
 * A deep copy of a JSON value (what metadata is once it went through a record). Several times faster than
 * structuredClone on small objects, which every discovery answer hands out; anything that is not plain JSON (an
 * application's own metadata object before it was published) goes to structuredClone.
 */
function cloneJson<T> (value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(cloneJson) as T
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return structuredClone(value)
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const copy = cloneJson((value as Record<string, unknown>)[key])
    // JSON.parse makes "__proto__" an own key; an assignment would set the copy's prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true })
    else out[key] = copy
  }
  return out as T
}
