/**
 * The facade: options → one libp2p node, and the modules that do the work wired to it (registry client and
 * role, lease, health, security). It owns the lifecycle, the events and the discovery cache.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { AbortedError, InvalidOptionError, NetgetError, NoInstanceError, NoRegistryReachableError, NotAServiceError, NotStartedError, PublishFailedError, StartError, TimeoutError } from './errors.js'
import { compileFilter, filterOf } from './discovery/filters.js'
import { pickInstance } from './discovery/pick.js'
import { Watches } from './discovery/watch.js'
import { HealthService } from './health/health-service.js'
import { probe } from './health/probe.js'
import { createNode } from './node/create-node.js'
import { generateKey, loadOrCreateDataDirKey, readKeyFile } from './node/identity.js'
import { checkRegistryAddress, checkRegistryEntry, resolveOptions } from './options.js'
import { isRegistryUrl, resolveRegistryUrl } from './http/well-known.js'
import { quietLogger } from './node/logger.js'
import { copyInstance, toInstance } from './records/instance.js'
import { checkName, openRecord } from './records/service-record.js'
import { Lease } from './registry/lease.js'
import { RegistryClient } from './registry/registry-client.js'
import { openRegistryDatastore } from './registry/datastore.js'
import { RegistryPersistence } from './registry/persistence.js'
import { RegistryRole } from './registry/registry-role.js'
import { TABLE_BUCKET_SIZE } from './constants.js'
import { Membership } from './routing/membership.js'
import { RegistryTable } from './routing/registry-table.js'
import { checkMayPublish, loadSecurity } from './security/setup.js'
import { deadline } from './util/deadline.js'
import { BoundedMap } from './util/bounded-map.js'
import type { ReplicationReason } from './registry/replicator.js'
import type { RegistryDatastore } from './registry/datastore.js'
import type { RestoreResult } from './registry/registry-role.js'
import type { InstanceFilter } from './discovery/filters.js'
import type { PickStrategy } from './discovery/pick.js'
import type { WatchEvent } from './discovery/watch.js'
import type { ProbeResult } from './health/probe.js'
import type { NetgetLibp2p } from './node/create-node.js'
import type { NetgetOptions, NodeType, ResolvedOptions } from './options.js'
import type { NodeMetrics } from './metrics/node-metrics.js'
import type { ServiceInstance } from './records/instance.js'
import type { Metadata, RecordExpectations } from './records/service-record.js'
import type { RegistrationResult } from './registry/lease.js'
import type { Security } from './security/setup.js'
import type { ComponentLogger, ConnectionGater, PeerId, PrivateKey } from '@libp2p/interface'

export type { ServiceInstance } from './records/instance.js'
export type { WatchEvent } from './discovery/watch.js'
export type { RegistrationResult } from './registry/lease.js'

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

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

interface Running {
  node: NetgetLibp2p
  health: HealthService
  watches: Watches
  client: RegistryClient
  membership: Membership
  security: Security
  lease: Lease
  registry?: RegistryRole
  /** A registry's datastore, closed after the node. */
  stores?: RegistryDatastore
}

export class Netget extends TypedEventEmitter<NetgetEvents> {
  readonly nodeType: NodeType
  /** The node's metadata; `metadata.name` is its service name. Change it and call `registerWithNetwork()` again to republish. */
  metadata: Metadata
  readonly network: string
  /** Registry multiaddrs (strings ending in /p2p/<peerId>). Use addRegistryNode/removeRegistryNode to change it. */
  /** The registries as given (multiaddrs and URLs); addRegistryNode/removeRegistryNode change it. */
  readonly registryNodes: Set<string>
  /** Prometheus metrics (option `metrics`), made at start. */
  private metrics?: NodeMetrics
  /** URL entries of registryNodes → the multiaddrs their /.well-known/netget gave. */
  private readonly resolvedUrls = new Map<string, string[]>()

  private readonly options: ResolvedOptions
  private state: State = 'idle'
  private running?: Running
  private starting?: Promise<Running>
  private stopping?: Promise<void>
  private readonly discoveryCache = new BoundedMap<string, { at: number, instances: ServiceInstance[] }>(1024)
  private readonly lifetime = new AbortController()
  /** Kept after stop() so that getStats() still reports what the registry did. */
  private registry?: RegistryRole
  private client?: RegistryClient
  private table?: RegistryTable
  private refusedPeers = 0
  /** Set at start and kept after stop(), so that code logging which node stopped can still read it. */
  private id?: string

