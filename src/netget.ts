/**
 * The facade: options → one libp2p node → registry server/client, health, records.
 * It owns the lifecycle and the lease of the node's own record; the work is done by the modules it wires.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import { AbortedError, LimitErrorCodes, InvalidOptionError, NetgetError, StartError, NotAServiceError, NotStartedError, PublishFailedError, NoRegistryReachableError, RecordValidationError, TimeoutError } from './errors.js'
import { handleHealth } from './health/health-service.js'
import { probe } from './health/probe.js'
import { Prober } from './health/prober.js'
import { createNode } from './node/create-node.js'
import { generateKey, loadOrCreateDataDirKey, readKeyFile } from './node/identity.js'
import { RateLimiter } from './security/rate-limiter.js'
import { checkMayPublish, loadSecurity } from './security/setup.js'
import type { Security } from './security/setup.js'
import { checkRegistryAddress, resolveOptions } from './options.js'
import { checkName, isLive, openRecord, signRecord } from './records/service-record.js'
import { deadline } from './util/deadline.js'
import { RecordStore } from './registry/record-store.js'
import { RegistryClient } from './registry/registry-client.js'
import { RegistryServer } from './registry/registry-server.js'
import type { ProbeResult } from './health/probe.js'
import type { NetgetLibp2p } from './node/create-node.js'
import type { NetgetOptions, NodeType, ResolvedOptions } from './options.js'
import type { Metadata, RecordExpectations, VerifiedRecord } from './records/service-record.js'
import type { PublishResult } from './registry/registry-client.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

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
}

export interface RegistrationResult {
  /** What was published. */
  instance: ServiceInstance
  /** Number of registries that stored the record. */
  accepted: number
  /** Their peer ids. */
  registries: string[]
}

export interface RegisterOptions {
  signal?: AbortSignal
  /** Overall deadline (ms). @default options.registerTimeout */
  timeout?: number
  /** Registries that must store the record. @default options.minAcks */
  minAcks?: number
}

export interface DiscoverOptions {
  signal?: AbortSignal
  /** Overall deadline (ms). @default options.discoverTimeout */
  timeout?: number
  /** Return a cached answer for this name if it is at most this old (ms); 0 always asks the registries. @default 0 */
  maxAge?: number
  /** Probe each instance directly before returning it; instances that do not answer are left out. @default false */
  probe?: boolean
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
  /** Records evicted to stay under maxRecords. */
  evicted: number
  /** Records dropped at the end of their lease. */
  expired: number
  /** Peers refused for lack of a valid admission certificate (closed networks). */
  refusedPeers: number
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
  /** A background task failed (logged, never thrown). */
  error: CustomEvent<Error>
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

interface Running {
  node: NetgetLibp2p
  privateKey: PrivateKey
  client: RegistryClient
  security: Security
  server?: RegistryServer
  prober?: Prober
  store?: RecordStore
}

export class Netget extends TypedEventEmitter<NetgetEvents> {
  readonly nodeType: NodeType
  /** The node's metadata; `metadata.name` is its service name. Change it and call `registerWithNetwork()` again to republish. */
  metadata: Metadata
  readonly network: string
  /** Registry multiaddrs (strings ending in /p2p/<peerId>). Use addRegistryNode/removeRegistryNode to change it. */
  readonly registryNodes: Set<string>

  private readonly options: ResolvedOptions
  private state: State = 'idle'
  private running?: Running
  private starting?: Promise<Running>
  private stopping?: Promise<void>
  private lastSequence = 0n
  /** The service name this node's record is published under, once registered. */
  private registeredName?: string
  private republishTimer?: ReturnType<typeof setTimeout>
  private readonly discoveryCache = new Map<string, { at: number, instances: ServiceInstance[] }>()
  private readonly lifetime = new AbortController()
  private readonly counters = { stored: 0, rejected: {} as Record<string, number>, rateLimited: 0, quotaExceeded: 0, refusedPeers: 0 }

