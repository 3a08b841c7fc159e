/**
 * The registry side of /netget/<network>/registry/1.0.0: verifies and stores published records, answers
 * discovery with every live record for a name, expires leases, hides instances the prober found down,
 * and re-replicates what it holds to a registry that joins the closest set of a record's key.
 */
import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey, peerIdFromString } from '@libp2p/peer-id'
import { ServiceRecord, SignedServiceRecord } from '../../protocols/service-record.js'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_RECORD_BYTES, MAX_RECORDS_PER_RESPONSE, MAX_REGISTRY_MESSAGE_BYTES, MAX_REGISTRY_STREAMS_PER_CONNECTION, MAX_RESPONSE_RECORD_BYTES, SESSION_IDLE_TIMEOUT_MS, registryProtocol } from '../constants.js'
import { AdmissionError, LimitErrorCodes, LimitExceededError, NetgetError, RecordValidationError } from '../errors.js'
import { deadline } from '../util/deadline.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { RateLimiter } from '../security/rate-limiter.js'
import { request, serveSession } from '../node/rpc.js'
import { isLive, openRecord } from '../records/service-record.js'
import { serviceKey } from '../records/service-key.js'
import { closestTo } from './distance.js'
import type { RecordStore } from './record-store.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { VerifiedRecord } from '../records/service-record.js'
import type { Connection, IdentifyResult, PeerId, PublicKey } from '@libp2p/interface'

export interface RegistryServerInit {
  network: string
  store: RecordStore
  /** Deadline for one inbound request and one outbound replication (ms). */
  requestTimeout: number
  /** How many registries closest to a service key hold its records. */
  replicationFactor: number
  /** Sweep period for expired records (ms). */
  sweepInterval: number
  isDown: (peerId: string) => boolean
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
  onError: (err: Error) => void
}

export type RegistryRequestKind = 'publish' | 'replicate'

