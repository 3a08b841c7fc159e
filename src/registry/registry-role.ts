/**
 * What a registry node runs besides the client side: the record store, the registry protocol server and the
 * health prober, with one lifecycle, and the counters behind `getStats()`.
 */
import { Prober } from '../health/prober.js'
import { LimitErrorCodes } from '../errors.js'
import { isLive } from '../records/service-record.js'
import { RateLimiter } from '../security/rate-limiter.js'
import { RecordStore } from './record-store.js'
import { RegistryServer } from './registry-server.js'
import type { LimitExceededError, RecordValidationError } from '../errors.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { ResolvedOptions } from '../options.js'
import type { VerifiedRecord } from '../records/service-record.js'
import type { AdmissionGuard } from '../security/admission-guard.js'

export interface RegistryRoleEvents {
  onStored: (record: VerifiedRecord, from: string) => void
  onRejected: (error: RecordValidationError, from: string) => void
  onLimited: (error: LimitExceededError, from: string) => void
  onDown: (peerId: string, reason: string) => void
  onUp: (peerId: string) => void
  onError: (err: Error) => void
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
  private readonly prober: Prober
  readonly counters: RegistryCounters = { stored: 0, rejected: {}, rateLimited: 0, quotaExceeded: 0 }

  constructor (node: NetgetLibp2p, options: ResolvedOptions, guard: AdmissionGuard | undefined, events: RegistryRoleEvents) {
    const self = node.peerId.toString()
    this.store = new RecordStore({ maxRecords: options.maxRecords, maxRecordsPerPeer: options.maxRecordsPerPeer })
    this.prober = new Prober(node, {
      network: options.network,
      interval: options.healthInterval,
      timeout: options.healthTimeout,
      unhealthyThreshold: options.unhealthyThreshold,
      targets: () => this.liveInstances(self),
      onDown: events.onDown,
      onUp: events.onUp
    })
    this.server = new RegistryServer(node, {
      network: options.network,
      store: this.store,
      requestTimeout: options.requestTimeout,
      replicationFactor: options.replicationFactor,
      sweepInterval: Math.min(5000, options.healthInterval),
      isDown: peerId => this.prober.isDown(peerId),
      ...(guard !== undefined ? { guard } : {}),
      ...(options.authority !== undefined ? { authority: options.authority } : {}),
      publishLimiter: new RateLimiter({ rate: options.publishRate, burst: options.publishBurst }),
      // Registries replicate in bursts when one joins; their budget is a multiple of a publisher's.
      replicateLimiter: new RateLimiter({ rate: options.publishRate * 20, burst: options.publishBurst * 50 }),
      discoverLimiter: new RateLimiter({ rate: options.discoverRate, burst: options.discoverRate * 2 }),
      onLimited: (err, from) => {
        if (err.code === LimitErrorCodes.RATE) this.counters.rateLimited++
        else this.counters.quotaExceeded++
        events.onLimited(err, from)
      },
      onStored: (record, from) => {
        this.counters.stored++
        events.onStored(record, from)
      },
      onRejected: (err, from) => {
        this.counters.rejected[err.code] = (this.counters.rejected[err.code] ?? 0) + 1
        events.onRejected(err, from)
      },
      onError: events.onError
    })
  }

  /** Registers the registry protocol handler (before the node starts, so no request finds it missing). */
  async start (): Promise<void> {
    await this.server.start()
  }

  /** Starts probing (once the node runs). */
  startProbing (): void {
    this.prober.start()
  }

  async stop (): Promise<void> {
    this.prober.stop()
    await this.server.stop()
  }

  /** A closed connection from an instance this registry holds is the earliest sign of a crash: probe it now. */
  peerDisconnected (peerId: string): void {
    if (this.liveInstances('').has(peerId)) this.prober.probeSoon(peerId)
  }

  /** Live, not withdrawn records held (for one name or all), with the prober's verdict. */
  heldRecords (name?: string): Array<{ record: VerifiedRecord, down: boolean }> {
    const now = Date.now()
    const records = name === undefined ? this.store.all() : this.store.get(name, now)
    const out: Array<{ record: VerifiedRecord, down: boolean }> = []
    for (const record of records) {
      if (!record.withdrawn && isLive(record, now)) out.push({ record, down: this.prober.isDown(record.peerId) })
    }
    return out
  }

  /** Instances to probe: peer id → addresses, for every live, not withdrawn record held (except our own). */
  private liveInstances (self: string): Map<string, string[]> {
    const now = Date.now()
    const out = new Map<string, string[]>()
    for (const record of this.store.all()) {
      if (!record.withdrawn && isLive(record, now) && record.peerId !== self) out.set(record.peerId, record.addresses)
    }
    return out
  }
}
