/**
 * The public shapes of the facade (`Netget`): the options of its calls, its counters and its events.
 */
import type { InstanceFilter } from '../discovery/filters.js'
import type { PickStrategy } from '../discovery/pick.js'
import type { ServiceInstance } from '../records/instance.js'
import type { RegistrationResult } from '../registry/lease.js'
import type { RestoreResult } from '../registry/registry-role.js'
import type { ReplicationReason } from '../registry/replicator.js'

export interface RegisterOptions {
  signal?: AbortSignal
  /** Overall deadline (ms). @default options.registerTimeout */
  timeout?: number
  /** Registries that must store the record. @default options.minAcks */
  minAcks?: number
}

export interface DiscoverOptions extends InstanceFilter {
  signal?: AbortSignal
  /** Overall deadline (ms). @default options.discoverTimeout */
  timeout?: number
  /** Return a cached answer for this name if it is at most this old (ms); 0 always asks the registries. @default 0 */
  maxAge?: number
  /** Probe each instance directly before returning it; instances that do not answer are left out. @default false */
  probe?: boolean
}

export interface PickOptions extends Omit<DiscoverOptions, 'probe'> {
  /**
   * `random`, or `least-loaded`: the less loaded of two healthy instances chosen at random, by the load figures
   * their probe answers carry (docs/health.md). @default 'random'
   */
  strategy?: PickStrategy
}

export interface WatchOptions extends InstanceFilter {
  /** Ends the watch (the iteration completes). Without one it ends at `stop()` or when the caller breaks out. */
  signal?: AbortSignal
}

export interface HealthCheckOptions {
  signal?: AbortSignal
  /** @default options.healthTimeout */
  timeout?: number
}

export interface NetgetStats {
  /** Records a registry holds now. */
  records: number
  /** Records stored (new or newer) since start. */
  stored: number
  /** Records refused, by error code. */
  rejected: Record<string, number>
  /** Requests refused for going over the publish rate. */
  rateLimited: number
  /** Records refused because their publisher holds maxRecordsPerPeer already. */
  quotaExceeded: number
  /** Registry: DISCOVER requests from other nodes it answered. */
  discoversAnswered: number
  /** Records evicted to stay under maxRecords. */
  evicted: number
  /** Records dropped at the end of their lease. */
  expired: number
  /** Peers refused for lack of a valid admission certificate (closed networks). */
  refusedPeers: number
  /** Registries this node knows (its registry table), and how many of them proved to be registries. */
  knownRegistries: number
  verifiedRegistries: number
  /** Lookups run: discoveries that asked registries, publications, and a registry's own table lookups. */
  lookups: number
  /** Registry-protocol requests this node sent, and the bytes of those requests and of their answers. */
  requests: number
  requestBytes: number
  responseBytes: number
  /** Sum over lookups of the hops to the farthest of the closest registries (0 when the first asked were the closest). */
  lookupHops: number
  /** Discovery requests sent because one already out was slower than this client's recent p95 answer time. */
  hedges: number
  /** Registry: records sent to other registries by re-replication (stored or already held there), refused, not delivered. */
  replicated: number
  replicationRefused: number
  replicationFailed: number
  /** Registry: copies of renewals and withdrawals relayed to the rest of their closest set (queued, one per receiver). */
  relayed: number
}

export interface NetgetEvents {
  /** The node is running; detail: its peer id. */
  start: CustomEvent<string>
  stop: CustomEvent<void>
  /** A connection to a peer opened; detail: its peer id. */
  'peer:connect': CustomEvent<string>
  'peer:disconnect': CustomEvent<string>
  /** `registerWithNetwork()` published the node's record. */
  registered: CustomEvent<RegistrationResult>
  /** The lease was renewed. */
  republished: CustomEvent<RegistrationResult>
  /** A renewal failed; it is retried sooner. */
  'republish:error': CustomEvent<Error>
  /** `stop()` withdrew the record; detail: registries that stored the tombstone. */
  withdrawn: CustomEvent<number>
  /** Registry: a record was stored; `from` is the peer that sent it (the publisher, or a registry replicating it). */
  'record:stored': CustomEvent<ServiceInstance & { from: string }>
  /** Registry: an instance withdrew its record (a clean stop); it is no longer served. */
  'record:withdrawn': CustomEvent<ServiceInstance & { from: string }>
  /** Registry: a record was refused. */
  'record:rejected': CustomEvent<{ code: string, message: string, from: string }>
  /** Registry: a peer went over a limit (publish rate, records per peer); its request was refused. */
  'record:limited': CustomEvent<{ code: string, message: string, from: string }>
  /** Closed network: a peer without a valid admission certificate (or with the wrong role) was refused. */
  'peer:refused': CustomEvent<{ peerId: string, code: string, message: string }>
  /** Registry: an instance stopped answering probes and is hidden from discovery. */
  'instance:down': CustomEvent<{ peerId: string, reason: string }>
  /** Registry: a hidden instance answered again. */
  'instance:up': CustomEvent<{ peerId: string }>
  /** Registry: records were copied to a registry that joined a closest set, or that replaced one that left. */
  'records:replicated': CustomEvent<{ to: string, records: number, reason: ReplicationReason }>
  /** A watched name's instance appeared (unfiltered; once per change whatever the number of watch() callers). */
  'watch:up': CustomEvent<{ name: string, instance: ServiceInstance }>
  /** A watched name's instance left: withdrawn, expired, or found down. */
  'watch:down': CustomEvent<{ name: string, instance: ServiceInstance }>
  /** A watched name's instance changed: a new record (metadata, addresses) or a health verdict. */
  'watch:changed': CustomEvent<{ name: string, instance: ServiceInstance }>
  /** A watch resynchronised after a gap; `instances` is the whole set now. */
  'watch:resync': CustomEvent<{ name: string, instances: ServiceInstance[] }>
  /** Registry with a datastore: what the start read back (records held again, records dropped, registries known). */
  restored: CustomEvent<RestoreResult>
  /** A background task failed (logged, never thrown). */
  error: CustomEvent<Error>
}
