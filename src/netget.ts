/**
 * The facade: options → one libp2p node, and the modules that do the work wired to it (registry client and
 * role, lease, health, security). It owns the lifecycle, the events and the discovery cache.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { TypedEventEmitter } from 'main-event'
import { InvalidOptionError, NetgetError, NoInstanceError, NoRegistryReachableError, NotAServiceError, NotStartedError, StartError } from './errors.js'
import { compileFilter, filterOf } from './discovery/filters.js'
import { pickInstance } from './discovery/pick.js'
import { assemble } from './facade/assemble.js'
import { withDeadline } from './facade/call-deadline.js'
import { startInOrder, stopInReverse } from './facade/lifecycle.js'
import { ConfiguredRegistries, connectRegistry } from './facade/registries.js'
import { probe } from './health/probe.js'
import { cancelAddressUpdate, createNode } from './node/create-node.js'
import { generateKey, loadOrCreateDataDirKey, readKeyFile } from './node/identity.js'
import { checkRegistryAddress, checkRegistryEntry, resolveOptions } from './options.js'
import { isRegistryUrl } from './http/well-known.js'
import { quietLogger } from './node/logger.js'
import { copyInstance, toInstance } from './records/instance.js'
import { checkName, openRecord } from './records/service-record.js'
import { openRegistryDatastore } from './registry/datastore.js'
import { RegistryPersistence } from './registry/persistence.js'
import { combineGaters } from './security/gaters.js'
import { checkMayPublish, loadSecurity } from './security/setup.js'
import { deadline } from './util/deadline.js'
import { BoundedMap } from './util/bounded-map.js'
import type { Assembly, Parts } from './facade/assemble.js'
import type { Step } from './facade/lifecycle.js'
import type { DiscoverOptions, HealthCheckOptions, NetgetEvents, NetgetStats, PickOptions, RegisterOptions, WatchOptions } from './facade/types.js'
import type { WatchEvent } from './discovery/watch.js'
import type { ProbeResult } from './health/probe.js'
import type { NetgetLibp2p } from './node/create-node.js'
import type { NetgetOptions, NodeType, ResolvedOptions } from './options.js'
import type { NodeMetrics } from './metrics/node-metrics.js'
import type { ServiceInstance } from './records/instance.js'
import type { Metadata, RecordExpectations } from './records/service-record.js'
import type { RegistryClient } from './registry/registry-client.js'
import type { RegistryDatastore } from './registry/datastore.js'
import type { RegistryRole } from './registry/registry-role.js'
import type { RegistrationResult } from './registry/lease.js'
import type { RegistryTable } from './routing/registry-table.js'
import type { Security } from './security/setup.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export type { ServiceInstance } from './records/instance.js'
export type { WatchEvent } from './discovery/watch.js'
export type { RegistrationResult } from './registry/lease.js'
export type { DiscoverOptions, HealthCheckOptions, NetgetEvents, NetgetStats, PickOptions, RegisterOptions, WatchOptions } from './facade/types.js'

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

/** The parts of a running node, and the order they started in. */
interface Running extends Parts {
  steps: Step[]
}