  constructor (options: NetgetOptions = {}) {
    super()
    this.options = resolveOptions(options)
    this.nodeType = this.options.nodeType
    this.metadata = this.options.metadata
    this.network = this.options.network
    this.registryNodes = this.options.registryNodes
  }

  /** This node's peer id; throws NotStartedError before `start()`. */
  get peerId (): string {
    return this.requireRunning().node.peerId.toString()
  }

  /** Dialable multiaddrs, each ending in /p2p/<peerId>; empty before `start()`. */
  getMultiaddrs (): string[] {
    return this.running?.node.getMultiaddrs().map(ma => ma.toString()) ?? []
  }

  isRunning (): boolean {
    return this.state === 'running'
  }

  /** Counters since start: what a registry stored, refused and dropped, and peers refused admission. */
  getStats (): NetgetStats {
    const store = this.running?.store
    return {
      records: store?.size ?? 0,
      stored: this.counters.stored,
      rejected: { ...this.counters.rejected },
      rateLimited: this.counters.rateLimited,
      quotaExceeded: this.counters.quotaExceeded,
      evicted: store?.counters.evicted ?? 0,
      expired: store?.counters.expired ?? 0,
      refusedPeers: this.counters.refusedPeers
    }
  }

  /** Starts the node (idempotent); resolves once it listens. Registries are dialled in the background. */
  async start (): Promise<void> {
    await this.ensureStarted()
  }

  /**
   * Stops the node (idempotent): withdraws a registered record (so the instance leaves discovery at once),
   * then releases every socket, timer and stream.
   */
  async stop (): Promise<void> {
    if (this.stopping !== undefined) return this.stopping
    if (this.state === 'idle') {
      this.state = 'stopped'
      return
    }
    this.stopping = this.doStop()
    return this.stopping
  }

  addRegistryNode (address: string): void {
    const peerId = checkRegistryAddress(address, 'registryNode')
    this.registryNodes.add(address)
    const running = this.running
    if (running === undefined) return
    running.client.include(peerId)
    void this.connectRegistry(running.node, address, peerId).catch(() => {})
  }

  removeRegistryNode (address: string): void {
    const peerId = checkRegistryAddress(address, 'registryNode')
    if (!this.registryNodes.delete(address)) return
    const running = this.running
    if (running === undefined) return
    const stillConfigured = [...this.registryNodes].some(a => checkRegistryAddress(a) === peerId)
    if (stillConfigured) return
    running.client.exclude(peerId)
    void running.node.hangUp(peerIdFromString(peerId)).catch(() => {})
  }

  /**
   * Publishes this node's signed record to the registries closest to its service key and keeps the lease
   * alive until `stop()`. Calling it again republishes at once with a higher sequence (e.g. new metadata).
   */
  async registerWithNetwork (options: RegisterOptions = {}): Promise<RegistrationResult> {
    const name = this.serviceName()
    const running = await this.ensureStarted()
    checkMayPublish(running.security.admission, name)
    const minAcks = options.minAcks ?? this.options.minAcks
    const result = await this.withDeadline(options.signal, options.timeout ?? this.options.registerTimeout, 'registerWithNetwork',
      async signal => {
        const previous = this.registeredName
        const published = await this.publish(running, name, false, minAcks, signal)
        // Renamed: the record under the old name is withdrawn, not left to expire.
        if (previous !== undefined && previous !== name) await this.publish(running, previous, true, 1, signal).catch(() => {})
        return published
      })
    this.registeredName = name
    this.scheduleRepublish(this.options.recordTtl / 3)
    this.safeDispatchEvent('registered', { detail: result })
    return result
  }

