/**
 * The serving side's reader of length-prefixed messages (src/node/frames.ts), on an in-memory stream pair: how
 * bytes arrive (split, joined, empty) does not matter; what breaks the limits fails at once; a message begun has
 * its own deadline.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { streamPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import * as varint from 'uint8-varint'
import { ProtocolError } from '../src/errors.js'
import { frameStream } from '../src/node/frames.js'
import { serveSession } from '../src/node/rpc.js'
import type { Codec } from '../src/node/rpc.js'

/** A codec of raw bytes, so that the framing alone is under test. */
const raw: Codec<Uint8Array> = {
  encode: bytes => bytes as Uint8Array,
  decode: bytes => bytes instanceof Uint8ArrayList ? bytes.subarray() : bytes
}

const framed = (...messages: Uint8Array[]): Uint8Array => new Uint8ArrayList(...messages.flatMap(m => [varint.encode(m.byteLength), m])).subarray()
const never = (): AbortSignal => new AbortController().signal

describe('frameStream', () => {
  // In-memory streams hold no socket: only the readers' own (unref'd) deadlines would be pending, which Node 22's
  // test runner takes for a test that can never end. A timer that holds the process while these run.
  let hold: ReturnType<typeof setInterval>
  before(() => { hold = setInterval(() => {}, 60_000) })
  after(() => { clearInterval(hold) })

  it('reads messages however the bytes are cut: two in one write, one byte at a time, an empty one', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024)
    const a = new Uint8Array([1, 2, 3])
    const b = new Uint8Array(300).fill(7)
    const all = framed(a, b, new Uint8Array(0), a)
    client.send(all.subarray(0, 5 + 300 - 100))
    const first = await frames.read(raw, never(), 1000)
    for (const byte of all.subarray(5 + 300 - 100)) client.send(new Uint8Array([byte]))
    const rest = [await frames.read(raw, never(), 1000), await frames.read(raw, never(), 1000), await frames.read(raw, never(), 1000)]
    assert.deepEqual([first, ...rest].map(m => [...m]), [[...a], [...b], [], [...a]])
    await client.close()
    await server.close()
  })

  it('refuses a prefix longer than the largest message needs as soon as it is, whatever it would decode to', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024) // 2 bytes of varint at most
    client.send(new Uint8Array([0xff, 0xff])) // a third byte would follow
    await assert.rejects(frames.read(raw, never(), 5000), (err: Error) => err instanceof ProtocolError && /longer than 2 bytes/.test(err.message))
  })

  it('refuses a length over the limit before reading the message', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024)
    client.send(varint.encode(1025))
    await assert.rejects(frames.read(raw, never(), 5000), (err: Error) => err instanceof ProtocolError && /1025 bytes, more than 1024/.test(err.message))
  })

  it('gives a message begun its own deadline, and the wait for a first byte the caller\'s signal', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024)
    // Nothing sent: the caller's signal ends the wait, and that is no protocol error.
    const idle = new AbortController()
    const waiting = frames.read(raw, idle.signal, 50)
    idle.abort(new Error('idle'))
    await assert.rejects(waiting, (err: Error) => !(err instanceof ProtocolError))
    // Half a message: the partial deadline (50 ms) ends it, though the caller's signal never fires.
    client.send(new Uint8Array([10, 1, 2]))
    const started = performance.now()
    await assert.rejects(frames.read(raw, never(), 50), (err: Error) => err instanceof ProtocolError && /not completed within 50 ms/.test(err.message))
    assert.ok(performance.now() - started < 1000)
  })

  it('lets a message begun as the idle deadline passes arrive whole, within its own deadline', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024)
    const idle = new AbortController()
    client.send(new Uint8Array([3, 1]))
    const reading = frames.read(raw, idle.signal, 5000)
    // The first byte is in: the session's idle deadline passing now must not cut the message.
    await new Promise(resolve => setImmediate(resolve))
    idle.abort(new Error('idle'))
    client.send(new Uint8Array([2, 3]))
    assert.deepEqual([...await reading], [1, 2, 3])
  })

  it('ends a message begun early only with its stop signal, and says a stream that ends inside a message broke the protocol', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024)
    const stop = new AbortController()
    client.send(new Uint8Array([3, 1]))
    const stopped = frames.read(raw, never(), 5000, stop.signal)
    await new Promise(resolve => setImmediate(resolve))
    stop.abort(new Error('stopping'))
    await assert.rejects(stopped, (err: Error) => !(err instanceof ProtocolError))

    const [client2, server2] = await streamPair()
    const cut = frameStream(server2, 1024)
    client2.send(new Uint8Array([3, 1]))
    await client2.close()
    await assert.rejects(cut.read(raw, never(), 5000), (err: Error) => err instanceof ProtocolError && /ended inside a message/.test(err.message))
    // Between messages, the end of the stream is no protocol error: it is how a session ends.
    const [client3, server3] = await streamPair()
    const between = frameStream(server3, 1024)
    await client3.close()
    await assert.rejects(between.read(raw, never(), 5000), (err: Error) => !(err instanceof ProtocolError) && err.name === 'UnexpectedEOFError')
  })

  it('a whole message that does not decode is a protocol error, also when the idle deadline passed while it came', async () => {
    const [client, server] = await streamPair()
    const frames = frameStream(server, 1024)
    const refusing: Codec<Uint8Array> = { encode: raw.encode, decode: () => { throw new Error('invalid wire type') } }
    const idle = new AbortController()
    client.send(new Uint8Array([2, 1]))
    const reading = frames.read(refusing, idle.signal, 5000)
    await new Promise(resolve => setImmediate(resolve))
    idle.abort(new Error('idle'))
    client.send(new Uint8Array([2]))
    await assert.rejects(reading, (err: Error) => err instanceof ProtocolError && /undecodable message: invalid wire type/.test(err.message))
  })

  it('writes what it reads: a message written is read back whole', async () => {
    const [client, server] = await streamPair()
    const writer = frameStream(client, 1024)
    const reader = frameStream(server, 1024)
    await writer.write(new Uint8Array([9, 8, 7]), raw, never())
    assert.deepEqual([...await reader.read(raw, never(), 1000)], [9, 8, 7])
  })
})

