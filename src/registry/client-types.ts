/**
 * The registry client's settings and the shapes its calls return, in a module of their own so that the client's
 * connection side (registry-connections.ts) shares them without importing the client.
 */
import type { RegistryServer } from './registry-server.js'
import type { RegistryTable } from '../routing/registry-table.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { PublicKey } from '@libp2p/interface'

export interface RegistryClientInit {
  network: string
  /** The registries this node knows (shared with the membership and, on a registry, the server). */
  table: RegistryTable
  /** The local registry, when this node is one: it takes part in every lookup as a candidate like the others. */
  localRegistry?: RegistryServer
  replicationFactor: number
  /** How many of the closest registries a discovery needs answers from. */
  queryFanout: number
  /** Deadline of one request to one registry (ms). */
  requestTimeout: number
  /** How long a name's closest registries are asked without asking them for closer ones again (ms). */
  routeCacheTtl: number
  /** Closed networks: only peers admitted as registries are asked, and records need the authority's admission. */
  guard?: AdmissionGuard
  authority?: PublicKey
  /**
   * Whether the connection to a registry stays open once this node stopped sending it requests (a registry's
   * neighbours, a service's record holders). Others are closed when their session idles out and nothing else
   * uses them. @default keep none
   */
  keepConnection?: (peerId: string) => boolean
}

export interface PublishResult {
  /** Registries (peer ids) among the closest that hold the record now, nearest first. */
  accepted: string[]
  /** Registries among the closest that refused it: peer id → `code: message`. */
  refusals: Record<string, string>
  /** Registries that could not be reached: peer id → reason. */
  unreachable: Record<string, string>
  /**
   * One of the unreachable registries is closer to the key than the farthest that stored the record: it may have
   * been only slow, and lacks the record (a registry farther out that a lookup hop could not reach does not count).
   */
  missedCloser: boolean
}

/** What this node's lookups cost since start (getStats()). */
export interface ClientCounters {
  /** Lookups run (discoveries that asked registries, publications, FIND walks). */
  lookups: number
  /** Registry-protocol requests sent. */
  requests: number
  /** Bytes of those requests and of their answers (protobuf, without framing). */
  requestBytes: number
  responseBytes: number
  /** Sum over lookups of the hops to the farthest of the closest registries (0: the first ones asked were the closest). */
  hops: number
  /** Discovery requests sent because one already out was slower than the recent p95 (hedges). */
  hedges: number
}
