/**
 * `@libp2p/tcp` with one socket write per send instead of one per chunk.
 *
 * Noise hands the transport each frame as two chunks (its 2-byte length and the ciphertext), and the TCP
 * connection writes every chunk with its own `socket.write`: two system calls and, with TCP_NODELAY, two
 * loopback segments per frame, so the receiver wakes twice. Corking the socket around a send makes Node write
 * all its chunks in one `writev`. Upstream proposal: docs/upstream.md, item 4. If libp2p's connection object
 * changes shape (no `socket` or `sendData`), connections are left as they are.
 */
import { Socket } from 'node:net'
import { tcp } from '@libp2p/tcp'
import type { TCPComponents, TCPOptions } from '@libp2p/tcp'
import type { MultiaddrConnection, Transport, Upgrader } from '@libp2p/interface'

type SendData = (data: { bufs?: unknown[] }) => unknown

export function coalescingTcp (init: TCPOptions = {}): (components: TCPComponents) => Transport {
  const create = tcp(init)
  return components => {
    const transport = create(components)
    const dial = transport.dial.bind(transport)
    const createListener = transport.createListener.bind(transport)
    transport.dial = async (ma, options) => dial(ma, { ...options, upgrader: coalescing(options.upgrader) })
    transport.createListener = options => createListener({ ...options, upgrader: coalescing(options.upgrader) })
    return transport
  }
}

function coalescing (upgrader: Upgrader): Upgrader {
  return {
    upgradeInbound: (async (maConn: MultiaddrConnection, opts: never) => upgrader.upgradeInbound(corked(maConn), opts)) as Upgrader['upgradeInbound'],
    upgradeOutbound: (async (maConn: MultiaddrConnection, opts: never) => upgrader.upgradeOutbound(corked(maConn), opts)) as Upgrader['upgradeOutbound'],
    createInboundAbortSignal: signal => upgrader.createInboundAbortSignal(signal),
    getStreamMuxers: () => upgrader.getStreamMuxers(),
    getConnectionEncrypters: () => upgrader.getConnectionEncrypters()
  }
}

/** Exported for tests. */
export function corked (maConn: MultiaddrConnection): MultiaddrConnection {
  const target = maConn as unknown as { socket?: unknown, sendData?: SendData }
  const socket = target.socket
  const sendData = target.sendData
  if (!(socket instanceof Socket) || typeof sendData !== 'function') return maConn
  target.sendData = function (this: unknown, data) {
    if (data.bufs === undefined || data.bufs.length <= 1) return sendData.call(this, data)
    socket.cork()
    try {
      return sendData.call(this, data)
    } finally {
      socket.uncork()
    }
  }
  return maConn
}
