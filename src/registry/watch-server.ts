/**
 * The registry side of watch streams (protocols/registry.md, "Watch"): one WATCH request per stream, answered by
 * a snapshot of this registry's view of the name, then a delta pushed whenever the view changes (a record stored,
 * withdrawn, expired; an instance found down, back up, or a check's verdict changed) and an empty delta as a
 * heartbeat. Changes are coalesced per name until the event loop's next turn, and a delta says what the view is
 * then (not what happened in between), so a burst of changes costs one message.
 *
 * Bounded: watchers per connection and in all, a request deadline, and a backlog per watcher: a watcher that does
 * not read is reset (it resynchronises from a snapshot) rather than buffered without end.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream, repeatingTask } from '@libp2p/utils'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_RECORDS_PER_RESPONSE, MAX_WATCHERS, MAX_WATCH_BACKLOG, MAX_WATCH_STREAMS_PER_CONNECTION, WATCH_HEARTBEAT_MS, watchProtocol } from '../constants.js'
import { LimitErrorCodes, LimitExceededError, NetgetError, ProtocolError } from '../errors.js'
import { checkName } from '../records/service-record.js'
import { deadline } from '../util/deadline.js'
import { heldRecords } from './registry-server.js'
import type { HeldRecord } from './registry-server.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { VerifiedRecord } from '../records/service-record.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { RateLimiter } from '../security/rate-limiter.js'
import type { Connection, Stream } from '@libp2p/interface'

export type WatchServerComponents = Pick<NetgetLibp2p, 'handle' | 'unhandle'>

export interface WatchServerInit {
  network: string
  /** Deadline for reading the WATCH request and writing the snapshot (ms). */
  requestTimeout: number
  /** This registry's view of a name: what DISCOVER serves (withdrawals are left out of watch messages). */
  lookup: (name: string) => HeldRecord[]
  /** Whether a record of `peerId` for `name` is held, served or not (an instance found down is held, not served). */
  holds: (name: string, peerId: string) => boolean
  guard?: AdmissionGuard
  /** WATCH requests count as discoveries: the registry's DISCOVER limiter. */
  limiter: RateLimiter
  onLimited: (error: LimitExceededError, from: string) => void
  onError: (err: Error) => void
}

interface Watcher {
  name: string
  id: number
  stream: Stream
  write: (message: RegistryResponse) => void
  close: () => void
}

/** A local watch's change: instances in the view now, and the peer ids that left it. */
export type LocalListener = (change: { upserts: HeldRecord[], gone: string[] }) => void

/** A WATCH request is a name and an id: far below a record's size. */
const MAX_WATCH_REQUEST_BYTES = 1024

export class WatchServer {
  private readonly node: WatchServerComponents
  private readonly init: WatchServerInit
  private readonly byName = new Map<string, Set<Watcher>>()
  /** This node's own watches of a name (a registry node's watch reads its own view without a stream). */
  private readonly local = new Map<string, Set<LocalListener>>()
  private count = 0
  /** Names whose view changed since the last flush, and the instances touched. */
  private readonly touched = new Map<string, Set<string>>()
  private flushing = false
  private readonly heartbeat = repeatingTask(() => { this.beat() }, WATCH_HEARTBEAT_MS)

  constructor (node: WatchServerComponents, init: WatchServerInit) {
    this.node = node
    this.init = init
  }

  /** Watchers connected now (for tests and stats). */
  get size (): number {
    return this.count
  }

  async start (): Promise<void> {
    await this.node.handle(watchProtocol(this.init.network), async (stream, connection) => { await this.serve(stream, connection) },
      { maxInboundStreams: MAX_WATCH_STREAMS_PER_CONNECTION })
    this.heartbeat.start()
  }

  async stop (): Promise<void> {
    this.heartbeat.stop()
    for (const watchers of this.byName.values()) for (const watcher of watchers) watcher.close()
    this.byName.clear()
    this.local.clear()
    this.touched.clear()
    // Fails only when the node stopped first, which removed every handler anyway.
    await this.node.unhandle(watchProtocol(this.init.network)).catch(() => {})
  }

