/**
 * The IPC messages between the coordinator (sim/run.ts) and a child (sim/child.ts). Commands carry a `seq`;
 * the child answers each with a `reply` of the same `seq`, so the coordinator can bound every wait. Events are
 * sent unprompted (rejections, warnings).
 */

export type Role = 'registry' | 'service' | 'client'

/** Options every node of a run shares; passed to each child in NETGET_SIM_SETTINGS at fork. */
export interface NodeSettings {
  network: string
  replicationFactor: number
  healthInterval: number
  healthTimeout: number
  unhealthyThreshold: number
  recordTtl: number
  discoverTimeout: number
  registerTimeout: number
}

export interface CreateCommand {
  type: 'create'
  id: string
  role: Role
  /** Service name, for services. */
  name?: string
  /** The single registry multiaddr this node is given, if any (the first registry has none). */
  registry?: string
  /** Registration attempts of a service before it gives up (each bounded by registerTimeout). */
  registerAttempts: number
}

export interface StopCommand { type: 'stop', id: string }

export interface DiscoverCommand { type: 'discover', id: string, name: string }

export interface WatchCommand {
  type: 'watch'
  id: string
  name: string
  peerIds: string[]
  /** 'present': until every peer id is returned; 'absent': until none is. */
  want: 'present' | 'absent'
  intervalMs: number
  timeoutMs: number
}

export interface PartitionCommand { type: 'partition', deny: string[] }

export interface SampleCommand { type: 'sample' }

export interface RecordsCommand { type: 'records' }

export interface ShutdownCommand { type: 'shutdown', graceMs: number }

export type Command = CreateCommand | StopCommand | DiscoverCommand | WatchCommand | PartitionCommand | SampleCommand | RecordsCommand | ShutdownCommand

export interface Envelope { seq: number, command: Command }

/** Numeric counters read from getStats() around one lookup; fields absent in this netget version stay null. */
export interface TrafficDelta {
  requests: number | null
  requestBytes: number | null
  responseBytes: number | null
  lookups: number | null
}

export interface CreateReply {
  peerId: string
  multiaddrs: string[]
  startedAt: number
  /** Services: when registerWithNetwork() resolved. */
  registeredAt?: number
  registerMs?: number
  registerAttempts?: number
  registerError?: string
}

export interface StopReply { stopRequestedAt: number, stoppedAt: number, error?: string }

export interface DiscoverReply {
  start: number
  end: number
  latencyMs: number
  peerIds: string[]
  error?: string
  traffic: TrafficDelta
}

export interface WatchReply { satisfiedAt?: number, polls: number, lastError?: string }

export interface PartitionReply { openToDenied: number, hungUp: number, hangUpSupported: boolean }

export interface SampleReply {
  at: number
  /** Cumulative process.cpuUsage(), µs. */
  cpuUser: number
  cpuSystem: number
  rss: number
  heapUsed: number
  /** V8's heap as reserved (heapUsed is what live and not yet collected objects fill of it). */
  heapTotal: number
  /** Memory of C++ objects bound to JS ones (buffers included), and of ArrayBuffers alone. */
  external: number
  arrayBuffers: number
  /** Event-loop delay since the previous sample, ms. */
  eld: { p50: number, p99: number, max: number, mean: number }
  nodes: Record<Role, number>
  /** Open connections summed over this process's nodes (as seen through peer:connect/peer:disconnect). */
  connections: number
  /** peer:connect events over this process's nodes since it started (cumulative). */
  peerConnects: number
  /** Cumulative count of `error` events of nodes, by message head. */
  nodeErrors: Record<string, number>
}

export interface RecordsReply {
  /** verified / known: the registries in this one's table, verified (its view of the network) and all. */
  registries: Array<{ id: string, peerId: string, verified: number, known: number, records: Array<{ peerId: string, name: string, down: boolean }> }>
}

export interface ReplyMessage { kind: 'reply', seq: number, ok: boolean, value?: unknown, error?: string }

export interface ProblemMessage {
  kind: 'problem'
  what: 'unhandledRejection' | 'uncaughtException' | 'warning'
  message: string
  at: number
}

export interface ReadyMessage { kind: 'ready', pid: number, node: string }

/** A service's peer id, sent before it registers: a lookup may return the instance before create() replies. */
export interface StartedMessage { kind: 'started', id: string, peerId: string, at: number }

/** A registry's prober changed its view of an instance (the `instance:down` / `instance:up` events). */
export interface HealthMessage { kind: 'health', registry: string, peerId: string, down: boolean, reason?: string, at: number }

/** A service renewed its lease (the registries that stored it), or failed to. */
export interface RenewalMessage { kind: 'renewal', peerId: string, registries: string[], error?: string, at: number }

export type ChildMessage = ReplyMessage | ProblemMessage | ReadyMessage | StartedMessage | HealthMessage | RenewalMessage