  constructor (options: NetgetOptions = {}) {
    super()
    this.options = resolveOptions(options)
    this.nodeType = this.options.nodeType
    this.metadata = this.options.metadata
    this.network = this.options.network
    this.registryNodes = this.options.registryNodes
  }

  /** This node's peer id; throws NotStartedError before the first `start()`, and stays readable after `stop()`. */
  get peerId (): string {
    if (this.id === undefined) throw new NotStartedError('The node has no peer id yet: call start() first')
    return this.id
  }

  /** Dialable multiaddrs, each ending in /p2p/<peerId>; empty before `start()`. */
  getMultiaddrs (): string[] {
    return this.running?.node.getMultiaddrs().map(ma => ma.toString()) ?? []
  }

  isRunning (): boolean {
    return this.state === 'running'
  }

  /**
   * Registry: the live records this node holds now (withdrawals and expired leases left out), for one name or all,
   * each with whether its prober sees the instance as down. `[]` on a service node or a stopped node.
   */
  listRecords (name?: string): Array<ServiceInstance & { down: boolean }> {
    const registry = this.running?.registry
    if (registry === undefined) return []
    return registry.heldRecords(name).map(({ record, down, health }) => ({ ...copyInstance(toInstance(record, health)), down }))
  }

  /** Counters since start: what a registry stored, refused and dropped, and peers refused admission. */
  getStats (): NetgetStats {
    const registry = this.registry
    return {
      records: this.running?.registry?.store.size ?? 0,
      stored: registry?.counters.stored ?? 0,
      rejected: { ...registry?.counters.rejected },
      rateLimited: registry?.counters.rateLimited ?? 0,
      quotaExceeded: registry?.counters.quotaExceeded ?? 0,
      discoversAnswered: registry?.server.discoversAnswered ?? 0,
      evicted: registry?.store.counters.evicted ?? 0,
      expired: registry?.store.counters.expired ?? 0,
      refusedPeers: this.refusedPeers,
      ...this.routingStats()
    }
  }

  private routingStats (): Pick<NetgetStats, 'knownRegistries' | 'verifiedRegistries' | 'lookups' | 'requests' | 'requestBytes' | 'responseBytes' | 'lookupHops' | 'hedges' | 'replicated' | 'replicationRefused' | 'replicationFailed' | 'relayed'> {
    const table = this.table
    let verified = 0
    for (const entry of table?.all() ?? []) if (entry.verified) verified++
    const client = this.client?.counters
    const replication = this.registry?.replicator.counters
    return {
      knownRegistries: table?.size ?? 0,
      verifiedRegistries: verified,
      lookups: client?.lookups ?? 0,
      requests: client?.requests ?? 0,
      requestBytes: client?.requestBytes ?? 0,
      responseBytes: client?.responseBytes ?? 0,
      lookupHops: client?.hops ?? 0,
      hedges: client?.hedges ?? 0,
      replicated: replication?.replicated ?? 0,
      replicationRefused: replication?.refused ?? 0,
      replicationFailed: replication?.failed ?? 0,
      relayed: replication?.relayed ?? 0
    }
  }

  /** Starts the node (idempotent); resolves once it listens. Registries are dialled in the background. */
  async start (): Promise<void> {
    await this.ensureStarted()
  }

  /**
   * Resolves once the node runs and one of its configured registries answered a request, so that its request
   * session is open: a registration or discovery after it pays its own round trips, not the connection's set-up.
   * Rejects with NoRegistryReachableError when none answers within `timeout` (default `discoverTimeout`).
   * A registry node with no other registry configured is ready once started.
   */
  async ready (options: { signal?: AbortSignal, timeout?: number } = {}): Promise<void> {
    const running = await this.ensureStarted()
    const ids = [...new Set(this.registryAddresses().map(a => checkRegistryAddress(a)))].filter(id => id !== this.id)
    if (ids.length === 0) {
      if (running.registry !== undefined) return
      throw new NoRegistryReachableError('No registry node is known: give registryNodes')
    }
    await this.withDeadline(options.signal, options.timeout ?? this.options.discoverTimeout, 'ready', async signal => {
      try {
        await Promise.any(ids.map(async id => {
          if (!await running.client.isAlive(id, signal)) throw new Error(`${id} did not answer`)
        }))
      } catch (err) {
        throw new NoRegistryReachableError(`None of the ${ids.length} configured registries answered`, { cause: err })
      }
    })
  }

