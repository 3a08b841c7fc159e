/**
 * What a registry node runs besides the client side: the record store, the registry protocol server and the
 * health prober, with one lifecycle, and the counters behind `getStats()`.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { Prober, type ProberComponents } from '../health/prober.js'
import { LimitErrorCodes } from '../errors.js'
import { isLive, openRecord } from '../records/service-record.js'
import { RateLimiter } from '../security/rate-limiter.js'
import { RecordStore } from './record-store.js'
import { RegistryServer, type RegistryServerComponents } from './registry-server.js'
import { Replicator, type ReplicationReason, type ReplicatorComponents } from './replicator.js'
import { WatchServer, type WatchServerComponents } from './watch-server.js'
import { MAX_HINTS, NEIGHBOURHOOD_CHECK_INTERVAL_MS, PERSIST_FLUSH_INTERVAL_MS, PROBING_HOLDERS, RELAY_DIRECT } from '../constants.js'
import { compareDistance, peerPosition, servicePosition } from '../routing/position.js'
import type { RegistryTable, TableEntry } from '../routing/registry-table.js'
import type { InstanceHealth } from '../health/model.js'
import type { LimitExceededError, RecordValidationError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { VerifiedRecord } from '../records/service-record.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { RegistryPersistence } from './persistence.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '@libp2p/interface'

/** What its prober, server, watch server and replicator need of the node (its own identity and logger among them). */
export type RegistryRoleComponents = ProberComponents & RegistryServerComponents & WatchServerComponents & ReplicatorComponents

export interface RegistryRoleEvents {
  onStored: (record: VerifiedRecord, from: string) => void
  onRejected: (error: RecordValidationError, from: string) => void
  onLimited: (error: LimitExceededError, from: string) => void
  onDown: (peerId: string, reason: string) => void
  onUp: (peerId: string) => void
  /** An instance's status or a check's verdict changed (watchers hear of it). */
  onHealthChange?: (peerId: string, health: InstanceHealth) => void
  onReplicated: (to: string, records: number, reason: ReplicationReason) => void
  /** An answer named these registries as closer to a key (the membership confirms the unconfirmed ones). */
  onNamed?: (entries: TableEntry[]) => void
  onError: (err: Error) => void
}

/** What a restart read back from the datastore (RegistryRole.restore). */
export interface RestoreResult {
  /** Saved records that verified and are held again. */
  records: number
  /** Saved records dropped: expired, or no longer valid (another authority, corrupted bytes…). */
  discarded: number
  /** Saved registries put back in the table (unverified until they answer). */
  registries: number
}

export interface RegistryCounters {
  stored: number
  rejected: Record<string, number>
  rateLimited: number
  quotaExceeded: number
}

export class RegistryRole {
  readonly store: RecordStore
  readonly server: RegistryServer
  readonly replicator: Replicator
  readonly watch: WatchServer
  private readonly prober: Prober
  private readonly table: RegistryTable
  private readonly self: string
  private readonly selfPosition: Uint8Array
  private neighbourTimer?: ReturnType<typeof setInterval>
  /** The registries sharing a closest set with this one, as of the last neighbourhood check. */
  private closestSetPeers = new Set<string>()
  private flushTimer?: ReturnType<typeof setInterval>
  private readonly persistence?: RegistryPersistence
  private readonly options: ResolvedOptions
  private savedGeneration = -1
  /** Registries read back from the datastore: kept in what is saved while still in the table, verified or not yet. */
  private readonly restoredRegistries = new Set<string>()
  private readonly log: Logger
  readonly counters: RegistryCounters = { stored: 0, rejected: {}, rateLimited: 0, quotaExceeded: 0 }
  /**
   * A registry settles (its DISCOVER answers say `settling`) for settlingTime after the three moments it may enter
   * closest sets it holds nothing of yet: its start (a restart serves only what is republished to it), its first
   * verified registry (others then send it their records), and the departure of one of its neighbours (it may take
   * that one's place). A registry leaving far away changes no closest set this one is in, and does not count:
   * else any churn, or one peer joining and leaving on purpose, would keep every registry settling.
   */
  private readonly startedAt = Date.now()
  private neighbourLeftAt = 0
  private readonly replicationFactor: number

