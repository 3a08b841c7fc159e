/**
 * The registry side of /netget/<network>/registry/1.0.0: verifies and stores published records, answers
 * discovery with every live record for a name, names the registries it knows closest to a request's key
 * (so that lookups converge), expires leases and hides instances the prober found down.
 */
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { ServiceRecord, SignedServiceRecord } from '../../protocols/service-record.js'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_FIND_HINTS, MAX_HINTS, MAX_REGISTRY_REQUEST_BYTES, MAX_RELAY, MAX_RECORDS_PER_RESPONSE, MAX_REGISTRY_STREAMS_PER_CONNECTION, MAX_RESPONSE_RECORD_BYTES, SESSION_IDLE_TIMEOUT_MS, registryProtocol } from '../constants.js'
import { LimitErrorCodes, LimitExceededError, NetgetError, RecordValidationError } from '../errors.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { RateLimiter } from '../security/rate-limiter.js'
import { serveSession } from '../node/rpc.js'
import { openRecord } from '../records/service-record.js'
import { MAX_CHECKS, healthToWire } from '../health/model.js'
import { encodeHint } from '../routing/hints.js'
import { POSITION_BYTES, servicePosition } from '../routing/position.js'
import type { RecordStore } from './record-store.js'
import type { InstanceHealth } from '../health/model.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { VerifiedRecord } from '../records/service-record.js'
import type { RegistryPeer } from '../../protocols/registry.js'
import type { RegistryTable, TableEntry } from '../routing/registry-table.js'
import type { Connection, PublicKey } from '@libp2p/interface'

export type RegistryServerComponents = Pick<NetgetLibp2p, 'handle' | 'unhandle'>

export interface RegistryServerInit {
  network: string
  store: RecordStore
  /** The registries this node knows: REPLICATE is taken from verified ones, and answers name the closest. */
  table: RegistryTable
  /**
   * Whether this registry knows `replicationFactor` live registries closer to `target` than itself: then it is
   * not where the name's records live, and a DISCOVER is answered with closer registries even unasked.
   */
  outsideClosestSet?: (target: Uint8Array) => boolean
  /**
   * Whether this registry's view of the registries moved so recently that it may have just joined a name's closest
   * set and still be receiving its records (DISCOVER answers carry it as `settling`).
   */
  settling?: () => boolean
  /** How many closer registries such an unasked answer names (the registry's own replicationFactor). */
  unaskedHints?: number
  /** The registries an answer is about to name as closer (the membership checks those it has not heard from). */
  onNamed?: (entries: TableEntry[]) => void
  /** Deadline for one inbound request and one outbound replication (ms). */
  requestTimeout: number
  /** Sweep period for expired records (ms). */
  sweepInterval: number
  isDown: (peerId: string) => boolean
  /** What the prober knows of an instance's health (undefined: this registry does not probe it). */
  healthOf?: (peerId: string) => InstanceHealth | undefined
  /** Closed networks: the guard that knows each peer's admission, and the authority records need. */
  guard?: AdmissionGuard
  authority?: PublicKey
  /** PUBLISH per peer: average per second and burst. */
  publishLimiter: RateLimiter
  /** REPLICATE per registry peer: average per second and burst. */
  replicateLimiter: RateLimiter
  /** DISCOVER per peer: average per second and burst. */
  discoverLimiter: RateLimiter
  onLimited: (error: LimitExceededError, from: string) => void
  onStored: (record: VerifiedRecord, from: string) => void
  onRejected: (error: RecordValidationError, from: string) => void
  /** A publisher's PUBLISH stored as new asked for it to be relayed to the rest of its `k` closest registries. */
  onRelay?: (record: VerifiedRecord, k: number) => void
  onError: (err: Error) => void
}

export type RegistryRequestKind = 'publish' | 'replicate'

/** What a client decodes of a registry's answer at most (protons limits on repeated fields). */
export const REGISTRY_RESPONSE_LIMITS = {
  records: MAX_RECORDS_PER_RESPONSE,
  closer: MAX_FIND_HINTS,
  closer$: { addrs: 4 },
  health: MAX_RECORDS_PER_RESPONSE,
  health$: { checks: MAX_CHECKS },
  gone: MAX_RECORDS_PER_RESPONSE
}