  /**
   * Follows `name` in this registry's own view: `listener` gets each change as the stream watchers' deltas
   * describe it (instances in the view now, and peer ids gone from it). Returns the unsubscribe.
   */
  subscribeLocal (name: string, listener: LocalListener): () => void {
    let listeners = this.local.get(name)
    if (listeners === undefined) {
      listeners = new Set()
      this.local.set(name, listeners)
    }
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0 && this.local.get(name) === listeners) this.local.delete(name)
    }
  }

  /** This registry's view of `name`, as a snapshot would give it. */
  snapshot (name: string): HeldRecord[] {
    return this.view(name)
  }

  /** A record was stored (new or newer, a withdrawal included) or left the store. */
  recordChanged (record: Pick<VerifiedRecord, 'name' | 'peerId'>): void {
    this.touch(record.name, record.peerId)
  }

  /** An instance's health changed (down, up, a check's verdict): every watched name it holds a record for. */
  instanceChanged (peerId: string): void {
    for (const name of new Set([...this.byName.keys(), ...this.local.keys()])) {
      if (this.init.holds(name, peerId)) this.touch(name, peerId)
    }
  }

  private touch (name: string, peerId: string): void {
    if (!this.byName.has(name) && !this.local.has(name)) return
    let peers = this.touched.get(name)
    if (peers === undefined) {
      peers = new Set()
      this.touched.set(name, peers)
    }
    peers.add(peerId)
    if (this.flushing) return
    this.flushing = true
    setImmediate(() => { this.flush() })
  }

  /** One delta per touched name: the touched instances as the view has them now, or gone from it. */
  private flush (): void {
    this.flushing = false
    for (const [name, peers] of this.touched) {
      const watchers = this.byName.get(name)
      const listeners = this.local.get(name)
      if (watchers === undefined && listeners === undefined) continue
      const view = new Map(this.view(name).map(h => [h.record.peerId, h]))
      const upserts: HeldRecord[] = []
      const goneIds: string[] = []
      for (const peerId of peers) {
        const held = view.get(peerId)
        if (held !== undefined) upserts.push(held)
        else goneIds.push(peerId)
      }
      for (const listener of listeners ?? []) listener({ upserts, gone: goneIds })
      if (watchers === undefined) continue
      const gone = goneIds.map(id => peerIdFromString(id).toMultihash().bytes as Uint8Array<ArrayBuffer>)
      // At most MAX_RECORDS_PER_RESPONSE of each per message, as watchers decode them.
      for (let i = 0; i < Math.max(upserts.length, gone.length); i += MAX_RECORDS_PER_RESPONSE) {
        const delta = { ...heldRecords(upserts.slice(i, i + MAX_RECORDS_PER_RESPONSE)), gone: gone.slice(i, i + MAX_RECORDS_PER_RESPONSE), snapshot: false }
        for (const watcher of watchers) watcher.write({ ...delta, id: watcher.id })
      }
    }
    this.touched.clear()
  }

  private beat (): void {
    const empty = { ...heldRecords([]), snapshot: false }
    for (const watchers of this.byName.values()) for (const watcher of watchers) watcher.write({ ...empty, id: watcher.id })
  }

  /** Live, not withdrawn, not down: what a watcher is told exists. */
  private view (name: string): HeldRecord[] {
    return this.init.lookup(name).filter(h => !h.record.withdrawn)
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    const pb = pbStream(stream, { maxDataLength: MAX_WATCH_REQUEST_BYTES })
    const limit = deadline(this.init.requestTimeout)
    let request: RegistryRequest
    try {
      try {
        request = await pb.read(RegistryRequest, { signal: limit.signal })
      } catch (err) {
        throw new ProtocolError(`unreadable WATCH request: ${(err as Error).message}`, { cause: err })
      }
      const refusal = await this.refusal(request, from, limit.signal)
      if (refusal !== undefined) {
        await pb.write({ ...heldRecords([]), ...refusal, id: request.id, gone: [], snapshot: false }, RegistryResponse, { signal: limit.signal })
        await stream.close({ signal: limit.signal })
        return
      }
      const watcher = this.add(request, stream, pb)
      watcher.write({ ...heldRecords(this.view(request.name)), id: request.id, gone: [], snapshot: true })
    } catch (err) {
      stream.abort(err as Error)
      if (stream.status === 'open' && !(err instanceof ProtocolError)) this.init.onError(err as Error)
    } finally {
      limit.clear()
    }
  }

  /** Why a WATCH request is refused (REJECTED with a code), or undefined when it is served. */
  private async refusal (request: RegistryRequest, from: string, signal: AbortSignal): Promise<Pick<RegistryResponse, 'status' | 'code' | 'message'> | undefined> {
    const refuse = (code: string, message: string): Pick<RegistryResponse, 'status' | 'code' | 'message'> => ({ status: RegistryResponse.Status.REJECTED, code, message })
    if (request.type !== RegistryRequest.Type.WATCH) return refuse('NETGET_ERR_PROTOCOL', 'a watch stream starts with a WATCH request')
    try {
      checkName(request.name)
      await this.init.guard?.require(from, ['service', 'registry', 'client'], signal)
    } catch (err) {
      if (err instanceof NetgetError) return refuse(err.code, err.message)
      throw err
    }
    if (!this.init.limiter.take(from)) {
      const error = new LimitExceededError(LimitErrorCodes.RATE, `too many watches from ${from}; slow down`)
      this.init.onLimited(error, from)
      return refuse(error.code, error.message)
    }
    if (this.count >= MAX_WATCHERS) return refuse(LimitErrorCodes.QUOTA, `this registry serves ${MAX_WATCHERS} watch streams already`)
    return undefined
  }

  private add (request: RegistryRequest, stream: Stream, pb: ReturnType<typeof pbStream>): Watcher {
    let backlog = 0
    let chain = Promise.resolve()
    let closed = false
    const close = (err?: Error): void => {
      if (closed) return
      closed = true
      const watchers = this.byName.get(request.name)
      if (watchers?.delete(watcher) === true) {
        this.count--
        if (watchers.size === 0) this.byName.delete(request.name)
      }
      if (err !== undefined) stream.abort(err)
      // The watcher may have gone first: a failed close leaves nothing to release.
      else void stream.close().catch(() => {})
    }
    const watcher: Watcher = {
      name: request.name,
      id: request.id,
      stream,
      write: message => {
        if (closed) return
        // A watcher that does not read: reset, so it resynchronises rather than being fed without end.
        if (++backlog > MAX_WATCH_BACKLOG) {
          close(new Error('watch backlog full: the watcher does not read'))
          return
        }
        chain = chain.then(async () => {
          if (closed) return
          await pb.write(message, RegistryResponse)
          backlog--
        }).catch(err => { close(err as Error) })
      },
      close: () => { close() }
    }
    let watchers = this.byName.get(request.name)
    if (watchers === undefined) {
      watchers = new Set()
      this.byName.set(request.name, watchers)
    }
    watchers.add(watcher)
    this.count++
    // The watcher leaving (its side closed, a reset, the connection gone) ends the subscription.
    stream.addEventListener('remoteCloseWrite', () => { close() }, { once: true })
    stream.addEventListener('close', () => { close() }, { once: true })
    return watcher
  }
}
