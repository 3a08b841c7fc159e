/**
 * The serving side of the registry protocol (src/registry/registry-server.ts; protocols/registry.md "Requests"),
 * in process: its handler is taken from a fake `handle` component and fed requests on in-memory streams, from
 * whichever peer id the test claims, with a real RecordStore and RegistryTable behind it. What a client meets:
 * PUBLISH stored and served back by DISCOVER, each refusal with the spec's code and nothing held changed, the
 * publisher bound to the sender, REPLICATE from verified registries only, closer-registry hints, relays, rate
 * limits, and leases ending on the registry's clock. No network: the integration tests (adversarial.test.ts)
 * cover the same rules end to end.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { InstanceHealth as WireHealth, RegistryRequest, RegistryResponse } from '../protocols/registry.js'
import { MAX_HINTS, MAX_REGISTRY_MESSAGE_BYTES, MAX_RELAY, registryProtocol } from '../src/constants.js'
import { LimitErrorCodes, RecordErrorCodes } from '../src/errors.js'
import { frameStream } from '../src/node/frames.js'
import { signRecord } from '../src/records/service-record.js'
import { RecordStore } from '../src/registry/record-store.js'
import { RegistryServer } from '../src/registry/registry-server.js'
import { compareDistance, peerPosition, servicePosition } from '../src/routing/position.js'
import { RegistryTable } from '../src/routing/registry-table.js'
import { RateLimiter } from '../src/security/rate-limiter.js'
import { tamper } from './helpers/forge.js'
import type { Connection, PeerId, PrivateKey, StreamHandler } from '@libp2p/interface'
import type { TestContext } from 'node:test'
import type { RecordFields } from '../src/records/service-record.js'
import type { RegistryServerComponents, RegistryServerInit } from '../src/registry/registry-server.js'

const NETWORK = 'development'
const NAME = 'Orders'

interface Peer { key: PrivateKey, id: PeerId }

async function newPeer (): Promise<Peer> {
  const key = await generateKeyPair('Ed25519')
  return { key, id: peerIdFromPrivateKey(key) }
}

async function signed (peer: Peer, fields: Partial<RecordFields> = {}): Promise<Uint8Array> {
  const now = Date.now()
  return signRecord(peer.key, { network: NETWORK, name: NAME, addresses: ['/ip4/10.0.0.1/tcp/4001'], metadata: { name: NAME }, sequence: 10n, issuedAt: now, expiresAt: now + 60_000, ...fields })
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const hintIds = (res: RegistryResponse): string[] => res.closer.map(p => hex(p.id))
const ids = (peers: string[]): string[] => peers.map(id => hex(peerIdFromString(id).toMultihash().bytes))
const limiter = (): RateLimiter => new RateLimiter({ rate: 1000, burst: 1000 })

/** A started RegistryServer, what it told its callbacks, and `ask()`: requests from a peer on one session. */
async function registry (t: TestContext, init: Partial<RegistryServerInit> = {}) {
  let handler: StreamHandler | undefined
  const handled: string[] = []
  const components: RegistryServerComponents = {
    handle: async (protocol, h) => { handled.push(String(protocol)); handler = h },
    unhandle: async () => {}
  }
  const self = await newPeer()
  const store = new RecordStore()
  const table = new RegistryTable(self.id.toString(), 64)
  const down = new Set<string>()
  const stored: string[] = []
  const rejected: Array<{ code: string, from: string }> = []
  const limited: Array<{ code: string, from: string }> = []
  const relayed: Array<{ sequence: bigint, k: number }> = []
  const errors: Error[] = []
  const server = new RegistryServer(components, {
    network: NETWORK,
    store,
    table,
    requestTimeout: 3000,
    sweepInterval: 5000,
    isDown: peerId => down.has(peerId),
    publishLimiter: limiter(),
    replicateLimiter: limiter(),
    discoverLimiter: limiter(),
    onLimited: (err, from) => { limited.push({ code: err.code, from }) },
    onStored: (record, from) => { stored.push(`${record.peerId}@${record.sequence} from ${from}`) },
    onRejected: (err, from) => { rejected.push({ code: err.code, from }) },
    onRelay: (record, k) => { relayed.push({ sequence: record.sequence, k }) },
    onError: err => { errors.push(err) },
    ...init
  })
  await server.start()
  t.after(async () => { await server.stop() })
  assert.deepEqual(handled, [registryProtocol(NETWORK)])

  /** Sends `requests` from `from`, one after the other on one stream, and returns the answers (ids checked). */
  async function ask (from: PeerId, ...requests: Array<Partial<RegistryRequest>>): Promise<RegistryResponse[]> {
    const [client, remote] = await streamPair()
    const serving = handler!(remote, { remotePeer: from } as unknown as Connection)
    const frames = frameStream(client, MAX_REGISTRY_MESSAGE_BYTES)
    const signal = AbortSignal.timeout(5000)
    const answers: RegistryResponse[] = []
    for (const [i, request] of requests.entries()) {
      await frames.write({ type: RegistryRequest.Type.DISCOVER, ...request, id: i + 1 }, RegistryRequest, signal)
      const answer = await frames.read(RegistryResponse, signal, 5000)
      assert.equal(answer.id, i + 1)
      answers.push(answer)
    }
    await client.close({ signal })
    await serving
    assert.deepEqual(errors, [], 'the session ended without an error')
    return answers
  }
  const publish = async (from: Peer, record: Uint8Array, extra: Partial<RegistryRequest> = {}): Promise<RegistryResponse> =>
    (await ask(from.id, { type: RegistryRequest.Type.PUBLISH, record: record as Uint8Array<ArrayBuffer>, ...extra }))[0]
  const discover = async (from: PeerId, name = NAME, closer = 0): Promise<RegistryResponse> =>
    (await ask(from, { type: RegistryRequest.Type.DISCOVER, name, closer }))[0]
  return { server, store, table, down, stored, rejected, limited, relayed, ask, publish, discover }
}