/** A record a registry serves, with its instance's health as the registry's prober sees it (absent: not probed). */
export interface HeldRecord {
  record: VerifiedRecord
  health?: InstanceHealth
}

export class RegistryServer {
  private readonly node: RegistryServerComponents
  private readonly init: RegistryServerInit
  private sweepTimer?: ReturnType<typeof setInterval>
  /** DISCOVER requests answered (over the wire; local lookups of a registry's own client are not counted). */
  discoversAnswered = 0

  constructor (node: RegistryServerComponents, init: RegistryServerInit) {
    this.node = node
    this.init = init
  }

  async start (): Promise<void> {
    await this.node.handle(registryProtocol(this.init.network), serveSession(
      { request: RegistryRequest, response: RegistryResponse },
      MAX_REGISTRY_REQUEST_BYTES,
      { timeout: this.init.requestTimeout, idleTimeout: SESSION_IDLE_TIMEOUT_MS },
      async (req, connection, signal) => this.answer(req, connection, signal),
      this.init.onError
    // Netget clients keep one session per registry; a few more cover reconnects and one-shot REPLICATEs.
    ), { maxInboundStreams: MAX_REGISTRY_STREAMS_PER_CONNECTION })
    this.sweepTimer = setInterval(() => { this.init.store.sweep() }, this.init.sweepInterval)
    this.sweepTimer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
    // Fails only when the node stopped first, which removed every handler anyway.
    await this.node.unhandle(registryProtocol(this.init.network)).catch(() => {})
  }

  /**
   * Verifies and stores a record; throws RecordValidationError or LimitExceededError when refused.
   * Used for remote and local offers. `relay` (PUBLISH only): the publisher's K, when it asks for a relay.
   */
  async accept (bytes: Uint8Array, from: string, kind: RegistryRequestKind, relay = 0): Promise<VerifiedRecord> {
    try {
      const record = await openRecord(bytes, {
        network: this.init.network,
        ...(kind === 'publish' ? { publisher: from } : {}),
        ...(this.init.authority !== undefined ? { authority: this.init.authority } : {})
      })
      if (this.init.store.offer(record) === 'stored') {
        this.init.onStored(record, from)
        // Only a record new here is relayed, and only from its publisher: a replay or a third party's copy
        // makes no traffic, and a relayed copy (REPLICATE) is never relayed again.
        if (kind === 'publish' && relay > 0) this.init.onRelay?.(record, Math.min(relay, MAX_RELAY))
      }
      return record
    } catch (err) {
      if (err instanceof RecordValidationError) this.init.onRejected(err, from)
      if (err instanceof LimitExceededError) this.init.onLimited(err, from)
      throw err
    }
  }

  /** Whether DISCOVER answers say `settling` now (see RegistryServerInit.settling). */
  isSettling (): boolean {
    return this.init.settling?.() === true
  }

  /**
   * Records served for `name`, each with its instance's health as this registry's prober sees it: live, not from
   * an instance marked down; at most 256 records and 1 MiB.
   */
  lookup (name: string): HeldRecord[] {
    const out: HeldRecord[] = []
    let bytes = 0
    for (const record of this.init.store.get(name)) {
      if (!record.withdrawn && this.init.isDown(record.peerId)) continue
      if (out.length === MAX_RECORDS_PER_RESPONSE || bytes + record.bytes.byteLength > MAX_RESPONSE_RECORD_BYTES) break
      bytes += record.bytes.byteLength
      const health = this.init.healthOf?.(record.peerId)
      out.push(health !== undefined ? { record, health } : { record })
    }
    return out
  }