  /** Every live, verified instance of `name` in this node's network; `[]` when there is none. */
  async discoverServiceNode (name: string, options: DiscoverOptions = {}): Promise<ServiceInstance[]> {
    if (typeof name !== 'string') throw new InvalidOptionError('name', `expected a string, got ${typeof name}`)
    try {
      checkName(name)
    } catch (err) {
      throw new InvalidOptionError('name', (err as Error).message)
    }
    const maxAge = options.maxAge ?? 0
    // A direct probe is a request for fresh liveness: the cache cannot answer it.
    if (maxAge > 0 && options.probe !== true) {
      const cached = this.discoveryCache.get(name)
      if (cached !== undefined && Date.now() - cached.at <= maxAge) return cached.instances.map(copyInstance)
    }
    const running = await this.ensureStarted()
    return this.withDeadline(options.signal, options.timeout ?? this.options.discoverTimeout, 'discoverServiceNode', async signal => {
      let records = await running.client.discover(name, signal)
      if (options.probe === true) {
        const verdicts = await Promise.all(records.map(async r => (await probe(running.node, this.network, peerIdFromString(r.peerId), signal, r.addresses)).healthy))
        records = records.filter((_, i) => verdicts[i])
      }
      const instances = records.map(toInstance)
      this.discoveryCache.set(name, { at: Date.now(), instances })
      if (this.discoveryCache.size > 1024) this.discoveryCache.delete(this.discoveryCache.keys().next().value as string)
      return instances.map(copyInstance)
    })
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

  private requireRunning (): Running {
    if (this.running === undefined || this.state !== 'running') throw new NotStartedError('The node is not running: call start() first')
    return this.running
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
      this.counters.refusedPeers++
      this.safeDispatchEvent('peer:refused', { detail: { peerId, code: err.code, message: err.message } })
    })
    const guard = security.guard
    const node = await createNode({
      privateKey,
      network: o.network,
      dhtServer: o.nodeType === 'registry',
      listen: o.listen,
      bootstrapList: [...this.registryNodes],
      dialTimeout: o.dialTimeout,
      ...(security.psk !== undefined ? { psk: security.psk } : {}),
      ...(guard !== undefined ? { connectionGater: guard.gater() } : {})
    })
    const onError = (err: Error): void => { this.safeDispatchEvent('error', { detail: err }) }
    let store: RecordStore | undefined
    let server: RegistryServer | undefined
    let prober: Prober | undefined
    if (o.nodeType === 'registry') {
      store = new RecordStore({ maxRecords: o.maxRecords, maxRecordsPerPeer: o.maxRecordsPerPeer })
      const heldStore = store
      prober = new Prober(node, {
        network: o.network,
        interval: o.healthInterval,
        timeout: o.healthTimeout,
        unhealthyThreshold: o.unhealthyThreshold,
        targets: () => liveInstances(heldStore, node.peerId.toString()),
        onDown: (peerId, reason) => { this.safeDispatchEvent('instance:down', { detail: { peerId, reason } }) },
        onUp: peerId => { this.safeDispatchEvent('instance:up', { detail: { peerId } }) }
      })
      const heldProber = prober
      server = new RegistryServer(node, {
        network: o.network,
        store,
        requestTimeout: o.requestTimeout,
        replicationFactor: o.replicationFactor,
        sweepInterval: Math.min(5000, o.healthInterval),
        isDown: peerId => heldProber.isDown(peerId),
        ...(guard !== undefined ? { guard } : {}),
        ...(o.authority !== undefined ? { authority: o.authority } : {}),
        publishLimiter: new RateLimiter({ rate: o.publishRate, burst: o.publishBurst }),
        // Registries replicate in bursts when one joins; their budget is a multiple of a publisher's.
        replicateLimiter: new RateLimiter({ rate: o.publishRate * 20, burst: o.publishBurst * 50 }),
        onLimited: (err, from) => {
          if (err.code === LimitErrorCodes.RATE) this.counters.rateLimited++
          else this.counters.quotaExceeded++
          this.safeDispatchEvent('record:limited', { detail: { code: err.code, message: err.message, from } })
        },
        onStored: (record, from) => {
          this.counters.stored++
          this.discoveryCache.delete(record.name)
          const instance = copyInstance(toInstance(record))
          if (record.withdrawn) this.safeDispatchEvent('record:withdrawn', { detail: { ...instance, from } })
          else this.safeDispatchEvent('record:stored', { detail: { ...instance, from } })
        },
        onRejected: (err, from) => {
          this.counters.rejected[err.code] = (this.counters.rejected[err.code] ?? 0) + 1
          this.safeDispatchEvent('record:rejected', { detail: { code: err.code, message: err.message, from } })
        },
        onError
      })
    }
    const client = new RegistryClient(node, {
      network: o.network,
      configuredRegistries: () => [...this.registryNodes].map(a => checkRegistryAddress(a)),
      ...(server !== undefined ? { localRegistry: server } : {}),
      replicationFactor: o.replicationFactor,
      queryFanout: o.queryFanout,
      requestTimeout: o.requestTimeout,
      routeCacheTtl: o.routeCacheTtl,
      lookupTimeout: Math.min(o.requestTimeout, 3000),
      ...(guard !== undefined ? { guard } : {}),
      ...(o.authority !== undefined ? { authority: o.authority } : {})
    })
    node.addEventListener('peer:connect', evt => {
      this.safeDispatchEvent('peer:connect', { detail: evt.detail.toString() })
    })
    node.addEventListener('peer:disconnect', evt => {
      const id = evt.detail.toString()
      this.safeDispatchEvent('peer:disconnect', { detail: id })
      // A closed connection from an instance we hold is the earliest sign of a crash: probe it now.
      if (prober !== undefined && store !== undefined && liveInstances(store, '').has(id)) prober.probeSoon(id)
    })
    try {
      await guard?.start(node)
      await handleHealth(node, { network: o.network, timeout: o.healthTimeout, ...(guard !== undefined ? { guard } : {}), ...(o.healthCheck !== undefined ? { check: o.healthCheck } : {}), onError })
      await server?.start()
      await node.start()
      prober?.start()
    } catch (err) {
      await server?.stop().catch(() => {})
      await guard?.stop()
      prober?.stop()
      await Promise.resolve(node.stop()).catch(() => {})
      this.state = 'stopped'
      if (err instanceof NetgetError) throw err
      throw new StartError(`the node could not start: ${(err as Error).message}`, { cause: err })
    }
    const running: Running = {
      node,
      privateKey,
      client,
      security,
      ...(server !== undefined ? { server } : {}),
      ...(prober !== undefined ? { prober } : {}),
      ...(store !== undefined ? { store } : {})
    }
    this.running = running
    this.state = 'running'
    for (const address of this.registryNodes) {
      void this.connectRegistry(node, address, checkRegistryAddress(address)).catch(() => {})
    }
    this.safeDispatchEvent('start', { detail: node.peerId.toString() })
    return running
  }