const { OK, REJECTED } = RegistryResponse.Status

describe('RegistryServer', () => {
  it('stores a valid signed PUBLISH and answers OK; a DISCOVER from anyone then returns it byte for byte, with its health', async t => {
    const service = await newPeer()
    const client = await newPeer()
    const r = await registry(t, { healthOf: peerId => peerId === service.id.toString() ? { status: 'passing', lastSeen: Date.now(), checks: [] } : undefined })
    const record = await signed(service)
    const answer = await r.publish(service, record)
    assert.deepEqual([answer.status, answer.code, answer.records], [OK, '', []])
    assert.deepEqual(r.stored, [`${service.id}@10 from ${service.id}`])
    const found = await r.discover(client.id)
    assert.equal(found.status, OK)
    assert.deepEqual(found.records.map(hex), [hex(record)])
    assert.deepEqual(found.health.map(h => h.status), [WireHealth.Status.PASSING])
    assert.equal(found.settling, false)
  })

  it('refuses a record for another network, a forged signature, an expired one and a stale sequence with the spec\'s code, and keeps what it holds', async t => {
    const service = await newPeer()
    const r = await registry(t)
    const good = await signed(service)
    assert.equal((await r.publish(service, good)).status, OK)
    const now = Date.now()
    const cases: Array<[string, Uint8Array]> = [
      [RecordErrorCodes.WRONG_NETWORK, await signed(service, { network: 'production', sequence: 11n })],
      [RecordErrorCodes.BAD_SIGNATURE, tamper(good, f => ({ ...f, sequence: 11n }))],
      [RecordErrorCodes.EXPIRED, await signed(service, { sequence: 11n, issuedAt: now - 2 * 3_600_000, expiresAt: now - 3_600_000 })],
      [RecordErrorCodes.STALE, await signed(service, { sequence: 9n, expiresAt: now + 3_600_000 })],
      [RecordErrorCodes.STALE, await signed(service, { sequence: 9n, withdrawn: true })]
    ]
    for (const [code, record] of cases) {
      const answer = await r.publish(service, record)
      assert.deepEqual([answer.status, answer.code], [REJECTED, code], answer.message)
      assert.deepEqual(r.rejected.splice(0), [{ code, from: service.id.toString() }], `${code}: told once, with the sender`)
      assert.deepEqual((await r.discover(service.id)).records.map(hex), [hex(good)], `${code}: the held record is still the one served`)
    }
    // The same record again: OK, and nothing happens.
    assert.equal((await r.publish(service, good, { relay: 20 })).status, OK)
    assert.equal(r.stored.length, 1)
    assert.deepEqual(r.relayed, [])
    assert.equal(r.store.size, 1)
  })

  it('binds a PUBLISH to its sender, and takes a third party\'s record by REPLICATE only from a verified registry, charging its rate only then', async t => {
    const service = await newPeer()
    const other = await newPeer()
    const r = await registry(t, { replicateLimiter: new RateLimiter({ rate: 0.001, burst: 1 }) })
    const record = await signed(service)
    const replicate = { type: RegistryRequest.Type.REPLICATE, record: record as Uint8Array<ArrayBuffer> }
    assert.equal((await r.publish(other, record)).code, RecordErrorCodes.WRONG_PUBLISHER)
    // Not a registry of its table: refused before the rate limit is charged (so a later one still has its token).
    for (const answer of await r.ask(other.id, replicate, replicate)) assert.deepEqual([answer.status, answer.code], [REJECTED, 'NETGET_ERR_PROTOCOL'])
    assert.equal(r.store.size, 0)
    r.table.add(other.id.toString(), [multiaddr('/ip4/10.0.0.2/tcp/4001')], { verified: true })
    const [accepted, again] = await r.ask(other.id, replicate, replicate)
    assert.equal(accepted.status, OK, accepted.message)
    assert.deepEqual([again.status, again.code], [REJECTED, LimitErrorCodes.RATE], 'the first REPLICATE charged by then took the only token')
    assert.deepEqual(r.stored, [`${service.id}@10 from ${other.id}`])
    assert.deepEqual((await r.discover(other.id)).records.map(hex), [hex(record)])
  })

  it('answers a DISCOVER of a name nobody registered, or of a name that is not valid, with OK and nothing', async t => {
    const r = await registry(t)
    const service = await newPeer()
    await r.publish(service, await signed(service))
    for (const name of ['Unknown', 'orders', '', 'not a name!', 'x'.repeat(300)]) {
      const answer = await r.discover(service.id, name)
      assert.deepEqual([answer.status, answer.code, answer.records, answer.health], [OK, '', [], []], JSON.stringify(name))
    }
  })

  it('leaves out the records of instances found down, but still serves their withdrawals', async t => {
    const [a, b] = [await newPeer(), await newPeer()]
    const r = await registry(t)
    const live = await signed(b)
    await r.publish(a, await signed(a))
    await r.publish(b, live)
    r.down.add(a.id.toString())
    assert.deepEqual((await r.discover(b.id)).records.map(hex), [hex(live)])
    const withdrawal = await signed(a, { sequence: 11n, withdrawn: true, metadata: {} })
    assert.equal((await r.publish(a, withdrawal)).status, OK)
    assert.deepEqual((await r.discover(b.id)).records.map(hex).sort(), [hex(withdrawal), hex(live)].sort())
  })

  it('names the closest verified registries it knows, nearest first: as many as asked (20 at most), never the asker, unverified ones or ones without addresses', async t => {
    const r = await registry(t)
    const asker = await newPeer()
    const verified = await Promise.all(Array.from({ length: 30 }, async () => (await newPeer()).id.toString()))
    for (const id of verified) r.table.add(id, [multiaddr('/ip4/10.0.0.3/tcp/4001')], { verified: true })
    const hidden = await Promise.all(Array.from({ length: 10 }, async () => (await newPeer()).id.toString()))
    for (const [i, id] of hidden.entries()) r.table.add(id, i % 2 === 0 ? [multiaddr('/ip4/10.0.0.4/tcp/4001')] : [], { verified: i % 2 !== 0 })
    r.table.add(asker.id.toString(), [multiaddr('/ip4/10.0.0.5/tcp/4001')], { verified: true })
    const nearest = (target: Uint8Array, n: number, among = verified): string[] => ids([...among].sort((x, y) => compareDistance(target, peerPosition(x), peerPosition(y))).slice(0, n))
    const name = servicePosition(NETWORK, NAME)
    assert.deepEqual(hintIds(await r.discover(asker.id, NAME, 5)), nearest(name, 5))
    assert.deepEqual(hintIds(await r.discover(asker.id, NAME, 0)), [], 'none unasked from a registry not known to be outside the closest set')
    assert.deepEqual(hintIds(await r.discover(asker.id, NAME, 100)), nearest(name, MAX_HINTS))
    const service = await newPeer()
    const published = await r.publish(service, await signed(service, { name: 'Billing', metadata: {} }), { closer: 3 })
    // Sent by the service, so the asker of the DISCOVERs may be named this time.
    assert.deepEqual(hintIds(published), nearest(servicePosition(NETWORK, 'Billing'), 3, [...verified, asker.id.toString()]), 'PUBLISH: around the record\'s service key')
    // FIND at the asker's own position and at the hidden entries': each would be the nearest if it were listed.
    const keys = [asker.id.toString(), hidden[0], hidden[1]].map(id => peerPosition(id) as Uint8Array<ArrayBuffer>)
    const answers = await r.ask(asker.id, ...keys.map(key => ({ type: RegistryRequest.Type.FIND, key, closer: 4 })),
      { type: RegistryRequest.Type.FIND, key: keys[0].slice(1), closer: 4 })
    for (const [i, key] of keys.entries()) assert.deepEqual([answers[i].status, answers[i].records, hintIds(answers[i])], [OK, [], nearest(key, 4)])
    assert.deepEqual([answers[3].status, answers[3].code, answers[3].closer], [REJECTED, 'NETGET_ERR_PROTOCOL', []], 'FIND needs a 32-byte key')
  })

  it('names unaskedHints closer registries on a DISCOVER with closer = 0 only when outside the name\'s closest set, and says settling only in DISCOVER answers', async t => {
    let outside = true
    const r = await registry(t, { outsideClosestSet: () => outside, unaskedHints: 4, settling: () => true })
    for (let i = 0; i < 8; i++) r.table.add((await newPeer()).id.toString(), [multiaddr('/ip4/10.0.0.6/tcp/4001')], { verified: true })
    const client = await newPeer()
    const far = await r.discover(client.id)
    assert.deepEqual([far.closer.length, far.settling], [4, true])
    outside = false
    assert.equal((await r.discover(client.id)).closer.length, 0)
    const service = await newPeer()
    assert.equal((await r.publish(service, await signed(service))).settling, false)
  })

  it('relays only a PUBLISH stored as new, with relay taken as at most 64; never a replay, a refusal or a REPLICATE', async t => {
    const service = await newPeer()
    const r = await registry(t)
    r.table.add(service.id.toString(), [multiaddr('/ip4/10.0.0.7/tcp/4001')], { verified: true })
    const first = await signed(service)
    await r.publish(service, first, { relay: 20 })
    await r.publish(service, first, { relay: 20 })
    await r.publish(service, await signed(service, { sequence: 5n }), { relay: 20 })
    await r.publish(service, await signed(service, { sequence: 11n }), { relay: 1000 })
    await r.publish(service, await signed(service, { sequence: 12n }))
    await r.ask(service.id, { type: RegistryRequest.Type.REPLICATE, record: await signed(service, { sequence: 13n }) as Uint8Array<ArrayBuffer>, relay: 20 })
    assert.deepEqual(r.relayed, [{ sequence: 10n, k: 20 }, { sequence: 11n, k: MAX_RELAY }])
    assert.equal(r.stored.length, 4, 'sequences 10, 11, 12 and 13 were stored')
  })

  it('refuses PUBLISH past its sender\'s burst with NETGET_ERR_RATE_LIMITED, storing nothing, and charges a registry\'s REPLICATE of its own record to that bucket', async t => {
    const [a, b] = [await newPeer(), await newPeer()]
    const r = await registry(t, { publishLimiter: new RateLimiter({ rate: 0.001, burst: 2 }) })
    r.table.add(a.id.toString(), [multiaddr('/ip4/10.0.0.8/tcp/4001')], { verified: true })
    assert.equal((await r.publish(a, await signed(a))).status, OK)
    const [viaReplicate, third] = await r.ask(a.id,
      { type: RegistryRequest.Type.REPLICATE, record: await signed(a, { sequence: 11n }) as Uint8Array<ArrayBuffer> },
      { type: RegistryRequest.Type.PUBLISH, record: await signed(a, { sequence: 12n }) as Uint8Array<ArrayBuffer> })
    assert.equal(viaReplicate.status, OK)
    assert.deepEqual([third.status, third.code], [REJECTED, LimitErrorCodes.RATE])
    assert.deepEqual(r.limited, [{ code: LimitErrorCodes.RATE, from: a.id.toString() }])
    assert.deepEqual(r.store.get(NAME).map(x => x.sequence), [11n], 'the refused record was not stored')
    assert.equal((await r.publish(b, await signed(b))).status, OK, 'another sender has its own bucket')
  })

  it('stops serving a record 30 s after its lease ends on the registry\'s clock, and its sweep drops it', async t => {
    const start = Date.now()
    t.mock.timers.enable({ apis: ['setInterval', 'Date'], now: start })
    const service = await newPeer()
    const r = await registry(t)
    await r.publish(service, await signed(service, { issuedAt: start, expiresAt: start + 10_000 }))
    t.mock.timers.tick(10_000 + 29_000)
    assert.equal((await r.discover(service.id)).records.length, 1, 'within the 30 s of clock skew allowed')
    assert.equal(r.store.size, 1)
    t.mock.timers.tick(1000)
    assert.equal((await r.discover(service.id)).records.length, 0)
    t.mock.timers.tick(5000)
    assert.equal(r.store.size, 0, 'swept')
  })
})
