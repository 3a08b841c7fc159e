/**
 * The pipelined request sessions of src/node/session.ts: requests to one peer share one stream and each caller gets
 * its own answer; answers match requests by order, so one out of order breaks the session; a stream that died after
 * serving is retried once; a caller whose deadline passes gets TimeoutError without disturbing the others, but more
 * than 16 unanswered requests end the session; an idle session closes and says so; a failed dial leaves nothing
 * behind; closeAll() fails what is pending. dialProtocol hands out one end of an in-memory stream pair, the other is
 * read with the repo's frameStream and answered as each test decides; time moves with node:test's mock timers.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolError, TimeoutError } from '../src/errors.js'
import { frameStream } from '../src/node/frames.js'
import { SessionPool } from '../src/node/session.js'
import { deadline } from '../src/util/deadline.js'
import type { TestContext } from 'node:test'
import type { PeerId, Stream } from '@libp2p/interface'
import type { Codec, RequestComponents } from '../src/node/rpc.js'
import type { SessionPoolInit } from '../src/node/session.js'

/** A request asks `q`; the answer carries `a` under the request's id. */
interface Req { id: number, q: string }
interface Res { id: number, a: string }

const json = <T>(): Codec<T> => ({
  encode: message => new TextEncoder().encode(JSON.stringify(message)),
  decode: bytes => JSON.parse(new TextDecoder().decode(bytes instanceof Uint8ArrayList ? bytes.subarray() : bytes)) as T
})
const IDLE = 45_000
const OPEN = 2000
/** Abandoned requests a session tolerates (MAX_ABANDONED in session.ts). */
const MAX_ABANDONED = 16

/** The far end of one dialled stream: what it read, a way to answer, and how it ended (closed or reset), once it did. */
interface Server { stream: Stream, requests: Req[], answer: (id: number, a?: string) => Promise<void>, ended?: string }

const never = (): AbortSignal => new AbortController().signal

/** Lets in-memory streams and the pool's promises run until `done()` holds, failing after a bounded number of turns. */
async function until (done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise(resolve => setImmediate(resolve))
  assert.ok(done(), `timed out waiting until ${what}`)
}

/** Moves the mock clock, then lets what the timers started run a turn. */
const tick = async (t: TestContext, ms: number): Promise<void> => { t.mock.timers.tick(ms); await until(() => true, 'a turn') }

function serve (stream: Stream, auto: boolean): Server {
  const frames = frameStream(stream, 1024)
  const server: Server = {
    stream,
    requests: [],
    answer: async (id, a) => frames.write<Res>({ id, a: a ?? `answer ${id}` }, json<Res>(), never())
  }
  void (async () => {
    try {
      for (;;) {
        const request = await frames.read(json<Req>(), never(), 5000)
        server.requests.push(request)
        if (auto) await server.answer(request.id, request.q.toUpperCase())
      }
    } catch (err) {
      server.ended = (err as Error).name
    }
  })()
  return server
}

/** `auto`: the server answers each request as it reads it. `dial`: replaces the stream pair (a failing dial). */
function harness (t: TestContext, init: { auto?: boolean, dial?: (signal: AbortSignal) => Promise<Stream> } & Partial<SessionPoolInit<Req, Res>> = {}) {
  const servers: Server[] = [] // one per successful dial, in order
  let dials = 0
  const idle: string[] = []
  const node = {
    dialProtocol: async (_peer: PeerId, _protocol: string, options: { signal: AbortSignal }) => {
      dials++
      if (init.dial !== undefined) return init.dial(options.signal)
      const [client, server] = await streamPair()
      servers.push(serve(server, init.auto ?? true))
      return client
    }
  } as unknown as RequestComponents
  const pool = new SessionPool<Req, Res>({
    node, protocol: '/netget/development/test/1.0.0', codecs: { request: json<Req>(), response: json<Res>() }, maxDataLength: 1024,
    idleTimeout: IDLE, openTimeout: OPEN, onIdle: peer => { idle.push(peer.toString()) }, ...init
  })
  t.after(() => { pool.closeAll() })
  return { pool, servers, dials: () => dials, idle }
}