export class Netget extends TypedEventEmitter<NetgetEvents> {
  readonly nodeType: NodeType
  /** The node's metadata; `metadata.name` is its service name. Change it and call `registerWithNetwork()` again to republish. */
  metadata: Metadata
  readonly network: string
  /** The registries as given (multiaddrs and URLs); addRegistryNode/removeRegistryNode change it. */
  readonly registryNodes: Set<string>
  /** Prometheus metrics (option `metrics`), made at start. */
  private metrics?: NodeMetrics
  private readonly registries: ConfiguredRegistries

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
    this.registries = new ConfiguredRegistries(this.registryNodes, { network: this.network, requestTimeout: this.options.requestTimeout, lifetime: this.lifetime.signal })
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
    const ids = [...new Set(this.registries.addresses().map(a => checkRegistryAddress(a)))].filter(id => id !== this.id)
    if (ids.length === 0) {
      if (running.registry !== undefined) return
      throw new NoRegistryReachableError('No registry node is known: give registryNodes')
    }
    await withDeadline(this.lifetime.signal, options.signal, options.timeout ?? this.options.discoverTimeout, 'ready', async signal => {
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
    void this.registries.resolve([address], running.node.logger).then(() => {
      if (this.running !== running || !this.registryNodes.has(address)) return
      for (const ma of this.registries.resolvedFrom(address)) this.useRegistry(running, ma)
    })
  }

  private useRegistry (running: Running, address: string): void {
    const peerId = checkRegistryAddress(address, 'registryNode')
    running.client.include(peerId)
    running.membership.configure(address)
    if (running.registry !== undefined) void connectRegistry(running.node, address, peerId, this.options.dialTimeout, this.lifetime.signal)
  }

  removeRegistryNode (address: string): void {
    checkRegistryEntry(address, 'registryNode')
    const removed = isRegistryUrl(address) ? this.registries.resolvedFrom(address) : [address]
    if (!this.registries.delete(address)) return
    const running = this.running
    if (running === undefined) return
    const still = new Set(this.registries.addresses().map(a => checkRegistryAddress(a)))
    for (const peerId of new Set(removed.map(a => checkRegistryAddress(a)))) {
      if (still.has(peerId)) continue
      running.client.exclude(peerId)
      void running.node.hangUp(peerIdFromString(peerId)).catch((err: unknown) => {
        running.node.logger.forComponent('netget:node')('hanging up on removed registry %s failed: %e', peerId, err)
      })
    }
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
    const result = await withDeadline(this.lifetime.signal, options.signal, options.timeout ?? this.options.registerTimeout, 'registerWithNetwork',
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
    return withDeadline(this.lifetime.signal, options.signal, options.timeout ?? this.options.discoverTimeout, 'discoverServiceNode', async signal => {
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
    let stores: RegistryDatastore | undefined
    let node: NetgetLibp2p | undefined
    try {
      const privateKey = await this.loadKey()
      const security = await loadSecurity(o, peerIdFromPrivateKey(privateKey).toString(), (peerId, err) => {
        this.refusedPeers++
        this.safeDispatchEvent('peer:refused', { detail: { peerId, code: err.code, message: err.message } })
      })
      if (o.metrics && this.metrics === undefined) {
        const { NodeMetrics } = await import('./metrics/node-metrics.js')
        this.metrics = new NodeMetrics(() => this.getStats())
      }
      // Registries given by URL are resolved before the node is built: they are its bootstrap list too.
      const urls = this.registries.urls()
      if (urls.length > 0) await this.registries.resolve(urls, o.logger ?? quietLogger())
      // A registry's records and known registries survive restarts in its datastore (dataDir or the caller's).
      stores = o.nodeType === 'registry' ? await openRegistryDatastore(o) : undefined
      node = await this.buildNode(privateKey, security, stores)
      const { parts, steps, restored } = await this.startParts(node, privateKey, security, stores)
      const running: Running = { ...parts, steps }
      this.running = running
      this.id = node.peerId.toString()
      this.state = 'running'
      if (restored !== undefined) this.safeDispatchEvent('restored', { detail: restored })
      // A registry joins the overlay through its configured registries at once. Services and clients dial a registry
      // when their first request needs it: a client that discovers one name needs the closest registry only, and a
      // fresh process that dialled all of them paid a handshake (and identify) per registry before its first answer.
      if (running.registry !== undefined) {
        for (const address of this.registries.addresses()) {
          void connectRegistry(node, address, checkRegistryAddress(address), o.dialTimeout, this.lifetime.signal)
        }
      }
      this.safeDispatchEvent('start', { detail: this.id })
      return running
    } catch (err) {
      // The parts already stopped themselves (startInOrder); the node and the datastore are released here, and the
      // start's own error is the one to report.
      if (node !== undefined) {
        await Promise.resolve(node.stop()).catch(() => {})
        cancelAddressUpdate(node)
      }
      await stores?.close().catch(() => {})
      this.state = 'stopped'
      if (err instanceof NetgetError) throw err
      throw new StartError(`the node could not start: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Wires the node's parts and starts them in order (a failure stops those started). */
  private async startParts (node: NetgetLibp2p, privateKey: PrivateKey, security: Security, stores: RegistryDatastore | undefined): Promise<Assembly> {
    const o = this.options
    const assembly = assemble({
      options: o,
      node,
      privateKey,
      security,
      ...(stores !== undefined ? { stores, persistence: new RegistryPersistence(stores.datastore, o.network, node.logger.forComponent('netget:persistence')) } : {}),
      ...(this.metrics !== undefined ? { metrics: this.metrics } : {}),
      lifetime: this.lifetime.signal,
      metadata: () => this.metadata,
      registryAddresses: () => this.registries.addresses(),
      recordChanged: name => { this.discoveryCache.delete(name) },
      dispatch: (type, detail) => { this.safeDispatchEvent(type, { detail }) }
    })
    // Kept after stop(), so that getStats() still reports what the node did.
    this.table = assembly.parts.table
    this.registry = assembly.parts.registry
    this.client = assembly.parts.client
    const log = node.logger.forComponent('netget:node')
    await startInOrder(assembly.steps, (step, err) => { log('stopping the %s after a failed start failed: %e', step, err) })
    return assembly
  }

  private async buildNode (privateKey: PrivateKey, security: Security, stores: RegistryDatastore | undefined): Promise<NetgetLibp2p> {
    const o = this.options
    const guard = security.guard
    return createNode({
      privateKey,
      network: o.network,
      dhtServer: o.nodeType === 'registry',
      listen: o.listen,
      bootstrapList: this.registries.addresses(),
      dialTimeout: o.dialTimeout,
      ...(stores !== undefined ? { datastore: stores.libp2p } : {}),
      ...(o.logger !== undefined ? { logger: o.logger } : {}),
      ...(this.metrics !== undefined ? { metricsRegistry: this.metrics.registry } : {}),
      ...(security.psk !== undefined ? { psk: security.psk } : {}),
      ...(guard !== undefined || o.connectionGater !== undefined ? { connectionGater: combineGaters(guard?.gater(), o.connectionGater) } : {})
    })
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
      // A part that fails to stop is reported; the others, the node and the datastore are released all the same.
      const report = (_: string, err: unknown): void => { this.safeDispatchEvent('error', { detail: err instanceof Error ? err : new Error(String(err)) }) }
      await stopInReverse(running.steps, report)
      await Promise.resolve(running.node.stop()).catch((err: unknown) => { report('libp2p node', err) })
      cancelAddressUpdate(running.node)
      await running.stores?.close().catch((err: unknown) => { report('datastore', err) })
    }
    this.lifetime.abort()
    this.running = undefined
    this.discoveryCache.clear()
    this.state = 'stopped'
    this.safeDispatchEvent('stop')
  }
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
