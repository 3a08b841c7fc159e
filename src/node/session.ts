/**
 * Long-lived request streams, one per peer: requests are written as they come and answered in order
 * (pipelined), so a request costs one round trip and no stream setup. Opening a libp2p stream costs
 * more than the round trip itself (a peer-store write per stream), which is why discovery keeps these open.
 *
 * A caller that gives up (its signal fired) only abandons its own request: the answer is still read and
 * dropped, so other callers on the stream are not disturbed. A session whose stream fails (reset, closed by
 * the remote, idle), or that has too many abandoned requests outstanding (a peer that stopped answering),
 * rejects what is pending and leaves the pool; a request that failed on a reused stream (it may have died
 * idle) is retried once on a new one.
 */
import { pbStream } from '@libp2p/utils'
import { ProtocolError, TimeoutError } from '../errors.js'
import { deadline } from '../util/deadline.js'
import type { Codec, RequestComponents } from './rpc.js'
import type { PeerId, Stream } from '@libp2p/interface'
import type { ProtobufStream } from '@libp2p/utils'
import type { DecodeOptions } from 'protons-runtime'

interface Identified { id: number }

interface Pending<Res> {
  id: number
  resolve: (res: Res) => void
  reject: (err: Error) => void
  /** The caller gave up: the answer is read and dropped. */
  abandoned: boolean
}

export interface SessionPoolInit<Req extends Identified, Res extends Identified> {
  node: RequestComponents
  protocol: string
  codecs: { request: Codec<Req>, response: Codec<Res> & { decode(bytes: Uint8Array | import('uint8arraylist').Uint8ArrayList, opts?: DecodeOptions<Res>): Res } }
  /** Limits on repeated fields of a response (protons `limits`). */
  responseLimits?: DecodeOptions<Res>['limits']
  maxDataLength: number
  /** Close a stream after this long without requests (ms). */
  idleTimeout: number
  /** Deadline for opening a stream (ms); owned by the session, not by the first caller. */
  openTimeout: number
  /** A session to `peer` closed after `idleTimeout` without requests (e.g. to close a connection no longer used). */
  onIdle?: (peer: PeerId) => void
}

/** Abandoned requests a session tolerates before it concludes the peer stopped answering. */
const MAX_ABANDONED = 16

export class SessionPool<Req extends Identified, Res extends Identified> {
  private readonly init: SessionPoolInit<Req, Res>
  private readonly sessions = new Map<string, Session<Req, Res>>()

  constructor (init: SessionPoolInit<Req, Res>) {
    this.init = init
  }

  async request (peer: PeerId, message: Omit<Req, 'id'>, signal: AbortSignal): Promise<Res> {
    const session = this.get(peer)
    try {
      return await session.request(message, signal)
    } catch (err) {
      if (!session.reused || signal.aborted || err instanceof TimeoutError) throw err
      return this.get(peer).request(message, signal)
    }
  }

  /** Whether a session to `peer` is open or opening. */
  has (peer: string): boolean {
    const session = this.sessions.get(peer)
    return session !== undefined && !session.closed
  }

  /** Closes the stream to one peer, if any. */
  close (peer: string): void {
    void this.sessions.get(peer)?.close()
  }

  /**
   * Does now what the idle timers would do later: closes every session with nothing pending and tells `onIdle`.
   * Resolves once they are closed and told (tests move time forward with it instead of waiting `idleTimeout`).
   */
  async expireIdle (): Promise<void> {
    await Promise.all([...this.sessions.values()].map(async session => session.expireIfIdle()))
  }

  /** Closes every stream; pending requests reject. */
  closeAll (): void {
    for (const session of [...this.sessions.values()]) void session.close()
  }

  private get (peer: PeerId): Session<Req, Res> {
    const key = peer.toString()
    let session = this.sessions.get(key)
    if (session === undefined || session.closed) {
      session = new Session(this.init, peer, s => { if (this.sessions.get(key) === s) this.sessions.delete(key) })
      this.sessions.set(key, session)
    }
    return session
  }
}

class Session<Req extends Identified, Res extends Identified> {
  private readonly init: SessionPoolInit<Req, Res>
  private readonly peer: PeerId
  private readonly onClose: (session: Session<Req, Res>) => void
  private stream?: Stream
  private pb?: ProtobufStream<Stream>
  private opening?: Promise<ProtobufStream<Stream>>
  private readonly pending: Array<Pending<Res>> = []
  private abandoned = 0
  private nextId = 1
  private idleTimer?: ReturnType<typeof setTimeout>
  /** True once an answer came back: a later failure may be a stream that died while idle. */
  reused = false
  closed = false

  constructor (init: SessionPoolInit<Req, Res>, peer: PeerId, onClose: (session: Session<Req, Res>) => void) {
    this.init = init
    this.peer = peer
    this.onClose = onClose
  }