describe('serveSession', () => {
  let hold: ReturnType<typeof setInterval>
  before(() => { hold = setInterval(() => {}, 60_000) })
  after(() => { clearInterval(hold) })

  /** A request and its answer are their id, one byte. */
  const ids: Codec<{ id: number }> = {
    encode: message => new Uint8Array([message.id ?? 0]),
    decode: bytes => ({ id: (bytes instanceof Uint8ArrayList ? bytes.subarray() : bytes)[0] ?? -1 })
  }

  it('keeps serving a session whose idle deadline passed while a request was arriving', async () => {
    const [client, server] = await streamPair()
    const answers: number[] = []
    client.addEventListener('message', event => {
      const data = event.data instanceof Uint8ArrayList ? event.data.subarray() : event.data
      // Answers are 2 bytes: a length prefix (1) and the id.
      for (let i = 0; i + 1 < data.length; i += 2) answers.push(data[i + 1] ?? -1)
    })
    const serving = serveSession<{ id: number }, { id: number }>({ request: ids, response: ids }, 16, { timeout: 2000, idleTimeout: 40 }, async () => ({}), () => {})(server, {} as never)
    // The first byte of request 1, then the rest after the idle deadline (40 ms) passed: the request is whole in time.
    client.send(new Uint8Array([1]))
    await new Promise(resolve => setTimeout(resolve, 80))
    client.send(new Uint8Array([1]))
    await waitFor(() => answers.length === 1)
    // Request 2 well within the idle deadline: still answered.
    await new Promise(resolve => setTimeout(resolve, 10))
    client.send(framed(new Uint8Array([2])))
    await waitFor(() => answers.length === 2)
    assert.deepEqual(answers, [1, 2])
    await client.close()
    await serving
  })
})

async function waitFor (condition: () => boolean, timeout = 2000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