  /**
   * Stops the node (idempotent): withdraws a registered record (so the instance leaves discovery at once),
   * then releases every socket, timer and stream.
   */
  async stop (): Promise<void> {
    if (this.stopping !== undefined) return this.stopping
    // Never started: nothing to release, and nothing to announce (again).
    if (this.state === 'idle' || this.state === 'stopped') {
      this.state = 'stopped'
      return
    }
    this.stopping = this.doStop()
    return this.stopping
  }

  /** Adds a registry: a multiaddr ending in /p2p/<peerId>, or an http(s) URL (resolved in the background when running). */
  addRegistryNode (address: string): void {
    checkRegistryEntry(address, 'registryNode')
    this.registryNodes.add(address)
    const running = this.running
    if (running === undefined) return
    if (!isRegistryUrl(address)) {
      this.useRegistry(running, address)
      return
    }
    void this.resolveUrls([address], running.node.logger).then(() => {
      if (this.running !== running || !this.registryNodes.has(address)) return
      for (const ma of this.resolvedUrls.get(address) ?? []) this.useRegistry(running, ma)
    })
  }

  private useRegistry (running: Running, address: string): void {
    const peerId = checkRegistryAddress(address, 'registryNode')
    running.client.include(peerId)
    running.membership.configure(address)
    if (running.registry !== undefined) void this.connectRegistry(running.node, address, peerId)
  }

  removeRegistryNode (address: string): void {
    checkRegistryEntry(address, 'registryNode')
    const removed = isRegistryUrl(address) ? (this.resolvedUrls.get(address) ?? []) : [address]
    if (!this.registryNodes.delete(address)) return
    this.resolvedUrls.delete(address)
    const running = this.running
    if (running === undefined) return
    const still = new Set(this.registryAddresses().map(a => checkRegistryAddress(a)))
    for (const peerId of new Set(removed.map(a => checkRegistryAddress(a)))) {
      if (still.has(peerId)) continue
      running.client.exclude(peerId)
      void running.node.hangUp(peerIdFromString(peerId)).catch((err: unknown) => {
        running.node.logger.forComponent('netget:node')('hanging up on removed registry %s failed: %e', peerId, err)
      })
    }
  }

  /** The configured registries as multiaddrs: URL entries replaced by what they resolved to (nothing if they did not). */
  private registryAddresses (): string[] {
    const out: string[] = []
    for (const entry of this.registryNodes) {
      if (isRegistryUrl(entry)) out.push(...(this.resolvedUrls.get(entry) ?? []))
      else out.push(entry)
    }
    return out
  }

  /** Resolves URL entries through their /.well-known/netget, each within requestTimeout; a failure is logged, not thrown. */
  private async resolveUrls (urls: string[], logger: ComponentLogger): Promise<void> {
    const log = logger.forComponent('netget:node')
    await Promise.all(urls.map(async url => {
      const limit = deadline(this.options.requestTimeout, this.lifetime.signal)
      try {
        this.resolvedUrls.set(url, await resolveRegistryUrl(url, this.options.network, limit.signal))
      } catch (err) {
        log('could not resolve registry %s: %e', url, err)
      } finally {
        limit.clear()
      }
    }))
  }

  /**
   * Closes every connection to a peer, e.g. after the `connectionGater` option started refusing it (a gater
   * only sees new connections). The peer may connect again unless something refuses it. No-op when stopped.
   */
  async hangUp (peerId: string): Promise<void> {
    const running = this.running
    if (running === undefined) return
    let peer: PeerId
    try {
      peer = peerIdFromString(peerId)
    } catch (err) {
      throw new InvalidOptionError('peerId', `not a peer id: ${(err as Error).message}`)
    }
    await running.node.hangUp(peer)
  }

  /**
   * Publishes this node's signed record to the registries closest to its service key and keeps the lease
   * alive until `stop()`. Calling it again republishes at once with a higher sequence (e.g. new metadata).
   */
  async registerWithNetwork (options: RegisterOptions = {}): Promise<RegistrationResult> {
    if (!this.options.metrics) return this.register(options)
    // The metrics are made at start (prom-client is loaded only then): a first call before start() counts too.
    await this.ensureStarted()
    const metrics = this.metrics as NodeMetrics
    return metrics.time(metrics.register, async () => this.register(options))
  }

  private async register (options: RegisterOptions): Promise<RegistrationResult> {
    const name = this.serviceName()
    const running = await this.ensureStarted()
    checkMayPublish(running.security.admission, name)
    const minAcks = options.minAcks ?? this.options.minAcks
    const result = await this.withDeadline(options.signal, options.timeout ?? this.options.registerTimeout, 'registerWithNetwork',
      async signal => running.lease.register(name, minAcks, signal))
    this.safeDispatchEvent('registered', { detail: result })
    return result
  }

