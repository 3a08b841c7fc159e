/**
 * What a request/response exchange costs on the wire (coalescing-tcp.ts, yamux-window.ts): one socket write
 * per message each way, and yamux's flow control still intact, also against a stock libp2p peer.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Socket } from 'node:net'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { createNode } from '../src/node/create-node.js'
import type { Libp2p, Stream } from '@libp2p/interface'

const PROTOCOL = '/netget-test/echo/1.0.0'
const nodes: Libp2p[] = []
after(async () => { await Promise.all(nodes.map(async n => n.stop())) })

async function netgetNode (): Promise<Libp2p> {
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'wire-test', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
  await node.start()
  nodes.push(node)
  return node
}

async function stockNode (): Promise<Libp2p> {
  const node = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  nodes.push(node)
  return node
}

async function echo (node: Libp2p): Promise<void> {
  await node.handle(PROTOCOL, async stream => {
    for await (const chunk of stream) {
      if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
    }
    await stream.close()
  })
}

/** Writes `bytes` on the stream, reads as many back, and says whether they are the same. */
async function roundTrip (stream: Stream, bytes: Buffer): Promise<boolean> {
  const received: Uint8Array[] = []
  let length = 0
  const reading = (async () => {
    for await (const chunk of stream) {
      received.push(chunk.subarray())
      length += chunk.byteLength
      if (length >= bytes.byteLength) return
    }
  })()
  for (let i = 0; i < bytes.byteLength; i += 16_384) {
    if (!stream.send(bytes.subarray(i, i + 16_384))) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
  }
  await reading
  return Buffer.concat(received).equals(bytes)
}

/** Counts the socket writes (system calls) made while `fn` runs. */
async function countSocketWrites (fn: () => Promise<void>): Promise<number> {
  const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>
  const original = { _write: proto._write, _writev: proto._writev }
  let writes = 0
  proto._write = function (...args) { writes++; return original._write.apply(this, args) }
  proto._writev = function (...args) { writes++; return original._writev.apply(this, args) }
  try {
    await fn()
  } finally {
    Object.assign(proto, original)
  }
  return writes
}

describe('wire frames', () => {
  it('a small request and its answer on a kept stream cost one socket write each way', async () => {
    const [a, b] = await Promise.all([netgetNode(), netgetNode()])
    await echo(b)
    const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const message = randomBytes(100)
    for (let i = 0; i < 5; i++) assert.ok(await roundTrip(stream, message))
    const EXCHANGES = 100
    const writes = await countSocketWrites(async () => {
      for (let i = 0; i < EXCHANGES; i++) assert.ok(await roundTrip(stream, message))
    })
    // Stock libp2p makes 8: a data frame and a window update each way, each written as length and ciphertext.
    assert.ok(writes <= EXCHANGES * 2 + 4, `${writes} socket writes for ${EXCHANGES} exchanges`)
    await stream.close()
  })

  const pairs = [
    ['from a netget node to another', netgetNode, netgetNode],
    ['from a netget node to a stock libp2p node', netgetNode, stockNode],
    ['from a stock libp2p node to a netget node', stockNode, netgetNode]
  ] as const
  for (const [name, client, server] of pairs) {
    it(`moves 4 MiB each way through one stream ${name} (flow control intact)`, async () => {
      const [a, b] = await Promise.all([client(), server()])
      await echo(b)
      const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(5000) })
      const bytes = randomBytes(4 * 1024 * 1024)
      assert.ok(await roundTrip(stream, bytes), 'the bytes came back unchanged')
      await stream.close()
    })
  }
})