  constructor (node: RegistryRoleComponents, options: ResolvedOptions, table: RegistryTable, guard: AdmissionGuard | undefined, events: RegistryRoleEvents, persistence?: RegistryPersistence) {
    const self = node.peerId.toString()
    this.options = options
    this.log = node.logger.forComponent('netget:persistence')
    if (persistence !== undefined) this.persistence = persistence
    this.self = self
    this.selfPosition = peerPosition(self)
    this.table = table
    this.replicationFactor = options.replicationFactor
    this.store = new RecordStore({
      maxRecords: options.maxRecords,
      maxRecordsPerPeer: options.maxRecordsPerPeer,
      // At capacity, instances found down go first, then those no probe of this registry has confirmed.
      evictionRank: record => this.prober.isDown(record.peerId) ? 2 : this.prober.healthOf(record.peerId)?.status === 'passing' ? 0 : 1,
      onDropped: record => {
        this.persistence?.recordDropped(record)
        this.watch.recordChanged(record)
      }
    })
    // DISCOVER and WATCH draw on one budget per peer.
    const discoverLimiter = new RateLimiter({ rate: options.discoverRate, burst: options.discoverRate * 2 })
    this.prober = new Prober(node, {
      network: options.network,
      interval: options.healthInterval,
      timeout: options.healthTimeout,
      unhealthyThreshold: options.unhealthyThreshold,
      targets: () => this.probeTargets(),
      onDown: (peerId, reason) => {
        this.watch.instanceChanged(peerId)
        events.onDown(peerId, reason)
      },
      onUp: peerId => {
        this.watch.instanceChanged(peerId)
        events.onUp(peerId)
      },
      onHealthChange: (peerId, health) => {
        this.watch.instanceChanged(peerId)
        events.onHealthChange?.(peerId, health)
      }
    })
    this.server = new RegistryServer(node, {
      network: options.network,
      store: this.store,
      table,
      requestTimeout: options.requestTimeout,
      sweepInterval: Math.min(5000, options.healthInterval),
      isDown: peerId => this.prober.isDown(peerId),
      healthOf: peerId => this.prober.healthOf(peerId),
      outsideClosestSet: target => !this.amongClosest(target, options.replicationFactor),
      settling: () => Date.now() - Math.max(this.startedAt, table.firstVerifiedAt, this.neighbourLeftAt) < options.settlingTime,
      unaskedHints: Math.min(options.replicationFactor, MAX_HINTS),
      ...(events.onNamed !== undefined ? { onNamed: events.onNamed } : {}),
      ...(guard !== undefined ? { guard } : {}),
      ...(options.authority !== undefined ? { authority: options.authority } : {}),
      publishLimiter: new RateLimiter({ rate: options.publishRate, burst: options.publishBurst }),
      // Registries replicate in bursts when one joins; their budget is a multiple of a publisher's.
      replicateLimiter: new RateLimiter({ rate: options.publishRate * 20, burst: options.publishBurst * 50 }),
      discoverLimiter,
      onLimited: (err, from) => {
        if (err.code === LimitErrorCodes.RATE) this.counters.rateLimited++
        else this.counters.quotaExceeded++
        events.onLimited(err, from)
      },
      onStored: (record, from) => {
        this.counters.stored++
        this.persistence?.recordStored(record)
        // A new record from an instance found down (restarted with its identity): probe it now, not in 3 rounds.
        if (this.prober.isDown(record.peerId) && !record.withdrawn) this.prober.probeSoon(record.peerId)
        this.watch.recordChanged(record)
        events.onStored(record, from)
      },
      onRejected: (err, from) => {
        this.counters.rejected[err.code] = (this.counters.rejected[err.code] ?? 0) + 1
        events.onRejected(err, from)
      },
      onRelay: (record, k) => { this.replicator.relay(record, k, RELAY_DIRECT) },
      onError: events.onError
    })
    this.watch = new WatchServer(node, {
      network: options.network,
      requestTimeout: options.requestTimeout,
      lookup: name => this.server.lookup(name),
      holds: (name, peerId) => this.store.get(name).some(r => r.peerId === peerId),
      ...(guard !== undefined ? { guard } : {}),
      limiter: discoverLimiter,
      onLimited: (err, from) => {
        this.counters.rateLimited++
        events.onLimited(err, from)
      },
      onError: events.onError
    })
    this.replicator = new Replicator(node, {
      network: options.network,
      store: this.store,
      table,
      replicationFactor: options.replicationFactor,
      requestTimeout: options.requestTimeout,
      onReplicated: events.onReplicated
    })
  }