  /**
   * Every live, verified instance of `name` in this node's network that matches the filters (`tags`,
   * `metadata`, `version`), each with its health; `[]` when there is none.
   */
  async discoverServiceNode (name: string, options: DiscoverOptions = {}): Promise<ServiceInstance[]> {
    if (!this.options.metrics) return this.discover(name, options)
    await this.ensureStarted()
    const metrics = this.metrics as NodeMetrics
    return metrics.time(metrics.discover, async () => this.discover(name, options))
  }

  /**
   * Prometheus text exposition of this node's metrics (libp2p's and netget's); needs the option `metrics: true`
   * and a started node. Served at `/metrics` by `netget registry --http`.
   */
  /** Whether this node collects metrics (the option `metrics`). */
  get metricsEnabled (): boolean {
    return this.options.metrics
  }

  async getMetrics (): Promise<string> {
    if (this.metrics === undefined) throw new NotStartedError(this.options.metrics ? 'the node is not started' : 'metrics are off: construct the node with metrics: true')
    return this.metrics.registry.metrics()
  }

  private async discover (name: string, options: DiscoverOptions): Promise<ServiceInstance[]> {
    checkServiceName(name)
    const matches = compileFilter(filterOf(options))
    const maxAge = options.maxAge ?? 0
    // A direct probe is a request for fresh liveness: the cache cannot answer it.
    if (maxAge > 0 && options.probe !== true) {
      const cached = this.discoveryCache.get(name)
      if (cached !== undefined && Date.now() - cached.at <= maxAge) return cached.instances.filter(matches).map(copyInstance)
    }
    const running = await this.ensureStarted()
    // A watched name is answered from the watch's view: pushed by its registries, so as fresh as they are.
    const watched = options.probe === true ? undefined : running.watches.instances(name)
    if (watched !== undefined) return watched.filter(matches)
    return this.withDeadline(options.signal, options.timeout ?? this.options.discoverTimeout, 'discoverServiceNode', async signal => {
      let held = await running.client.discover(name, signal)
      if (options.probe === true) {
        const verdicts = await Promise.all(held.map(async h => (await probe(running.node, this.network, peerIdFromString(h.record.peerId), signal, h.record.addresses)).healthy))
        held = held.filter((_, i) => verdicts[i])
      }
      const instances = held.map(h => toInstance(h.record, h.health))
      this.discoveryCache.set(name, { at: Date.now(), instances })
      return instances.filter(matches).map(copyInstance)
    })
  }

  /**
   * One instance of `name` to use now: among those matching the filters, a passing one (else one not probed
   * yet, else a suspect; never a failing one), at random or the less loaded of two (`strategy`). Throws
   * NoInstanceError when there is none.
   */
  async pick (name: string, options: PickOptions = {}): Promise<ServiceInstance> {
    const strategy = options.strategy ?? 'random'
    if (strategy !== 'random' && strategy !== 'least-loaded') {
      throw new InvalidOptionError('strategy', `expected 'random' or 'least-loaded', got ${JSON.stringify(strategy)}`)
    }
    const { strategy: _, ...discover } = options
    const chosen = pickInstance(await this.discoverServiceNode(name, discover), strategy)
    if (chosen === undefined) throw new NoInstanceError(`no healthy instance of "${name}" matches`)
    return chosen
  }

  /**
   * Follows `name`: an `up` event for every live instance matching the filters, then `up`, `down` and `changed`
   * as they happen, pushed by the registries that hold the name; after a gap (a registry lost, a partition) a
   * `resync` event with the whole set. Ends when `signal` fires, at `stop()`, or when the caller breaks out.
   * While a name is watched, `discoverServiceNode(name)` answers from the watch.
   */
  watch (name: string, options: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    checkServiceName(name)
    const matches = compileFilter(filterOf(options))
    // Started lazily, like discovery: the first next() starts the node if needed.
    let inner: AsyncIterableIterator<WatchEvent> | undefined
    const open = async (): Promise<AsyncIterableIterator<WatchEvent>> => {
      const running = await this.ensureStarted()
      inner ??= running.watches.watch(name, matches, options.signal)
      return inner
    }
    return {
      // Once open, straight to the watch: after stop() it ends (done) rather than asking for a running node.
      async next () { return (inner ?? await open()).next() },
      async return () {
        if (inner === undefined) inner = emptyIterator()
        return inner.return?.() ?? { value: undefined, done: true }
      },
      [Symbol.asyncIterator] () { return this }
    }
  }

