/**
 * `@chainsafe/libp2p-yamux` that sends a window update when half the receive window is used, as go-yamux and
 * hashicorp/yamux do, instead of after every data frame.
 *
 * yamux 8 answers each data frame with a window-update frame whenever any of the window was used, so a small
 * request and its answer cost four frames (each encrypted by Noise and written to the socket) instead of two.
 * Probes, renewals and discoveries are all such exchanges on kept streams. The sender still has at least half
 * the window (128 KiB by default) when an update is skipped, so it never waits for one that is owed.
 * Upstream proposal: docs/upstream.md, item 3. If yamux's internals change shape, streams are left as they are.
 */
import { yamux } from '@chainsafe/libp2p-yamux'
import type { YamuxMuxerInit } from '@chainsafe/libp2p-yamux'
import { StreamState } from '@chainsafe/libp2p-yamux/stream'
import type { StreamMuxerFactory } from '@libp2p/interface'

type Fn = (this: unknown, ...args: unknown[]) => unknown

export function halfWindowYamux (init: YamuxMuxerInit = {}): () => StreamMuxerFactory {
  const create = yamux(init)
  return () => {
    const factory = create()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = maConn => {
      const muxer = createStreamMuxer(maConn)
      const target = muxer as unknown as { _newStream?: Fn }
      const newStream = target._newStream
      if (typeof newStream !== 'function') return muxer
      target._newStream = function (...args) { return halfWindow(newStream.apply(this, args)) }
      return muxer
    }
    return factory
  }
}

/** Exported for tests. */
export function halfWindow<T> (stream: T): T {
  const s = stream as { state?: unknown, recvWindow?: unknown, recvWindowCapacity?: unknown, sendWindowUpdate?: Fn }
  const send = s.sendWindowUpdate
  if (typeof send !== 'function' || typeof s.recvWindow !== 'number' || typeof s.recvWindowCapacity !== 'number') return stream
  s.sendWindowUpdate = function () {
    // Other states need the original: it sends the SYN/ACK flags, and holds updates back while paused.
    if (s.state === StreamState.Established && (s.recvWindowCapacity as number) * 2 >= (s.recvWindow as number)) return
    return send.call(this)
  }
  return stream
}