  private async connectRegistry (node: NetgetLibp2p, address: string, peerId: string): Promise<void> {
    if (peerId === node.peerId.toString()) return
    const ma = multiaddr(address)
    await node.peerStore.merge(peerIdFromString(peerId), { multiaddrs: [ma.decapsulateCode(421)] })
    await node.dial(ma, { signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.options.dialTimeout)]) })
  }

  private async doStop (): Promise<void> {
    this.state = 'stopping'
    clearTimeout(this.republishTimer)
    this.republishTimer = undefined
    let running: Running | undefined
    try {
      running = this.running ?? await this.starting
    } catch {
      // start() failed and cleaned up after itself.
    }
    if (running !== undefined) {
      if (this.registeredName !== undefined) {
        try {
          const signal = AbortSignal.timeout(Math.min(2000, this.options.requestTimeout))
          const result = await this.publish(running, this.registeredName, true, 1, signal)
          this.safeDispatchEvent('withdrawn', { detail: result.accepted })
        } catch (err) {
          this.safeDispatchEvent('error', { detail: err as Error })
        }
      }
      this.lifetime.abort()
      running.client.close()
      running.prober?.stop()
      await running.server?.stop()
      await running.security.guard?.stop()
      await running.node.stop()
    }
    this.lifetime.abort()
    this.running = undefined
    this.discoveryCache.clear()
    this.state = 'stopped'
    this.safeDispatchEvent('stop')
  }

  private nextSequence (): bigint {
    // Microseconds since the epoch: a restarted instance with the same key still publishes a higher sequence.
    const now = BigInt(Date.now()) * 1000n
    this.lastSequence = now > this.lastSequence ? now : this.lastSequence + 1n
    return this.lastSequence
  }

  private async publish (running: Running, name: string, withdrawn: boolean, minAcks: number, signal: AbortSignal): Promise<RegistrationResult> {
    const issuedAt = Date.now()
    const fields = {
      network: this.network,
      name,
      addresses: [...running.node.getMultiaddrs().map(ma => ma.toString()), ...this.options.announce],
      metadata: this.metadata,
      sequence: this.nextSequence(),
      issuedAt,
      expiresAt: issuedAt + this.options.recordTtl,
      withdrawn,
      ...(running.security.admission !== undefined ? { admission: running.security.admission.bytes } : {})
    }
    let bytes: Uint8Array
    try {
      bytes = await signRecord(running.privateKey, fields)
    } catch (err) {
      if (err instanceof RecordValidationError) throw new InvalidOptionError('metadata', err.message)
      throw err
    }
    const outcome: PublishResult = await running.client.publish(name, bytes, signal)
    if (outcome.accepted.length < minAcks) {
      if (outcome.accepted.length === 0 && Object.keys(outcome.refusals).length === 0) {
        const reasons = Object.entries(outcome.unreachable).map(([id, why]) => `${id}: ${why}`).join('; ')
        throw new NoRegistryReachableError(`No registry stored the record of "${name}": ${reasons === '' ? 'none reachable' : reasons}`)
      }
      const unreachable = Object.keys(outcome.unreachable).length
      throw new PublishFailedError(`${outcome.accepted.length} registries stored the record of "${name}", ${minAcks} required` +
        ` (${Object.keys(outcome.refusals).length} refused, ${unreachable} unreachable)`, outcome.accepted.length, outcome.refusals)
    }
    const { admission: _admission, ...published } = fields
    const instance = copyInstance(toInstance({ ...published, peerId: running.node.peerId.toString(), withdrawn, bytes, admissionBytes: new Uint8Array(0) }))
    return { instance, accepted: outcome.accepted.length, registries: outcome.accepted }
  }

  private scheduleRepublish (delay: number): void {
    clearTimeout(this.republishTimer)
    if (this.state !== 'running') return
    this.republishTimer = setTimeout(() => { void this.republish() }, delay)
    // The lease timer alone never keeps a process alive: the libp2p node's sockets decide that.
    this.republishTimer.unref()
  }

  private async republish (): Promise<void> {
    const running = this.running
    if (running === undefined || this.state !== 'running') return
    try {
      const signal = AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.options.registerTimeout)])
      const result = await this.publish(running, this.registeredName ?? this.serviceName(), false, 1, signal)
      this.safeDispatchEvent('republished', { detail: result })
      this.scheduleRepublish(this.options.recordTtl / 3)
    } catch (err) {
      if (this.state !== 'running') return
      this.safeDispatchEvent('republish:error', { detail: err as Error })
      this.scheduleRepublish(Math.max(1000, this.options.recordTtl / 10))
    }
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

/** Instances a registry probes: peer id → addresses, for every live, not withdrawn record it holds. */
function liveInstances (store: RecordStore, self: string): Map<string, string[]> {
  const now = Date.now()
  const out = new Map<string, string[]>()
  for (const record of store.all()) {
    if (!record.withdrawn && isLive(record, now) && record.peerId !== self) out.set(record.peerId, record.addresses)
  }
  return out
}

/** Records are shared with the verification cache and the discovery cache: callers get their own copy. */
function copyInstance (instance: ServiceInstance): ServiceInstance {
  return { ...instance, metadata: structuredClone(instance.metadata), addresses: [...instance.addresses] }
}

function toInstance (record: VerifiedRecord): ServiceInstance {
  return {
    peerId: record.peerId,
    name: record.name,
    network: record.network,
    metadata: record.metadata,
    addresses: record.addresses,
    sequence: record.sequence,
    issuedAt: record.issuedAt,
    expiresAt: record.expiresAt
  }
}
