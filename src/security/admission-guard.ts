/**
 * Closed networks: every peer must show a certificate from the network's authority before any netget
 * protocol answers it. The guard serves this node's certificate, fetches and verifies each connected peer's
 * (once per connection), refuses peers without a valid one (hang up, then the connection gater keeps them
 * out for a while), refuses any peer that claims to serve the DHT or the registry protocol without a
 * registry certificate, and re-checks certificates while peers stay connected.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { AdmissionRequest, AdmissionResponse } from '../../protocols/admission.js'
import { admissionProtocol, kadProtocol, registryProtocol } from '../constants.js'
import { AdmissionError, AdmissionErrorCodes } from '../errors.js'
import { request, serve } from '../node/rpc.js'
import { deadline } from '../util/deadline.js'
import { MAX_CERTIFICATE_BYTES, checkValidity, verifyCertificate } from './admission.js'
import { BoundedMap } from '../util/bounded-map.js'
import type { Role, VerifiedAdmission } from './admission.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { RequestComponents } from '../node/rpc.js'
import type { ConnectionGater, IdentifyResult, Logger, PeerId, PublicKey } from '@libp2p/interface'

export type AdmissionGuardComponents = Pick<NetgetLibp2p, 'logger' | 'handle' | 'addEventListener' | 'removeEventListener' | 'getConnections' | 'hangUp'> & RequestComponents

/** Refused peers remembered by the gater at once. */
const MAX_DENIED_PEERS = 10_000

export interface AdmissionGuardInit {
  network: string
  authority: PublicKey
  /** This node's own encoded certificate. */
  certificate: Uint8Array
  /** Deadline of one certificate exchange (ms). */
  timeout: number
  /** How often certificates of connected peers are re-checked (ms). */
  recheckInterval: number
  /** How long a refused peer is kept out by the connection gater (ms). */
  denyFor: number
  onRefused: (peerId: string, error: AdmissionError) => void
  /** The clock (ms since the epoch); tests move it to expire certificates. @default Date.now */
  now?: () => number
}

export class AdmissionGuard {
  private readonly init: AdmissionGuardInit
  private node?: AdmissionGuardComponents
  private readonly admitted = new Map<string, VerifiedAdmission>()
  private readonly pending = new Map<string, Promise<VerifiedAdmission>>()
  private readonly denied = new BoundedMap<string, number>(MAX_DENIED_PEERS)
  private timer?: ReturnType<typeof setInterval>
  private readonly stopping = new AbortController()
  private log?: Logger

  /** A check that ends in a refusal was reported (onRefused); this notes why any check ended without an admission. */
  private readonly checkEnded = (id: string) => (err: unknown): void => { this.log?.('admission check of %s ended: %e', id, err) }