  private async answer (req: RegistryRequest, connection: Connection, signal: AbortSignal): Promise<Omit<RegistryResponse, 'id'>> {
    const from = connection.remotePeer.toString()
    try {
      switch (req.type) {
        case RegistryRequest.Type.PUBLISH: {
          await this.init.guard?.require(from, ['service', 'registry'], signal)
          this.limit(this.init.publishLimiter, from, 'publishes')
          const record = await this.accept(req.record, from, 'publish', req.relay)
          return ok([], this.closer(servicePosition(record.network, record.name), req.closer, from))
        }
        case RegistryRequest.Type.REPLICATE:
          await this.init.guard?.require(from, ['registry'], signal)
          // Registries are the peers whose identify lists the registry protocol (the peer store would not do:
          // libp2p records a protocol for a peer as soon as it opens a stream of it to us).
          if (!this.init.table.isVerified(from)) return refusal('NETGET_ERR_PROTOCOL', 'REPLICATE is accepted from registries only')
          // A registry replicating its own record is publishing: it pays the publish rate, not the replication one.
          this.limit(ownRecord(req.record, from) ? this.init.publishLimiter : this.init.replicateLimiter, from, 'replications')
          await this.accept(req.record, from, 'replicate')
          return ok([], [])
        case RegistryRequest.Type.DISCOVER: {
          await this.init.guard?.require(from, ['service', 'registry', 'client'], signal)
          this.limit(this.init.discoverLimiter, from, 'discoveries')
          const target = servicePosition(this.init.network, req.name)
          // A client whose cached route is wrong (it never heard of the closest registries) asks without wanting
          // hints, and would be told only what this registry holds: old copies that expire, since renewals go to
          // the closest. Told of closer registries, its lookup walks on to them.
          const hints = req.closer > 0 ? req.closer : this.init.outsideClosestSet?.(target) === true ? (this.init.unaskedHints ?? 0) : 0
          this.discoversAnswered++
          return { ...heldRecords(this.lookup(req.name)), ...closerOnly(this.closer(target, hints, from)), settling: this.init.settling?.() === true }
        }
        case RegistryRequest.Type.FIND:
          await this.init.guard?.require(from, ['service', 'registry', 'client'], signal)
          this.limit(this.init.discoverLimiter, from, 'lookups')
          if (req.key.byteLength !== POSITION_BYTES) return refusal('NETGET_ERR_PROTOCOL', `FIND needs a ${POSITION_BYTES}-byte key, got ${req.key.byteLength} bytes`)
          return ok([], this.closer(req.key, req.closer, from, MAX_FIND_HINTS))
        default:
          // Unreachable today (protons refuses unknown enum values while decoding, which resets the stream);
          // kept so that a new request type added to the enum is refused until it is handled.
          return refusal('NETGET_ERR_PROTOCOL', `unknown request type ${String(req.type)}`)
      }
    } catch (err) {
      if (err instanceof NetgetError) return refusal(err.code, err.message)
      throw err
    }
  }

  private limit (limiter: RateLimiter, from: string, what: string): void {
    if (limiter.take(from)) return
    const error = new LimitExceededError(LimitErrorCodes.RATE, `too many ${what} from ${from}; slow down`)
    this.init.onLimited(error, from)
    throw error
  }

  /** The verified registries closest to `target` that this node can tell how to dial, but not the asker. */
  private closer (target: Uint8Array, count: number, asker: string, cap = MAX_HINTS): RegistryPeer[] {
    if (count === 0) return []
    const entries = this.init.table.closest(target, Math.min(count, cap), e => e.verified && e.id !== asker && e.addrs.length > 0)
    if (entries.length > 0) this.init.onNamed?.(entries)
    return entries.map(encodeHint)
  }
}

/** Whether a signed record's publisher is `peerId` (decoded cheaply; the full verification comes after). */
function ownRecord (bytes: Uint8Array, peerId: string): boolean {
  try {
    const key = publicKeyFromProtobuf(ServiceRecord.decode(SignedServiceRecord.decode(bytes).record).publicKey)
    return peerIdFromPublicKey(key).toString() === peerId
  } catch {
    return false
  }
}

/** A DISCOVER answer's records and their health, index for index. */
export function heldRecords (held: HeldRecord[]): Omit<RegistryResponse, 'id'> {
  const now = Date.now()
  return {
    ...ok(held.map(h => h.record.bytes as Uint8Array<ArrayBuffer>), []),
    health: held.map(h => healthToWire(h.health, now))
  }
}

function closerOnly (closer: RegistryPeer[]): Pick<RegistryResponse, 'closer'> {
  return { closer }
}

function ok (records: Array<Uint8Array<ArrayBuffer>>, closer: RegistryPeer[]): Omit<RegistryResponse, 'id'> {
  return { status: RegistryResponse.Status.OK, code: '', message: '', records, closer, health: [], gone: [], snapshot: false, settling: false }
}

function refusal (code: string, message: string): Omit<RegistryResponse, 'id'> {
  return { status: RegistryResponse.Status.REJECTED, code, message, records: [], closer: [], health: [], gone: [], snapshot: false, settling: false }
}