  /**
   * Verifies a signed record (encoded SignedServiceRecord) against every rule for this network:
   * size, structure, binding, signature, time. Throws RecordValidationError with the failing rule's code.
   */
  async _validateNode (record: Uint8Array, expect: Omit<RecordExpectations, 'network'> = {}): Promise<ServiceInstance> {
    return toInstance(await openRecord(record, { ...expect, network: this.network, ...(this.options.authority !== undefined ? { authority: this.options.authority } : {}) }))
  }

  /** Probes one instance over the Noise-authenticated health protocol. Never throws for an unhealthy peer. */
  async _checkNodeHealth (instance: string | PeerId | Pick<ServiceInstance, 'peerId'> & Partial<Pick<ServiceInstance, 'addresses'>>, options: HealthCheckOptions = {}): Promise<ProbeResult> {
    const running = await this.ensureStarted()
    const id = typeof instance === 'string' ? instance : 'peerId' in instance ? instance.peerId : instance.toString()
    const addresses = typeof instance === 'object' && 'addresses' in instance && Array.isArray(instance.addresses)
      ? instance.addresses
      : running.client.lastKnownAddresses(id)
    let peer: PeerId
    try {
      peer = peerIdFromString(id)
    } catch (err) {
      throw new InvalidOptionError('instance', `not a peer id: ${(err as Error).message}`)
    }
    const timeout = options.timeout ?? this.options.healthTimeout
    if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidOptionError('timeout', `expected a positive number of ms, got ${timeout}`)
    const limit = deadline(timeout, this.lifetime.signal, options.signal)
    try {
      return await probe(running.node, this.network, peer, limit.signal, addresses)
    } finally {
      limit.clear()
    }
  }

  private serviceName (): string {
    const name = this.metadata?.name
    if (typeof name !== 'string') throw new NotAServiceError('registerWithNetwork() needs metadata.name, the service name to register')
    try {
      checkName(name, 'metadata.name')
    } catch (err) {
      throw new InvalidOptionError('metadata.name', (err as Error).message)
    }
    return name
  }

  private async ensureStarted (): Promise<Running> {
    if (this.state === 'stopping' || this.state === 'stopped') throw new NotStartedError('The node was stopped; create a new Netget to start again')
    if (this.running !== undefined) return this.running
    this.starting ??= this.doStart()
    return this.starting
  }

  private async loadKey (): Promise<PrivateKey> {
    if (this.options.privateKey !== undefined) return this.options.privateKey
    if (this.options.keyFile !== undefined) return readKeyFile(this.options.keyFile)
    if (this.options.dataDir !== undefined) return loadOrCreateDataDirKey(this.options.dataDir)
    return generateKey()
  }