  private readonly onConnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    void this.check(id).catch(this.checkEnded(id))
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    this.admitted.delete(id)
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols } = event.detail
    const serves = protocols.includes(kadProtocol(this.init.network)) || protocols.includes(registryProtocol(this.init.network))
    if (!serves) return
    const id = peerId.toString()
    void this.check(id).then(admission => {
      if (admission.role !== 'registry') {
        this.refuse(id, new AdmissionError(AdmissionErrorCodes.ROLE, `${id} serves the DHT or the registry protocol but is admitted as a ${admission.role}`))
      }
    }).catch(this.checkEnded(id))
  }

  constructor (init: AdmissionGuardInit) {
    this.init = init
  }

  /** The connection gater: keeps refused peers out for `denyFor` ms, after the Noise handshake names them. */
  gater (): ConnectionGater {
    const denied = (peerId: PeerId): boolean => this.isDenied(peerId.toString())
    return {
      denyDialPeer: denied,
      denyInboundEncryptedConnection: denied,
      denyOutboundEncryptedConnection: denied
    }
  }

  async start (node: AdmissionGuardComponents): Promise<void> {
    this.node = node
    this.log = node.logger.forComponent('netget:admission')
    const response = { certificate: this.init.certificate as Uint8Array<ArrayBuffer> }
    await node.handle(admissionProtocol(this.init.network), serve(
      { request: AdmissionRequest, response: AdmissionResponse }, 16, this.init.timeout,
      async () => response, () => {}
    ), { maxInboundStreams: 8 })
    node.addEventListener('peer:connect', this.onConnect)
    node.addEventListener('peer:disconnect', this.onDisconnect)
    node.addEventListener('peer:identify', this.onIdentify)
    this.timer = setInterval(() => { this.recheck() }, this.init.recheckInterval)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.stopping.abort()
    const node = this.node
    if (node !== undefined) {
      node.removeEventListener('peer:connect', this.onConnect)
      node.removeEventListener('peer:disconnect', this.onDisconnect)
      node.removeEventListener('peer:identify', this.onIdentify)
    }
    this.admitted.clear()
    this.pending.clear()
  }

  /** The role of an admitted, connected peer; undefined when not (yet) admitted. */
  roleOf (peerId: string): Role | undefined {
    return this.admitted.get(peerId)?.role
  }

  /** Resolves with the peer's verified certificate (fetching it if needed); rejects with AdmissionError. */
  async require (peerId: string, roles: Role[], signal?: AbortSignal): Promise<VerifiedAdmission> {
    const admission = await this.check(peerId, signal)
    if (!roles.includes(admission.role)) {
      throw new AdmissionError(AdmissionErrorCodes.ROLE, `${peerId} is admitted as a ${admission.role}, not as a ${roles.join(' or ')}`)
    }
    return admission
  }

  private now (): number {
    return this.init.now?.() ?? Date.now()
  }

  private isDenied (peerId: string): boolean {
    const until = this.denied.get(peerId)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.denied.delete(peerId)
    return false
  }

  private async check (peerId: string, signal?: AbortSignal): Promise<VerifiedAdmission> {
    const known = this.admitted.get(peerId)
    if (known !== undefined) return known
    if (this.isDenied(peerId)) throw new AdmissionError(AdmissionErrorCodes.INVALID, `${peerId} was refused admission recently`)
    let pending = this.pending.get(peerId)
    if (pending === undefined) {
      pending = this.fetch(peerId).finally(() => { this.pending.delete(peerId) })
      this.pending.set(peerId, pending)
    }
    if (signal === undefined) return pending
    const { promise, reject } = Promise.withResolvers<never>()
    const onAbort = (): void => { reject(new AdmissionError(AdmissionErrorCodes.MISSING, `no certificate from ${peerId} in time`)) }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await Promise.race([pending, promise])
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  private async fetch (peerId: string): Promise<VerifiedAdmission> {
    const node = this.node
    if (node === undefined) throw new AdmissionError(AdmissionErrorCodes.MISSING, 'admission guard is not started')
    const peer = peerIdFromString(peerId)
    const limit = deadline(this.init.timeout, this.stopping.signal)
    let certificate: Uint8Array
    try {
      // Ask over the connection that is open: an inbound peer's listen addresses may not be known yet.
      const connection = node.getConnections(peer).find(c => c.status === 'open')
      const response = await request(node, connection ?? peer, admissionProtocol(this.init.network), {},
        { request: AdmissionRequest, response: AdmissionResponse }, { signal: limit.signal, maxDataLength: MAX_CERTIFICATE_BYTES + 16 })
      certificate = response.certificate
    } catch (err) {
      const error = new AdmissionError(AdmissionErrorCodes.MISSING, `${peerId} did not show an admission certificate: ${(err as Error).message}`, { cause: err })
      // Only a connected peer that would not show a certificate is refused; an unreachable one is just unreachable.
      if (!this.stopping.signal.aborted && node.getConnections(peer).length > 0) this.refuse(peerId, error)
      throw error
    } finally {
      limit.clear()
    }
    try {
      const admission = await verifyCertificate(certificate, { authority: this.init.authority, network: this.init.network, subject: peerId, now: this.now() })
      this.admitted.set(peerId, admission)
      return admission
    } catch (err) {
      if (err instanceof AdmissionError) this.refuse(peerId, err)
      throw err
    }
  }

  private refuse (peerId: string, error: AdmissionError): void {
    this.admitted.delete(peerId)
    // Bounded: under a flood of fresh keys the oldest refusals are forgotten first.
    this.denied.set(peerId, Date.now() + this.init.denyFor)
    this.init.onRefused(peerId, error)
    const node = this.node
    if (node !== undefined) {
      const peer = node.getConnections().find(c => c.remotePeer.toString() === peerId)?.remotePeer
      if (peer !== undefined) void node.hangUp(peer).catch((err: unknown) => { this.log?.('hanging up on refused peer %s failed: %e', peerId, err) })
    }
  }

  private recheck (): void {
    const now = Date.now()
    for (const [peerId, until] of this.denied) {
      if (until <= now) this.denied.delete(peerId)
    }
    for (const [peerId, admission] of this.admitted) {
      try {
        checkValidity(admission, this.now())
      } catch (err) {
        this.refuse(peerId, err as AdmissionError)
      }
    }
  }
}