  async request (message: Omit<Req, 'id'>, signal: AbortSignal): Promise<Res> {
    this.opening ??= this.open()
    const pb = this.pb ?? await raceSignal(this.opening, signal, this.peer)
    if (this.closed) throw new ProtocolError('session closed')
    const id = this.nextId
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1
    this.armIdle()
    const { promise, resolve, reject } = Promise.withResolvers<Res>()
    // Rejected by close() possibly before it is awaited: mark it handled so it never counts as unhandled.
    promise.catch(() => {})
    const entry: Pending<Res> = { id, resolve, reject, abandoned: false }
    this.pending.push(entry)
    const onAbort = (): void => {
      entry.abandoned = true
      this.abandoned++
      reject(new TimeoutError(`request to ${this.peer.toString()} did not complete in time`))
      if (this.abandoned > MAX_ABANDONED) void this.close(new TimeoutError(`${this.peer.toString()} stopped answering`))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      try {
        await pb.write({ ...message, id } as Req, this.init.codecs.request, { signal })
      } catch (err) {
        // A write cut short leaves the stream in an unknown state: nobody can use it any more.
        void this.close(err as Error)
        throw err
      }
      return await promise
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** Closes the session; resolves once its stream is closed (or aborted). */
  async close (err?: Error): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.idleTimer)
    // Built only for requests still waiting: a session that expires idle (the common close) has none.
    const waiting = this.pending.splice(0)
    if (waiting.length > 0) {
      const failure = err ?? new ProtocolError('session closed')
      for (const p of waiting) p.reject(failure)
    }
    const stream = this.stream
    this.stream = undefined
    this.pb = undefined
    this.onClose(this)
    if (stream === undefined) return
    if (err !== undefined) {
      stream.abort(err)
      return
    }
    await stream.close({ signal: AbortSignal.timeout(1000) }).catch(e => { stream.abort(e) })
  }

  private async open (): Promise<ProtobufStream<Stream>> {
    const limit = deadline(this.init.openTimeout)
    try {
      const stream = await this.init.node.dialProtocol(this.peer, this.init.protocol, { signal: limit.signal, negotiateFully: false })
      if (this.closed) {
        stream.abort(new ProtocolError('session closed'))
        throw new ProtocolError('session closed')
      }
      this.stream = stream
      this.pb = pbStream(stream, { maxDataLength: this.init.maxDataLength })
      void this.readLoop(stream, this.pb)
      return this.pb
    } catch (err) {
      void this.close(err as Error)
      throw err
    } finally {
      limit.clear()
    }
  }

  private async readLoop (stream: Stream, pb: ProtobufStream<Stream>): Promise<void> {
    try {
      while (this.stream === stream) {
        const response = await pb.read(this.init.codecs.response, this.init.responseLimits !== undefined ? { limits: this.init.responseLimits } : {})
        const head = this.pending.shift()
        if (head === undefined || head.id !== response.id) {
          const err = new ProtocolError(`answer ${response.id} does not match request ${head?.id ?? '(none)'}`)
          // Off the pending list already: close() below fails only those still on it.
          if (head !== undefined && !head.abandoned) head.reject(err)
          throw err
        }
        this.reused = true
        if (head.abandoned) this.abandoned--
        else head.resolve(response)
      }
    } catch (err) {
      if (this.stream === stream) void this.close(err as Error)
    }
  }

  private armIdle (): void {
    if (this.closed) return
    // The same timer, re-armed: a new one per request lived until the next request (seconds) and died in the
    // old generation.
    if (this.idleTimer !== undefined) {
      this.idleTimer.refresh()
      return
    }
    this.idleTimer = setTimeout(() => {
      if (this.pending.length === 0) {
        void this.expireIfIdle()
        return
      }
      // Fired: a new timer (rare: a request pending for a whole idleTimeout) rather than refresh() of a fired one.
      this.idleTimer = undefined
      this.armIdle()
    }, this.init.idleTimeout)
    this.idleTimer.unref()
  }

  async expireIfIdle (): Promise<void> {
    if (this.pending.length > 0 || this.closed) return
    clearTimeout(this.idleTimer)
    await this.close()
    this.init.onIdle?.(this.peer)
  }
}

/** Waits for `promise`, or rejects when `signal` fires first (the promise itself goes on). */
async function raceSignal<T> (promise: Promise<T>, signal: AbortSignal, peer: PeerId): Promise<T> {
  // Handled first: a caller whose signal already fired leaves a shared opening that may still reject.
  promise.catch(() => {})
  if (signal.aborted) throw new TimeoutError(`request to ${peer.toString()} did not complete in time`)
  const { promise: aborted, reject } = Promise.withResolvers<never>()
  const onAbort = (): void => { reject(new TimeoutError(`request to ${peer.toString()} did not complete in time`)) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