  private async doStart (): Promise<Running> {
    this.state = 'starting'
    const o = this.options
    const privateKey = await this.loadKey()
    const security = await loadSecurity(o, peerIdFromPrivateKey(privateKey).toString(), (peerId, err) => {
      this.refusedPeers++
      this.safeDispatchEvent('peer:refused', { detail: { peerId, code: err.code, message: err.message } })
    })
    const guard = security.guard
    if (o.metrics && this.metrics === undefined) {
      const { NodeMetrics } = await import('./metrics/node-metrics.js')
      this.metrics = new NodeMetrics(() => this.getStats())
    }
    // Registries given by URL are resolved before the node is built: they are its bootstrap list too.
    const urls = [...this.registryNodes].filter(isRegistryUrl)
    if (urls.length > 0) await this.resolveUrls(urls, o.logger ?? quietLogger())
    // A registry's records and known registries survive restarts in its datastore (dataDir or the caller's).
    const stores = o.nodeType === 'registry' ? await openRegistryDatastore(o) : undefined
    let node: NetgetLibp2p
    try {
      node = await this.buildNode(privateKey, security, stores)
    } catch (err) {
      await stores?.close()
      throw err
    }
    const persistence = stores === undefined ? undefined : new RegistryPersistence(stores.datastore, o.network, node.logger.forComponent('netget:persistence'))
    const onError = (err: Error): void => { this.safeDispatchEvent('error', { detail: err }) }
    // The registries this node knows; on a registry, a change of who is closest re-replicates records.
    const table = new RegistryTable(node.peerId.toString(), TABLE_BUCKET_SIZE, {
      onVerified: entry => { this.registry?.replicator.registryJoined(entry) },
      onRemoved: entry => {
        this.registry?.replicator.registryLeft(entry)
        this.registry?.registryLeft(entry)
        if (!client.isExcluded(entry.id)) membership.registryLeft(entry)
      }
    })
    this.table = table
    const registry = o.nodeType === 'registry' ? this.registryRole(node, table, guard, onError, persistence) : undefined
    this.registry = registry
    const client = new RegistryClient(node, {
      network: o.network,
      table,
      ...(registry !== undefined ? { localRegistry: registry.server } : {}),
      replicationFactor: o.replicationFactor,
      queryFanout: o.queryFanout,
      requestTimeout: o.requestTimeout,
      routeCacheTtl: o.routeCacheTtl,
      // A registry leaves its connections to registries to the connection policy, which keeps them all (a closed
      // one is how a dead neighbour is noticed). Not only those in its table: one whose bucket is full is still a
      // kad-dht contact, which libp2p redials at once (keep-alive), so closing it was a handshake every 45 s for
      // most registry pairs. A service keeps those to its nearest record holders (for its early renewal).
      keepConnection: id => registry !== undefined || this.running?.lease.holds(id) === true,
      ...(guard !== undefined ? { guard } : {}),
      ...(o.authority !== undefined ? { authority: o.authority } : {})
    })
    this.client = client
    // Connections the idle-connection policy keeps open: a registry keeps those to the instances whose records
    // it holds (closing one would read as a crash to its prober and to the instance's early renewal).
    if (registry !== undefined) node.services.connections.keep(id => registry.store.hasPublisher(id))
    // On services and clients the policy keeps no registry by itself: those the registry client still wants.
    else node.services.connections.keep(id => client.wants(id))
    const membership = new Membership(node, {
      network: o.network,
      table,
      client,
      registry: registry !== undefined,
      requestTimeout: o.requestTimeout,
      ...(guard !== undefined ? { guard } : {}),
      onError
    })
    const health = new HealthService(node, {
      network: o.network,
      timeout: o.healthTimeout,
      checks: o.healthChecks,
      checkInterval: o.healthCheckInterval,
      ...(guard !== undefined ? { guard } : {}),
      onError
    })
    const watches = new Watches({
      network: o.network,
      client,
      ...(registry !== undefined ? { local: { id: node.peerId.toString(), snapshot: name => registry.watch.snapshot(name), subscribe: (name, listener) => registry.watch.subscribeLocal(name, listener) } } : {}),
      replicationFactor: o.replicationFactor,
      roundTimeout: o.discoverTimeout,
      lifetime: this.lifetime.signal,
      onEvent: (name, event) => {
        if (event.type === 'resync') this.safeDispatchEvent('watch:resync', { detail: { name, instances: event.instances } })
        else this.safeDispatchEvent(`watch:${event.type}`, { detail: { name, instance: event.instance } })
      },
      onError
    })
    const lease = new Lease({
      node,
      privateKey,
      client,
      network: o.network,
      recordTtl: o.recordTtl,
      renewTimeout: o.registerTimeout,
      announce: o.announce,
      relayWithdrawals: registry === undefined,
      ...(security.admission !== undefined ? { admission: security.admission.bytes } : {}),
      metadata: () => this.metadata,
      onRenewed: result => { this.safeDispatchEvent('republished', { detail: result }) },
      onRenewError: err => { this.safeDispatchEvent('republish:error', { detail: err }) },
      onHoldersLeft: ids => { for (const id of ids) client.release(id) }
    })
    node.addEventListener('peer:connect', evt => {
      this.safeDispatchEvent('peer:connect', { detail: evt.detail.toString() })
    })
    node.addEventListener('peer:disconnect', evt => {
      const id = evt.detail.toString()
      this.safeDispatchEvent('peer:disconnect', { detail: id })
      registry?.peerDisconnected(id)
      lease.holderLost(id)
    })
    try {
      await guard?.start(node)
      await health.start()
      await registry?.start()
      if (registry !== undefined && persistence !== undefined) {
        const restored = await registry.restore((id, addrs) => { table.add(id, addrs) }, this.lifetime.signal)
        this.safeDispatchEvent('restored', { detail: restored })
      }
      await node.start()
      membership.start(this.registryAddresses())
      registry?.startProbing(ids => { membership.watch(ids) })
    } catch (err) {
      membership.stop()
      health.stop()
      await registry?.stop().catch(() => {})
      await guard?.stop()
      await Promise.resolve(node.stop()).catch(() => {})
      cancelAddressUpdate(node)
      // The start's own error is the one to report; the datastore is closed either way.
      await stores?.close().catch(() => {})
      this.state = 'stopped'
      if (err instanceof NetgetError) throw err
      throw new StartError(`the node could not start: ${(err as Error).message}`, { cause: err })
    }
    const running: Running = { node, health, watches, client, membership, security, lease, ...(registry !== undefined ? { registry } : {}), ...(stores !== undefined ? { stores } : {}) }
    this.running = running
    this.id = node.peerId.toString()
    this.state = 'running'
    // A registry joins the overlay through its configured registries at once. Services and clients dial a registry
    // when their first request needs it: a client that discovers one name needs the closest registry only, and a
    // fresh process that dialled all of them paid a handshake (and identify) per registry before its first answer.
    if (registry !== undefined) {
      for (const address of this.registryAddresses()) {
        void this.connectRegistry(node, address, checkRegistryAddress(address))
      }
    }
    this.safeDispatchEvent('start', { detail: node.peerId.toString() })
    return running
  }