  /**
   * Reads back what the datastore kept (before the node starts, so that the first DISCOVER is answered from it):
   * records are verified again as if they came from the network, and those that fail (expired since, another
   * network's authority, damaged bytes) are deleted; saved registries enter the table unverified, to be asked by
   * the start-up self-lookup (the way back into the overlay without --registry).
   */
  async restore (addRegistry: (id: string, addrs: Multiaddr[]) => void, signal?: AbortSignal): Promise<RestoreResult> {
    const result: RestoreResult = { records: 0, discarded: 0, registries: 0 }
    const persistence = this.persistence
    if (persistence === undefined) return result
    const now = Date.now()
    for await (const { key, bytes } of persistence.records(signal)) {
      try {
        const record = await openRecord(bytes, {
          network: this.options.network,
          now,
          ...(this.options.authority !== undefined ? { authority: this.options.authority } : {})
        })
        if (!isLive(record, now)) throw new Error('expired')
        this.store.offer(record)
        // A record saved under another key than its own (a damaged or hand-edited datastore) moves to its own.
        if (!key.endsWith(`/records/${record.name}/${record.peerId}`)) {
          persistence.discard(key)
          persistence.recordStored(record)
        }
        result.records++
      } catch (err) {
        this.log('saved record %s dropped: %s', key, err instanceof Error ? err.message : String(err))
        persistence.discard(key)
        result.discarded++
      }
    }
    for (const saved of await persistence.registries(signal)) {
      if (saved.id === this.self) continue
      try {
        addRegistry(saved.id, saved.addrs.map(a => multiaddr(a)))
        this.restoredRegistries.add(saved.id)
        result.registries++
      } catch {
        // An address that no longer parses: that registry is met again through the network, or not at all.
      }
    }
    await persistence.flush()
    return result
  }

  /** Registers the registry protocol handler (before the node starts, so no request finds it missing). */
  async start (): Promise<void> {
    await this.server.start()
    await this.watch.start()
  }

  /**
   * Starts probing and re-replicating (once the node runs); `watch` is given, now and then, the registries this
   * one shares closest sets with, so that the membership can check the ones it is not connected to.
   */
  startProbing (watch?: (ids: Set<string>) => void): void {
    this.prober.start()
    this.replicator.start()
    if (this.persistence !== undefined) {
      this.flushTimer = setInterval(() => { void this.persist() }, PERSIST_FLUSH_INTERVAL_MS)
      this.flushTimer.unref()
    }
    if (watch !== undefined) {
      this.neighbourTimer = setInterval(() => {
        this.closestSetPeers = this.replicator.neighbours()
        watch(this.closestSetPeers)
      }, NEIGHBOURHOOD_CHECK_INTERVAL_MS)
      this.neighbourTimer.unref()
    }
  }

  async stop (): Promise<void> {
    clearInterval(this.neighbourTimer)
    this.neighbourTimer = undefined
    clearInterval(this.flushTimer)
    this.flushTimer = undefined
    this.prober.stop()
    this.replicator.stop()
    await this.watch.stop()
    await this.server.stop()
    await this.persist()
  }