describe('SessionPool', { timeout: 10_000 }, () => {
  let alice: PeerId
  let bob: PeerId
  // In-memory streams hold no socket: a timer that keeps the process up while a test waits on them (frames.test.ts).
  let hold: ReturnType<typeof setInterval>
  before(async () => {
    hold = setInterval(() => {}, 60_000)
    alice = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    bob = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  })
  after(() => { clearInterval(hold) })

  it('sends concurrent requests to one peer on one stream, in order, each caller getting its own answer', async t => {
    const h = harness(t)
    const answers = await Promise.all(['a', 'b', 'c'].map(async q => h.pool.request(alice, { q }, never())))
    assert.deepEqual(answers.map(r => r.a), ['A', 'B', 'C'])
    assert.equal((await h.pool.request(alice, { q: 'd' }, never())).a, 'D')
    assert.equal(h.dials(), 1, 'one stream for every request to the peer')
    assert.deepEqual(h.servers[0].requests.map(r => [r.id, r.q]), [[1, 'a'], [2, 'b'], [3, 'c'], [4, 'd']])
    await h.pool.request(bob, { q: 'e' }, never())
    assert.equal(h.dials(), 2, 'another peer has its own stream')
  })

  it('drops a session whose answer comes out of order: what is pending fails with ProtocolError, the next request opens a new stream', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const h = harness(t, { auto: false })
    h.pool.request(alice, { q: 'a' }, deadline(5000).signal).catch(() => {}) // its fate: the next test
    const second = assert.rejects(h.pool.request(alice, { q: 'b' }, never()), (err: Error) => err instanceof ProtocolError && err.message === 'answer 2 does not match request 1')
    await until(() => h.servers[0]?.requests.length === 2, 'the server read both requests')
    await h.servers[0].answer(2)
    await second
    assert.equal(h.pool.has(alice.toString()), false)
    await until(() => h.servers[0].ended !== undefined, 'the broken stream was reset')
    const third = h.pool.request(alice, { q: 'c' }, never())
    await until(() => h.servers[1]?.requests.length === 1, 'a new stream carried the next request')
    await h.servers[1].answer(1, 'fresh')
    assert.equal((await third).a, 'fresh')
  })

  it('fails at once, with ProtocolError, the request whose answer came out of order (not only at its own deadline)', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const h = harness(t, { auto: false })
    let outcome: unknown
    h.pool.request(alice, { q: 'a' }, deadline(5000).signal).then(res => { outcome = res }, (err: unknown) => { outcome = err })
    const second = h.pool.request(alice, { q: 'b' }, never()).catch(() => {})
    await until(() => h.servers[0]?.requests.length === 2, 'the server read both requests')
    await h.servers[0].answer(2)
    await second
    await until(() => outcome !== undefined, 'the request answered out of order settled, before its deadline')
    assert.ok(outcome instanceof ProtocolError, `rejected with ${String(outcome)}`)
  })

  it('retries once on a new stream a request whose stream died after serving answers (it may have died idle)', async t => {
    const h = harness(t, { auto: false })
    const first = h.pool.request(alice, { q: 'a' }, never())
    await until(() => h.servers[0]?.requests.length === 1, 'the server read the first request')
    await h.servers[0].answer(1)
    await first
    const retried = h.pool.request(alice, { q: 'b' }, never())
    await until(() => h.servers[0].requests.length === 2, 'the server read the second request')
    h.servers[0].stream.abort(new Error('gone'))
    await until(() => h.servers[1]?.requests.length === 1, 'the request was sent again on a new stream')
    assert.equal(h.servers[1].requests[0].q, 'b')
    await h.servers[1].answer(1, 'second try')
    assert.equal((await retried).a, 'second try')
  })

  it('fails an unanswered request with TimeoutError at its deadline, drops its late answer and goes on on the same stream', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const h = harness(t, { auto: false })
    let failed = false
    const slow = assert.rejects(h.pool.request(alice, { q: 'slow' }, deadline(500).signal), (err: Error) => err instanceof TimeoutError && /did not complete in time/.test(err.message))
    void slow.then(() => { failed = true })
    const next = h.pool.request(alice, { q: 'next' }, never())
    await until(() => h.servers[0]?.requests.length === 2, 'the server read both requests')
    await tick(t, 499)
    assert.equal(failed, false, 'not before its deadline')
    t.mock.timers.tick(1)
    await slow
    await h.servers[0].answer(1, 'late')
    await h.servers[0].answer(2, 'on time')
    assert.equal((await next).a, 'on time', 'the late answer went to nobody')
    // Requests whose late answers came are no longer outstanding: any number of them leaves the session up.
    for (let id = 3; id < 3 + MAX_ABANDONED; id++) {
      const late = assert.rejects(h.pool.request(alice, { q: 'slow' }, deadline(500).signal), TimeoutError)
      await until(() => h.servers[0].requests.length === id, 'the server read the request')
      await tick(t, 500)
      await late
      await h.servers[0].answer(id, 'late')
    }
    const last = h.pool.request(alice, { q: 'last' }, never())
    await until(() => h.servers[0].requests.length === 3 + MAX_ABANDONED, 'the server read the last request')
    await h.servers[0].answer(3 + MAX_ABANDONED, 'still here')
    assert.equal((await last).a, 'still here')
    assert.deepEqual([h.dials(), h.pool.has(alice.toString())], [1, true])
  })

  it(`drops the session of a peer that leaves more than ${MAX_ABANDONED} requests unanswered: the next request opens a new stream`, async t => {
    const h = harness(t, { auto: false })
    const callers = Array.from({ length: MAX_ABANDONED + 1 }, () => new AbortController())
    const abandoned = callers.map(async (c, i) => assert.rejects(h.pool.request(alice, { q: `${i}` }, c.signal), TimeoutError))
    const waiting = assert.rejects(h.pool.request(alice, { q: 'patient' }, never()), (err: Error) => err instanceof TimeoutError && /stopped answering/.test(err.message))
    await until(() => h.servers[0]?.requests.length === MAX_ABANDONED + 2, 'the server read every request')
    for (const c of callers.slice(0, -1)) c.abort()
    assert.equal(h.pool.has(alice.toString()), true, `${MAX_ABANDONED} abandoned requests are tolerated`)
    callers.at(-1)!.abort()
    await Promise.all([waiting, ...abandoned])
    assert.equal(h.pool.has(alice.toString()), false)
    const again = h.pool.request(alice, { q: 'again' }, never())
    await until(() => h.servers[1]?.requests.length === 1, 'a new stream carried the next request')
    await h.servers[1].answer(1)
    assert.equal((await again).a, 'answer 1')
  })

  it('closes a session idle for idleTimeout, tells onIdle, and opens a new stream for the next request', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const h = harness(t)
    await h.pool.request(alice, { q: 'a' }, never())
    await tick(t, IDLE - 1)
    assert.deepEqual([h.pool.has(alice.toString()), h.idle], [true, []])
    t.mock.timers.tick(1)
    await until(() => h.idle.length === 1, 'onIdle was called')
    assert.deepEqual([h.pool.has(alice.toString()), h.idle], [false, [alice.toString()]])
    await until(() => h.servers[0].ended !== undefined, 'the idle stream was closed')
    assert.equal((await h.pool.request(alice, { q: 'b' }, never())).a, 'B')
    assert.equal(h.dials(), 2)
  })

  it('keeps a session with a request pending open past idleTimeout', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const h = harness(t, { auto: false })
    const pending = h.pool.request(alice, { q: 'a' }, never())
    await until(() => h.servers[0]?.requests.length === 1, 'the server read the request')
    await tick(t, 2 * IDLE)
    assert.deepEqual([h.pool.has(alice.toString()), h.idle], [true, []])
    await h.servers[0].answer(1)
    await pending
    t.mock.timers.tick(IDLE)
    await until(() => h.idle.length === 1, 'onIdle was called once the request was answered')
  })

  it('rejects at once when the dial fails, leaves no session behind, and dials again for the next request', async t => {
    const h = harness(t, { dial: async () => { throw new Error('connection refused') } })
    await assert.rejects(h.pool.request(alice, { q: 'a' }, never()), /connection refused/)
    assert.equal(h.pool.has(alice.toString()), false)
    await assert.rejects(h.pool.request(alice, { q: 'b' }, never()), /connection refused/)
    assert.equal(h.dials(), 2, 'a failed dial is not cached')
  })

  it('gives up a dial that hangs after openTimeout, leaving no session behind', async t => {
    t.mock.timers.enable({ apis: ['setTimeout'] })
    const h = harness(t, { dial: async signal => new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }) }) })
    const request = assert.rejects(h.pool.request(alice, { q: 'a' }, never()), (err: Error) => err.name === 'TimeoutError')
    await until(() => h.dials() === 1, 'the dial began')
    await tick(t, OPEN - 1)
    assert.equal(h.pool.has(alice.toString()), true, 'still opening')
    t.mock.timers.tick(1)
    await request
    assert.equal(h.pool.has(alice.toString()), false)
  })

  it('closeAll fails every pending request with ProtocolError and closes every stream', async t => {
    const h = harness(t, { auto: false })
    const pending = [alice, bob].map(async peer => assert.rejects(h.pool.request(peer, { q: 'a' }, never()), (err: Error) => err instanceof ProtocolError && err.message === 'session closed'))
    await until(() => h.servers.length === 2 && h.servers.every(s => s.requests.length === 1), 'both servers read their request')
    h.pool.closeAll()
    await Promise.all(pending)
    assert.deepEqual([h.pool.has(alice.toString()), h.pool.has(bob.toString()), h.idle], [false, false, []])
    await until(() => h.servers.every(s => s.ended !== undefined), 'both streams were closed')
  })
})