  private async buildNode (privateKey: PrivateKey, security: Security, stores: RegistryDatastore | undefined): Promise<NetgetLibp2p> {
    const o = this.options
    const guard = security.guard
    return createNode({
      privateKey,
      network: o.network,
      dhtServer: o.nodeType === 'registry',
      listen: o.listen,
      bootstrapList: this.registryAddresses(),
      dialTimeout: o.dialTimeout,
      ...(stores !== undefined ? { datastore: stores.libp2p } : {}),
      ...(o.logger !== undefined ? { logger: o.logger } : {}),
      ...(this.metrics !== undefined ? { metricsRegistry: this.metrics.registry } : {}),
      ...(security.psk !== undefined ? { psk: security.psk } : {}),
      ...(guard !== undefined || o.connectionGater !== undefined ? { connectionGater: combineGaters(guard?.gater(), o.connectionGater) } : {})
    })
  }

  /** The registry side, its events forwarded as this node's. */
  private registryRole (node: NetgetLibp2p, table: RegistryTable, guard: Security['guard'], onError: (err: Error) => void, persistence?: RegistryPersistence): RegistryRole {
    return new RegistryRole(node, this.options, table, guard, {
      onStored: (record, from) => {
        this.discoveryCache.delete(record.name)
        const instance = { ...copyInstance(toInstance(record)), from }
        if (record.withdrawn) this.safeDispatchEvent('record:withdrawn', { detail: instance })
        else this.safeDispatchEvent('record:stored', { detail: instance })
      },
      onRejected: (err, from) => { this.safeDispatchEvent('record:rejected', { detail: { code: err.code, message: err.message, from } }) },
      onLimited: (err, from) => { this.safeDispatchEvent('record:limited', { detail: { code: err.code, message: err.message, from } }) },
      onDown: (peerId, reason) => {
        this.metrics?.instanceEvents.inc({ event: 'down' })
        this.safeDispatchEvent('instance:down', { detail: { peerId, reason } })
      },
      onUp: peerId => {
        this.metrics?.instanceEvents.inc({ event: 'up' })
        this.safeDispatchEvent('instance:up', { detail: { peerId } })
      },
      onReplicated: (to, records, reason) => { this.safeDispatchEvent('records:replicated', { detail: { to, records, reason } }) },
      onError
    }, persistence)
  }

  /** Dials a configured registry in the background; a failure is logged (`netget:node`), never thrown. */
  private async connectRegistry (node: NetgetLibp2p, address: string, peerId: string): Promise<void> {
    if (peerId === node.peerId.toString()) return
    const limit = deadline(this.options.dialTimeout, this.lifetime.signal)
    try {
      const ma = multiaddr(address)
      await node.peerStore.merge(peerIdFromString(peerId), { multiaddrs: [ma.decapsulateCode(421)] })
      await node.dial(ma, { signal: limit.signal })
    } catch (err) {
      if (!this.lifetime.signal.aborted) node.logger.forComponent('netget:node')('could not dial registry %s: %e', address, err)
    } finally {
      limit.clear()
    }
  }