  /** Writes what changed since the last flush: records, and the verified registries when the table moved. */
  private async persist (): Promise<void> {
    const persistence = this.persistence
    if (persistence === undefined) return
    if (this.table.generation !== this.savedGeneration) {
      this.savedGeneration = this.table.generation
      // Restored registries not verified yet stay saved while the table holds them (a failed start, or a stop
      // while they are down, must not forget the way back), and an empty view never replaces a saved one.
      const keep = [...this.table.all()]
        .filter(entry => (entry.verified || this.restoredRegistries.has(entry.id)) && entry.id !== this.self && entry.addrs.length > 0)
      if (keep.length > 0) persistence.registriesChanged(keep.map(entry => ({ id: entry.id, addrs: entry.addrs.map(a => a.toString()) })))
    }
    await persistence.flush()
  }

  /**
   * Whether `id` shared a closest set with this registry at the last neighbourhood check (every
   * NEIGHBOURHOOD_CHECK_INTERVAL_MS): its link is kept, as a sibling's is, since that check would dial it again.
   */
  sharesClosestSet (id: string): boolean {
    return this.closestSetPeers.has(id)
  }

  /** A closed connection from an instance this registry probes is the earliest sign of a crash: probe it now. */
  peerDisconnected (peerId: string): void {
    if (this.probeTargets().has(peerId)) this.prober.probeSoon(peerId)
  }

  /**
   * A verified registry left this node's table: it settles if that one was among its neighbours, the
   * max(4 × replicationFactor, 16) registries closest to it. A registry takes a departed one's place in a name's
   * closest set when both are among the few closest to that name, which puts them near each other but not
   * necessarily within each other's replicationFactor closest (measured: with K = 3, a neighbourhood of 3 missed
   * a refill in the 300-node kill run).
   */
  registryLeft (entry: { position: Uint8Array }): void {
    const neighbourhood = Math.max(4 * this.replicationFactor, 16)
    let closer = 0
    for (const other of this.table.all()) {
      if (!other.verified) continue
      if (compareDistance(this.selfPosition, other.position, entry.position) < 0 && ++closer >= neighbourhood) return
    }
    this.neighbourLeftAt = Date.now()
  }

  /** Live, not withdrawn records held (for one name or all), with the prober's verdict. */
  heldRecords (name?: string): Array<{ record: VerifiedRecord, down: boolean, health?: InstanceHealth }> {
    const now = Date.now()
    const records = name === undefined ? this.store.all() : this.store.get(name, now)
    const out: Array<{ record: VerifiedRecord, down: boolean, health?: InstanceHealth }> = []
    for (const record of records) {
      if (record.withdrawn || !isLive(record, now)) continue
      const health = this.prober.healthOf(record.peerId)
      out.push({ record, down: this.prober.isDown(record.peerId), ...(health !== undefined ? { health } : {}) })
    }
    return out
  }

  /**
   * Instances this registry probes: those of the records it holds for which it is among the PROBING_HOLDERS
   * registries closest to the key that it knows. The other holders leave them to those: an instance is probed
   * a bounded number of times per round, however large replicationFactor is.
   */
  private probeTargets (): Map<string, string[]> {
    const now = Date.now()
    const verdicts = new Map<string, boolean>()
    const out = new Map<string, string[]>()
    for (const record of this.store.all()) {
      if (record.withdrawn || !isLive(record, now) || record.peerId === this.self || out.has(record.peerId)) continue
      let probes = verdicts.get(record.name)
      if (probes === undefined) {
        probes = this.amongClosest(servicePosition(record.network, record.name), PROBING_HOLDERS)
        verdicts.set(record.name, probes)
      }
      if (probes) out.set(record.peerId, record.addresses)
    }
    return out
  }

  /** Whether this registry is among the `count` closest to `target` of the live registries it knows. */
  private amongClosest (target: Uint8Array, count: number): boolean {
    // A count, not a sort: asked for every DISCOVER without hints, and for every record each probe round.
    let closer = 0
    for (const entry of this.table.all()) {
      if (entry.verified && compareDistance(target, entry.position, this.selfPosition) < 0 && ++closer >= count) return false
    }
    return true
  }
}
