/**
 * One request, one response, one stream: the shape of the registry and health protocols.
 * Every read is length-capped and every exchange has a deadline; the stream is always closed or aborted.
 */
import { pbStream } from '@libp2p/utils'
import { ProtocolError, TimeoutError } from '../errors.js'
import { RearmableDeadline, deadline } from '../util/deadline.js'
import { frameStream } from './frames.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { NetgetLibp2p } from './create-node.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface Codec<T> {
  encode(message: Partial<T>): Uint8Array
  decode(bytes: Uint8Array | import('uint8arraylist').Uint8ArrayList): T
}

/** What a request stream (one-shot here, pipelined in session.ts) is opened with. */
export type RequestComponents = Pick<NetgetLibp2p, 'dialProtocol'>

export interface RequestOptions {
  signal: AbortSignal
  maxDataLength: number
  /** Deadline for the stream's graceful close after the response was read (ms). @default 1000 */
  closeTimeout?: number
}

/** Sends `request` to `peer` over a new stream and returns the decoded response. */
export async function request<Req, Res> (
  node: RequestComponents,
  peer: PeerId | Multiaddr | Connection,
  protocol: string,
  message: Req,
  codecs: { request: Codec<Req>, response: Codec<Res> },
  options: RequestOptions
): Promise<Res> {
  let stream: Stream | undefined
  try {
    // negotiateFully: false sends the protocol id together with the request: one round trip, not two.
    stream = isConnection(peer)
      ? await peer.newStream(protocol, { signal: options.signal, negotiateFully: false })
      : await node.dialProtocol(peer, protocol, { signal: options.signal, negotiateFully: false })
    const pb = pbStream(stream, { maxDataLength: options.maxDataLength })
    await pb.write(message, codecs.request, { signal: options.signal })
    const response = await pb.read(codecs.response, { signal: options.signal })
    // The answer is in: closing needs no wait (it would add the remote's half of a round trip).
    const closing = stream
    closing.close({ signal: AbortSignal.timeout(options.closeTimeout ?? 1000) }).catch(err => { closing.abort(err) })
    return response
  } catch (err) {
    stream?.abort(err as Error)
    if (options.signal.aborted) {
      throw new TimeoutError(`${protocol} request to ${isConnection(peer) ? peer.remotePeer.toString() : peer.toString()} did not complete in time`, { cause: err })
    }
    throw err
  }
}

export type RequestHandler<Req, Res> = (request: Req, connection: Connection, signal: AbortSignal) => Promise<Res>

/**
 * Wraps a request handler as a libp2p stream handler: reads one capped request within `timeout` ms,
 * answers, closes. A malformed request aborts the stream (the caller sees a reset), never the process.
 */
export function serve<Req, Res> (
  codecs: { request: Codec<Req>, response: Codec<Res> },
  maxDataLength: number,
  timeout: number,
  handler: RequestHandler<Req, Res>,
  onError: (err: Error) => void
): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const limit = deadline(timeout)
    const signal = limit.signal
    try {
      const frames = frameStream(stream, maxDataLength)
      let req: Req
      try {
        req = await frames.read(codecs.request, signal, timeout, signal)
      } catch (err) {
        throw err instanceof ProtocolError ? err : new ProtocolError(`unreadable request: ${(err as Error).message}`, { cause: err })
      }
      const res = await handler(req, connection, signal)
      await frames.write(res, codecs.response, signal)
      await stream.close({ signal })
    } catch (err) {
      const remoteGone = stream.status !== 'open' || REMOTE_GONE.has((err as Error).name)
      stream.abort(err as Error)
      if (!remoteGone) onError(err as Error)
    } finally {
      limit.clear()
    }
  }
}

/**
 * Serves a pipelined request stream (see session.ts): reads requests one after another, answers each in
 * order, and ends when the remote closes its side or stays silent for `idleTimeout` ms. Each request has
 * `timeout` ms to be handled.
 */
export function serveSession<Req extends { id: number }, Res extends { id: number }> (
  codecs: { request: Codec<Req>, response: Codec<Res> },
  maxDataLength: number,
  limits: { timeout: number, idleTimeout: number },
  handler: RequestHandler<Req, Omit<Res, 'id'>>,
  onError: (err: Error) => void
): (stream: Stream, connection: Connection) => Promise<void> {
  return async (stream, connection) => {
    const frames = frameStream(stream, maxDataLength)
    // One idle deadline for the session's life, armed at each wait: the wait between a prober's probes lasts
    // seconds, and a deadline per wait lived long enough to die in the old generation (RearmableDeadline).
    let idle = new RearmableDeadline(limits.idleTimeout)
    try {
      while (true) {
        let req: Req
        idle.arm()
        try {
          // Idle up to idleTimeout between requests; a request begun has `timeout` to arrive whole.
          req = await frames.read(codecs.request, idle.signal, limits.timeout)
        } catch (err) {
          if (err instanceof ProtocolError) throw err
          // The client closing its side between requests, or going quiet, is how a session ends normally.
          // A complete request that does not decode is a protocol error, half-closed or not.
          const ended = idle.signal.aborted || (err as Error).name === 'UnexpectedEOFError' || stream.status !== 'open'
          if (ended) break
          throw new ProtocolError(`unreadable request: ${(err as Error).message}`, { cause: err })
        } finally {
          idle.disarm()
        }
        // It expired while a message begun in time was still arriving (the message has its own deadline): its
        // signal stays aborted, so the next wait gets a new one rather than ending a session in use.
        if (idle.signal.aborted) {
          idle.clear()
          idle = new RearmableDeadline(limits.idleTimeout)
        }
        // Clearable: a timer per request that outlived it would pile up on a busy registry.
        const limit = deadline(limits.timeout)
        try {
          const res = await handler(req, connection, limit.signal)
          await frames.write({ ...res, id: req.id } as Res, codecs.response, limit.signal)
        } finally {
          limit.clear()
        }
      }
      await stream.close({ signal: AbortSignal.timeout(limits.timeout) })
    } catch (err) {
      // A remote that reset or left mid-answer (a lookup that ended, a node stopping) is no error of ours.
      const remoteGone = stream.status !== 'open' || REMOTE_GONE.has((err as Error).name)
      stream.abort(err as Error)
      if (!remoteGone) onError(err as Error)
    } finally {
      idle.clear()
      frames.done()
    }
  }
}

/** Errors of a write or read on a stream the remote already reset or closed. */
const REMOTE_GONE = new Set(['StreamStateError', 'StreamResetError', 'StreamAbortedError', 'StreamClosedError'])

function isConnection (target: PeerId | Multiaddr | Connection): target is Connection {
  return typeof (target as Connection).newStream === 'function'
}