  private async doStop (): Promise<void> {
    this.state = 'stopping'
    let running: Running | undefined
    try {
      running = this.running ?? await this.starting
    } catch {
      // start() failed and cleaned up after itself.
    }
    if (running !== undefined) {
      const limit = deadline(Math.min(2000, this.options.requestTimeout))
      try {
        const accepted = await running.lease.withdraw(limit.signal)
        if (accepted !== undefined) this.safeDispatchEvent('withdrawn', { detail: accepted })
      } catch (err) {
        this.safeDispatchEvent('error', { detail: err as Error })
      } finally {
        limit.clear()
      }
      this.lifetime.abort()
      running.membership.stop()
      running.watches.closeAll()
      running.client.close()
      running.health.stop()
      await running.registry?.stop()
      await running.security.guard?.stop()
      await running.node.stop()
      cancelAddressUpdate(running.node)
      await running.stores?.close().catch((err: unknown) => { this.safeDispatchEvent('error', { detail: err as Error }) })
    }
    this.lifetime.abort()
    this.running = undefined
    this.discoveryCache.clear()
    this.state = 'stopped'
    this.safeDispatchEvent('stop')
  }

  /** Runs `fn` under the caller's signal, a deadline and the node's lifetime; maps an expiry to a typed error. */
  private async withDeadline<T> (callerSignal: AbortSignal | undefined, timeout: number, what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!Number.isFinite(timeout) || timeout <= 0) throw new InvalidOptionError('timeout', `expected a positive number of ms, got ${timeout}`)
    if (callerSignal?.aborted === true) throw new AbortedError(`${what} was aborted by the caller`, { cause: callerSignal.reason })
    const limit = deadline(timeout, this.lifetime.signal, callerSignal)
    const signal = limit.signal
    try {
      return await fn(signal)
    } catch (err) {
      // Re-read: the caller may have aborted while fn ran (TypeScript narrowed the first read).
      if ((callerSignal as AbortSignal | undefined)?.aborted === true) throw new AbortedError(`${what} was aborted by the caller`, { cause: err })
      if (this.lifetime.signal.aborted) throw new NotStartedError(`${what} was interrupted: the node is stopping`)
      if (signal.aborted && !(err instanceof NoRegistryReachableError) && !(err instanceof PublishFailedError)) {
        throw new TimeoutError(`${what} did not complete within ${timeout} ms`, { cause: err })
      }
      throw err
    } finally {
      limit.clear()
    }
  }
}

/** A peer or connection is refused when any of the gaters refuses it (admission guard first, then the user's). */
function combineGaters (...gaters: Array<ConnectionGater | undefined>): ConnectionGater {
  const present = gaters.filter((g): g is ConnectionGater => g !== undefined)
  if (present.length === 1) return present[0]
  const hooks = ['denyDialPeer', 'denyDialMultiaddr', 'denyInboundConnection', 'denyOutboundConnection', 'denyInboundEncryptedConnection',
    'denyOutboundEncryptedConnection', 'denyInboundUpgradedConnection', 'denyOutboundUpgradedConnection', 'filterMultiaddrForPeer'] as const
  const combined: ConnectionGater = {}
  for (const hook of hooks) {
    if (!present.some(g => g[hook] !== undefined)) continue
    const invert = hook === 'filterMultiaddrForPeer'
    combined[hook] = (async (...args: unknown[]) => {
      for (const gater of present) {
        const fn = gater[hook] as ((...a: unknown[]) => boolean | Promise<boolean>) | undefined
        if (fn === undefined) continue
        const verdict = await fn.apply(gater, args)
        // filterMultiaddrForPeer answers "keep", the deny* hooks answer "refuse".
        if (invert ? verdict === false : verdict === true) return !invert
      }
      return invert
    }) as never
  }
  return combined
}

function checkServiceName (name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidOptionError('name', `expected a string, got ${typeof name}`)
  try {
    checkName(name)
  } catch (err) {
    throw new InvalidOptionError('name', (err as Error).message)
  }
}

function emptyIterator (): AsyncIterableIterator<WatchEvent> {
  return {
    async next () { return { value: undefined, done: true } },
    [Symbol.asyncIterator] () { return this }
  }
}

/**
 * libp2p's address manager debounces a peer-store update by 1 s on every transport event, the listener's close at
 * stop() included, and never clears that timer: a process that stopped its nodes stayed alive 1 s for nothing
 * (`netget discover` took 1.3 s instead of 0.3). Cleared here until libp2p does it (docs/upstream.md, item 9);
 * a no-op if the internals change.
 */
function cancelAddressUpdate (node: NetgetLibp2p): void {
  const manager = (node as unknown as { components?: { addressManager?: { _updatePeerStoreAddresses?: { stop?: () => void } } } }).components?.addressManager
  manager?._updatePeerStoreAddresses?.stop?.()
}