export class RegistryServer {
  private readonly node: NetgetLibp2p
  private readonly init: RegistryServerInit
  private readonly knownRegistries = new Set<string>()
  private sweepTimer?: ReturnType<typeof setInterval>
  private controller?: AbortController
  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols } = event.detail
    const id = peerId.toString()
    if (!protocols.includes(registryProtocol(this.init.network)) || this.knownRegistries.has(id)) return
    const guard = this.init.guard
    const admitted = guard === undefined ? Promise.resolve() : guard.require(id, ['registry'])
    admitted.then(async () => {
      this.knownRegistries.add(id)
      await this.replicateTo(id)
    }).catch(err => {
      // A peer refused admission is the guard's business (it emits peer:refused), not an error of ours.
      if (!(err instanceof AdmissionError)) this.init.onError(err)
    })
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    // A registry that comes back is a join again, and gets what it should hold.
    this.knownRegistries.delete(event.detail.toString())
  }

  constructor (node: NetgetLibp2p, init: RegistryServerInit) {
    this.node = node
    this.init = init
  }

  async start (): Promise<void> {
    this.controller = new AbortController()
    await this.node.handle(registryProtocol(this.init.network), serveSession(
      { request: RegistryRequest, response: RegistryResponse },
      MAX_RECORD_BYTES + 1024,
      { timeout: this.init.requestTimeout, idleTimeout: SESSION_IDLE_TIMEOUT_MS },
      async (req, connection, signal) => this.answer(req, connection, signal),
      this.init.onError
    // Netget clients keep one session per registry; a few more cover reconnects and one-shot REPLICATEs.
    ), { maxInboundStreams: MAX_REGISTRY_STREAMS_PER_CONNECTION })
    this.node.addEventListener('peer:identify', this.onIdentify)
    this.node.addEventListener('peer:disconnect', this.onDisconnect)
    this.sweepTimer = setInterval(() => { this.init.store.sweep() }, this.init.sweepInterval)
    this.sweepTimer.unref()
  }

  async stop (): Promise<void> {
    this.node.removeEventListener('peer:identify', this.onIdentify)
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    clearInterval(this.sweepTimer)
    this.sweepTimer = undefined
    this.controller?.abort()
    await this.node.unhandle(registryProtocol(this.init.network)).catch(() => {})
  }

  /**
   * Verifies and stores a record; throws RecordValidationError or LimitExceededError when refused.
   * Used for remote and local offers.
   */
  async accept (bytes: Uint8Array, from: string, kind: RegistryRequestKind): Promise<VerifiedRecord> {
    try {
      const record = await openRecord(bytes, {
        network: this.init.network,
        ...(kind === 'publish' ? { publisher: from } : {}),
        ...(this.init.authority !== undefined ? { authority: this.init.authority } : {})
      })
      if (this.init.store.offer(record) === 'stored') this.init.onStored(record, from)
      return record
    } catch (err) {
      if (err instanceof RecordValidationError) this.init.onRejected(err, from)
      if (err instanceof LimitExceededError) this.init.onLimited(err, from)
      throw err
    }
  }

  /** Records served for `name`: live, and not held by an instance the prober found down. */
  /** Records served for `name`: live, not from an instance marked down; at most 256 records and 1 MiB. */
  lookup (name: string): VerifiedRecord[] {
    const out: VerifiedRecord[] = []
    let bytes = 0
    for (const record of this.init.store.get(name)) {
      if (!record.withdrawn && this.init.isDown(record.peerId)) continue
      if (out.length === MAX_RECORDS_PER_RESPONSE || bytes + record.bytes.byteLength > MAX_RESPONSE_RECORD_BYTES) break
      bytes += record.bytes.byteLength
      out.push(record)
    }
    return out
  }

  private async answer (req: RegistryRequest, connection: Connection, signal: AbortSignal): Promise<Omit<RegistryResponse, 'id'>> {
    const from = connection.remotePeer.toString()
    try {
      switch (req.type) {
        case RegistryRequest.Type.PUBLISH:
          await this.init.guard?.require(from, ['service', 'registry'], signal)
          this.limit(this.init.publishLimiter, from, 'publishes')
          await this.accept(req.record, from, 'publish')
          return { status: RegistryResponse.Status.OK, code: '', message: '', records: [] }
        case RegistryRequest.Type.REPLICATE:
          await this.init.guard?.require(from, ['registry'], signal)
          // Registries are the peers whose identify lists the registry protocol (the peer store would not do:
          // libp2p records a protocol for a peer as soon as it opens a stream of it to us).
          if (!this.knownRegistries.has(from)) return refusal('NETGET_ERR_PROTOCOL', 'REPLICATE is accepted from registries only')
          // A registry replicating its own record is publishing: it pays the publish rate, not the replication one.
          this.limit(ownRecord(req.record, from) ? this.init.publishLimiter : this.init.replicateLimiter, from, 'replications')
          await this.accept(req.record, from, 'replicate')
          return { status: RegistryResponse.Status.OK, code: '', message: '', records: [] }
        case RegistryRequest.Type.DISCOVER:
          await this.init.guard?.require(from, ['service', 'registry', 'client'], signal)
          this.limit(this.init.discoverLimiter, from, 'discoveries')
          return { status: RegistryResponse.Status.OK, code: '', message: '', records: this.lookup(req.name).map(r => r.bytes as Uint8Array<ArrayBuffer>) }
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

  /** Sends a joining registry the records whose closest set it now belongs to. */
  private async replicateTo (peerId: string): Promise<void> {
    const self = this.node.peerId.toString()
    const registries = [...this.knownRegistries, self]
    for (const record of [...this.init.store.all()]) {
      const signal = this.controller?.signal
      // Stop when this registry stops or the peer left (it is walked again when it comes back).
      if (signal === undefined || signal.aborted || !this.knownRegistries.has(peerId)) return
      if (!isLive(record)) continue
      const closest = await closestTo(await serviceKey(record.network, record.name), registries, this.init.replicationFactor)
      if (!closest.includes(peerId)) continue
      // A refusal (it holds a newer record) or an unreachable peer is fine: the publisher republishes.
      const limit = deadline(this.init.requestTimeout, signal)
      await request(this.node, peerIdFromString(peerId),
        registryProtocol(this.init.network),
        { type: RegistryRequest.Type.REPLICATE, record: record.bytes as Uint8Array<ArrayBuffer>, name: '', id: 0 },
        { request: RegistryRequest, response: RegistryResponse },
        { signal: limit.signal, maxDataLength: MAX_REGISTRY_MESSAGE_BYTES })
        .catch(() => undefined)
        .finally(() => { limit.clear() })
    }
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

function refusal (code: string, message: string): Omit<RegistryResponse, 'id'> {
  return { status: RegistryResponse.Status.REJECTED, code, message, records: [] }
}
