/**
 * Hostile input through the real path: a raw libp2p peer of our own (no Netget around it) speaks the registry
 * protocol to a real registry on loopback and sends forged, stale, oversized, misbound and garbage messages.
 * For each, the registry must answer REJECTED with the exact code (or reset the stream, for what is not a
 * message), fire `record:rejected`, and keep serving exactly the honest records, to a raw DISCOVER and to a real
 * client. Then the registry limits (rate, per-peer quota, capacity), and a lying registry against a real client.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { byteStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_RECORD_BYTES, MAX_REGISTRY_MESSAGE_BYTES, SESSION_IDLE_TIMEOUT_MS } from '../../src/constants.js'
import { LimitErrorCodes, RecordErrorCodes } from '../../src/errors.js'
import { HealthService } from '../../src/health/health-service.js'
import { createNode } from '../../src/node/create-node.js'
import { request, serveSession } from '../../src/node/rpc.js'
import { openRecord, signRecord } from '../../src/records/service-record.js'
import { LOOPBACK, TestNetwork } from '../helpers/network.js'
import { encodeRecord, envelope, flipBit, flipChar, signFields, signRaw, split, tamper } from '../helpers/forge.js'
import type { Netget, ServiceInstance } from '../../src/index.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'
import type { RecordFields } from '../../src/records/service-record.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const NETWORK = 'development'
/** Written out, not derived: the wire name is part of the protocol. */
const PROTOCOL = '/netget/development/registry/1.0.0'
const NAME = 'DatabaseService'
/** Every exchange with a registry must end (answer or reset) well within this. */
const EXCHANGE_TIMEOUT_MS = 5000
const codecs = { request: RegistryRequest, response: RegistryResponse }

interface RawPeer {
  node: NetgetLibp2p
  key: PrivateKey
  peerId: string
  /** The registry it talks to. */
  registry: PeerId
}

const started: NetgetLibp2p[] = []

/**
 * A plain libp2p node of ours, not a Netget: it answers health probes (so the registry's prober does not hide
 * its honest record) and knows the registry's address; everything else it sends by hand. It also claims to be
 * a registry (it handles the registry protocol, as any peer of an open network may), so that its REPLICATE
 * requests reach the record rules instead of being refused as coming from a non-registry.
 */
async function rawPeer (registryAddr: string): Promise<RawPeer> {
  const key = await generateKeyPair('Ed25519')
  const node = await createNode({ privateKey: key, network: NETWORK, dhtServer: false, listen: LOOPBACK, bootstrapList: [], dialTimeout: EXCHANGE_TIMEOUT_MS })
  started.push(node)
  await new HealthService(node, { network: NETWORK, timeout: 2000, checks: {}, checkInterval: 5000, onError: () => {} }).start()
  await node.handle(PROTOCOL, stream => { stream.abort(new Error('not a real registry')) })
  await node.start()
  const ma = multiaddr(registryAddr)
  const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
  assert.ok(id !== undefined)
  const registry = peerIdFromString(id)
  await node.peerStore.merge(registry, { multiaddrs: [ma.decapsulateCode(421)] })
  return { node, key, peerId: node.peerId.toString(), registry }
}

let nextId = 1

/** One registry request over a new stream, as any peer could send it. */
async function send (raw: RawPeer, message: Partial<RegistryRequest>): Promise<RegistryResponse> {
  return request(raw.node, raw.registry, PROTOCOL,
    { type: RegistryRequest.Type.PUBLISH, record: new Uint8Array(0), name: '', id: nextId++, ...message },
    codecs, { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS), maxDataLength: MAX_REGISTRY_MESSAGE_BYTES })
}

async function publish (raw: RawPeer, record: Uint8Array, type = RegistryRequest.Type.PUBLISH): Promise<RegistryResponse> {
  return send(raw, { type, record: record as Uint8Array<ArrayBuffer> })
}

/**
 * Writes `bytes` as they are (no framing added) on a new registry stream and reads what comes back. With `end`,
 * closes the writing side and reads until the registry closes the stream; without, reads until one whole
 * response frame arrived. Resolves 'reset' when the registry aborts the stream, else the bytes it sent.
 * A timeout is a failure: the registry must not leave a hostile stream hanging.
 */
async function sendBytes (raw: RawPeer, bytes: Uint8Array, options: { end?: boolean } = {}): Promise<'reset' | Uint8Array> {
  const signal = AbortSignal.timeout(EXCHANGE_TIMEOUT_MS)
  const stream = await raw.node.dialProtocol(raw.registry, PROTOCOL, { signal })
  let received = new Uint8Array(0)
  try {
    const bs = byteStream(stream)
    await bs.write(bytes, { signal })
    if (options.end === true) await stream.close({ signal })
    while (options.end === true || !hasFrame(received)) {
      const chunk = await bs.read({ signal })
      if (chunk === null) break
      received = new Uint8Array(Buffer.concat([received, chunk.subarray()]))
    }
    return received
  } catch (err) {
    assert.ok(!signal.aborted, `the registry neither answered nor reset the stream within ${EXCHANGE_TIMEOUT_MS} ms`)
    if ((err as Error).name === 'StreamResetError' || stream.status === 'reset' || stream.status === 'aborted') return 'reset'
    throw err
  } finally {
    stream.abort(new Error('done'))
  }
}

function hasFrame (bytes: Uint8Array): boolean {
  try {
    const length = varint.decode(bytes, 0)
    return bytes.byteLength >= varint.encodingLength(length) + length
  } catch {
    return false
  }
}

/** Splits length-prefixed messages. */
function frames (bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.byteLength;) {
    const length = varint.decode(bytes, at)
    at += varint.encodingLength(length)
    out.push(bytes.subarray(at, at + length))
    at += length
  }
  return out
}

function fields (raw: RawPeer, overrides: Partial<RecordFields> = {}): RecordFields {
  const now = Date.now()
  return {
    network: NETWORK,
    name: NAME,
    addresses: raw.node.getMultiaddrs().map(ma => ma.toString()),
    metadata: { name: NAME, role: 'raw' },
    sequence: 10n,
    issuedAt: now,
    expiresAt: now + 10 * 60_000,
    ...overrides
  }
}

const summary = (records: Array<{ peerId: string, sequence: bigint }>): string[] => records.map(r => `${r.peerId}@${r.sequence}`).sort()

async function discoverRaw (raw: RawPeer, name: string): Promise<Uint8Array[]> {
  const response = await send(raw, { type: RegistryRequest.Type.DISCOVER, name })
  assert.equal(response.status, RegistryResponse.Status.OK, `DISCOVER refused: ${response.code} ${response.message}`)
  return response.records
}

async function stopRaw (): Promise<void> {
  await Promise.all(started.splice(0).map(async node => node.stop()))
}

describe('a registry fed hostile input by a raw libp2p peer', () => {
  const net = new TestNetwork()
  let registry: Netget
  let addrs: string[]
  let raw: RawPeer
  let client: Netget
  let honest: ServiceInstance
  /** The raw peer's own, valid record (sequence 10): the one that must stay served. */
  let good: Uint8Array
  let serviceRecord: Uint8Array
  const rejected: Array<{ code: string, from: string }> = []

  before(async () => {
    // Limits high enough that the many refusals below are about the records, not the publish rate.
    const registries = await net.registries(1, NETWORK, { publishRate: 1000, publishBurst: 1000 })
    registry = registries.nodes[0]
    addrs = registries.addrs
    registry.addEventListener('record:rejected', evt => { rejected.push({ code: evt.detail.code, from: evt.detail.from }) })
    const service = net.node({ metadata: { name: NAME }, registryNodes: addrs, recordTtl: 10 * 60_000 })
    honest = (await service.registerWithNetwork()).instance
    raw = await rawPeer(addrs[0])
    good = await signRecord(raw.key, fields(raw))
    const response = await publish(raw, good)
    assert.equal(response.status, RegistryResponse.Status.OK, `${response.code} ${response.message}`)
    client = net.node({ registryNodes: addrs })
    for (const bytes of await discoverRaw(raw, NAME)) {
      if ((await openRecord(bytes, { network: NETWORK, name: NAME })).peerId === honest.peerId) serviceRecord = bytes
    }
    assert.ok(serviceRecord !== undefined, 'the honest service\'s record is served')
  })

  after(async () => {
    await stopRaw()
    await net.stopAll()
  })

  /** The registry serves exactly the honest service's record and the raw peer's sequence-10 record, byte for byte. */
  async function servesOnlyGood (): Promise<void> {
    const served = await discoverRaw(raw, NAME)
    const opened = await Promise.all(served.map(async bytes => openRecord(bytes, { network: NETWORK, name: NAME })))
    const expected = [`${honest.peerId}@${honest.sequence}`, `${raw.peerId}@10`].sort()
    assert.deepEqual(summary(opened), expected, 'raw DISCOVER')
    assert.ok(served.some(bytes => Buffer.from(bytes).equals(Buffer.from(good))), 'the raw peer\'s record is served exactly as published')
    assert.deepEqual(summary(await client.discoverServiceNode(NAME)), expected, 'client discoverServiceNode')
  }

  /** Sends `record`, expects REJECTED with `code`, one `record:rejected` event with that code from the raw peer, and nothing new served. */
  async function refuses (record: Uint8Array, code: string, type = RegistryRequest.Type.PUBLISH): Promise<void> {
    const before = rejected.length
    const response = await publish(raw, record, type)
    assert.equal(response.status, RegistryResponse.Status.REJECTED, `accepted a record that should fail with ${code}`)
    assert.equal(response.code, code, response.message)
    assert.deepEqual(rejected.slice(before), [{ code, from: raw.peerId }], 'record:rejected fired once, with the code')
    await servesOnlyGood()
  }

  it('serves the honest service and the raw peer\'s valid record to begin with', async () => {
    await servesOnlyGood()
  })

  describe('forged records: one field of a valid record changed, not re-signed', () => {
    const cases: Array<{ field: string, code: string, forge: () => Uint8Array }> = [
      { field: 'network ("developmenu")', code: RecordErrorCodes.WRONG_NETWORK, forge: () => tamper(good, f => ({ ...f, network: flipChar(f.network, -1) })) },
      // Caught before the signature: metadata.name still says DatabaseService (rule 6).
      { field: 'name ("DatabaseServicd")', code: RecordErrorCodes.BAD_FIELD, forge: () => tamper(good, f => ({ ...f, name: flipChar(f.name, -1) })) },
      { field: 'name and metadata.name together', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, name: flipChar(f.name, -1), metadata: f.metadata.replace(`"name":"${f.name}"`, `"name":"${flipChar(f.name, -1)}"`) })) },
      { field: 'name, to one with a space', code: RecordErrorCodes.BAD_FIELD, forge: () => tamper(good, f => ({ ...f, name: `${f.name.slice(0, 4)}!${f.name.slice(5)}` })) },
      { field: 'addresses (one character of the first)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, addresses: [flipChar(f.addresses[0], 10), ...f.addresses.slice(1)] })) },
      { field: 'addresses (one added)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, addresses: [...f.addresses, '/ip4/6.6.6.6/tcp/666'] })) },
      { field: 'metadata (a character of a value)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, metadata: f.metadata.replace('raw', 'rav') })) },
      { field: 'metadata (its opening brace: not JSON)', code: RecordErrorCodes.BAD_FIELD, forge: () => tamper(good, f => ({ ...f, metadata: flipChar(f.metadata, 0) })) },
      { field: 'sequence (10 → 11)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, sequence: f.sequence ^ 1n })) },
      { field: 'sequence (10 → 2^63 + 10)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, sequence: f.sequence ^ (1n << 63n) })) },
      { field: 'issuedAt (bit 0)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, issuedAt: f.issuedAt ^ 1n })) },
      { field: 'expiresAt (bit 0)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, expiresAt: f.expiresAt ^ 1n })) },
      { field: 'expiresAt (bit 20: a longer lease)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, expiresAt: f.expiresAt ^ (1n << 20n) })) },
      { field: 'withdrawn (false → true: a forged tombstone)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => tamper(good, f => ({ ...f, withdrawn: true })) },
      { field: 'publicKey (last bit: another peer id)', code: RecordErrorCodes.WRONG_PUBLISHER, forge: () => tamper(good, f => ({ ...f, publicKey: flipBit(f.publicKey, f.publicKey.byteLength - 1) as Uint8Array<ArrayBuffer> })) },
      { field: 'signature (first bit)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => { const { record, signature } = split(good); return envelope(record, flipBit(signature, 0)) } },
      { field: 'signature (last bit)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => { const { record, signature } = split(good); return envelope(record, flipBit(signature, 63, 7)) } },
      { field: 'signature (cut to 63 bytes)', code: RecordErrorCodes.BAD_SIGNATURE, forge: () => { const { record, signature } = split(good); return envelope(record, signature.slice(0, 63)) } },
      { field: 'envelope tag (first byte)', code: RecordErrorCodes.MALFORMED, forge: () => flipBit(good, 0, 3) }
    ]
    for (const { field, code, forge } of cases) {
      it(`${field} → ${code}`, async () => { await refuses(forge(), code) })
    }

    it('a record carrying the raw peer\'s key, signed by another key → BAD_SIGNATURE', async () => {
      const other = await generateKeyPair('Ed25519')
      await refuses(await signRaw(other, split(good).record, NETWORK), RecordErrorCodes.BAD_SIGNATURE)
    })

    it('the honest service\'s record, forged (sequence raised) and sent as REPLICATE → BAD_SIGNATURE', async () => {
      await refuses(tamper(serviceRecord, f => ({ ...f, sequence: f.sequence + 1n })), RecordErrorCodes.BAD_SIGNATURE, RegistryRequest.Type.REPLICATE)
    })

    it('the honest service\'s record, forged into a tombstone and sent as REPLICATE → BAD_SIGNATURE', async () => {
      await refuses(tamper(serviceRecord, f => ({ ...f, withdrawn: true, sequence: f.sequence + 1n })), RecordErrorCodes.BAD_SIGNATURE, RegistryRequest.Type.REPLICATE)
    })
  })

  describe('valid signatures, wrong claims', () => {
    it('expired (issued 2 h ago, expired 1 h ago) → EXPIRED', async () => {
      const now = Date.now()
      await refuses(await signRecord(raw.key, fields(raw, { sequence: 11n, issuedAt: now - 2 * 3_600_000, expiresAt: now - 3_600_000 })), RecordErrorCodes.EXPIRED)
    })

    it('future-dated (issued in 10 min) → FUTURE', async () => {
      const now = Date.now()
      await refuses(await signRecord(raw.key, fields(raw, { sequence: 11n, issuedAt: now + 600_000, expiresAt: now + 1_200_000 })), RecordErrorCodes.FUTURE)
    })

    it('a lease over one hour → LIFETIME', async () => {
      const now = Date.now()
      await refuses(await signRecord(raw.key, fields(raw, { sequence: 11n, issuedAt: now, expiresAt: now + 3_600_001 })), RecordErrorCodes.LIFETIME)
    })

    it('replay: sequence 9 after 10 → STALE, and sequence 10 is still the one served', async () => {
      await refuses(await signRecord(raw.key, fields(raw, { sequence: 9n })), RecordErrorCodes.STALE)
      // The same through REPLICATE, and with a longer lease (selection is by sequence first).
      await refuses(await signRecord(raw.key, fields(raw, { sequence: 9n, expiresAt: Date.now() + 3_600_000 })), RecordErrorCodes.STALE, RegistryRequest.Type.REPLICATE)
      // An old tombstone cannot take the instance out either.
      await refuses(await signRecord(raw.key, fields(raw, { sequence: 9n, withdrawn: true })), RecordErrorCodes.STALE)
    })

    it('the exact same record again is accepted and changes nothing', async () => {
      const before = rejected.length
      const response = await publish(raw, good)
      assert.equal(response.status, RegistryResponse.Status.OK)
      assert.equal(rejected.length, before)
      await servesOnlyGood()
    })

    it('signed for "production", published to the development registry → WRONG_NETWORK', async () => {
      await refuses(await signRecord(raw.key, fields(raw, { network: 'production', sequence: 11n })), RecordErrorCodes.WRONG_NETWORK)
    })

    it('a valid record signed by another key, PUBLISHed by the raw peer → WRONG_PUBLISHER', async () => {
      const other = await generateKeyPair('Ed25519')
      await refuses(await signRecord(other, fields(raw, { sequence: 11n })), RecordErrorCodes.WRONG_PUBLISHER)
    })

    it('the honest service\'s own record, PUBLISHed by the raw peer → WRONG_PUBLISHER', async () => {
      await refuses(serviceRecord, RecordErrorCodes.WRONG_PUBLISHER)
    })

    it('records signRecord refuses to build: bad name, 33 addresses, metadata not an object → BAD_FIELD / MALFORMED', async () => {
      const now = Date.now()
      const base = { network: NETWORK, name: NAME, addresses: [], metadata: '{}', sequence: 11n, issuedAt: now, expiresAt: now + 60_000 }
      await refuses(await signFields(raw.key, { ...base, name: 'bad name!' }), RecordErrorCodes.BAD_FIELD)
      await refuses(await signFields(raw.key, { ...base, addresses: Array.from({ length: 33 }, (_, i) => `http://127.0.0.1:${8000 + i}`) }), RecordErrorCodes.MALFORMED)
      await refuses(await signFields(raw.key, { ...base, metadata: '[1,2]' }), RecordErrorCodes.BAD_FIELD)
      await refuses(await signRaw(raw.key, encodeRecord(new Uint8Array([1, 2, 3]), base), NETWORK), RecordErrorCodes.BAD_FIELD)
    })
  })

  describe('oversized and malformed messages', () => {
    it('a signed record of ~10.3 KB (over 10 KiB, under the message cap, every other rule kept) → TOO_LARGE', async () => {
      const now = Date.now()
      const record = await signFields(raw.key, {
        network: NETWORK, name: NAME, sequence: 11n, issuedAt: now, expiresAt: now + 60_000,
        addresses: Array.from({ length: 8 }, (_, i) => `http://127.0.0.1:${9000 + i}/`.padEnd(256, 'a')),
        metadata: JSON.stringify({ name: NAME, pad: 'p'.repeat(8100) })
      })
      assert.ok(record.byteLength > MAX_RECORD_BYTES && record.byteLength < MAX_RECORD_BYTES + 1000, `record is ${record.byteLength} bytes`)
      await refuses(record, RecordErrorCodes.TOO_LARGE)
    })

    it('a request over the registry\'s message cap (64 KiB of record bytes): the stream is reset, the registry keeps serving', async () => {
      const before = rejected.length
      await assert.rejects(publish(raw, randomBytes(64 * 1024)), (err: Error) => {
        assert.notEqual(err.name, 'TimeoutError', 'the registry must reset the stream, not let it hang')
        return true
      })
      assert.equal(rejected.length, before, 'nothing was read, so no record was rejected')
      await servesOnlyGood()
    })

    it('random garbage (a length prefix of ~4 GiB, then noise): the stream is reset, the registry keeps serving', async () => {
      const garbage = new Uint8Array(randomBytes(1024))
      garbage.set([0xff, 0xff, 0xff, 0xff, 0x0f])
      assert.equal(await sendBytes(raw, garbage), 'reset')
      await servesOnlyGood()
    })

    it('a well-framed message that is not a RegistryRequest: the stream is reset, the registry keeps serving', async () => {
      assert.equal(await sendBytes(raw, new Uint8Array([16, ...new Array(16).fill(0xff)])), 'reset')
      await servesOnlyGood()
    })

    it('64 random requests, framed or not, ended or not: each is answered, closed or reset in time, nothing is stored', async t => {
      const records = registry.getStats().records
      const outcomes = { reset: 0, closed: 0, answered: 0 }
      for (let i = 0; i < 64; i++) {
        const body = new Uint8Array(randomBytes(1 + Math.floor(Math.random() * 2048)))
        // Half framed with their true length (so the registry decodes them), half raw. Only complete frames are
        // left open (an incomplete one would rightly wait for the rest); the others end the writing side.
        const framed = i % 2 === 0
        const message = framed ? new Uint8Array([...varint.encode(body.byteLength), ...body]) : body
        const reply = await sendBytes(raw, message, { end: !framed || i % 4 === 0 })
        if (reply === 'reset') {
          outcomes.reset++
          continue
        }
        if (reply.byteLength === 0) {
          outcomes.closed++
          continue
        }
        outcomes.answered++
        for (const frame of frames(reply)) {
          const response = RegistryResponse.decode(frame)
          // A random message may decode as a DISCOVER: it can only ever get the honest records.
          for (const bytes of response.records) {
            assert.ok(Buffer.from(bytes).equals(Buffer.from(good)) || Buffer.from(bytes).equals(Buffer.from(serviceRecord)))
          }
        }
      }
      assert.equal(registry.getStats().records, records)
      assert.equal(outcomes.reset + outcomes.closed + outcomes.answered, 64)
      t.diagnostic(`random requests: ${outcomes.reset} reset, ${outcomes.closed} closed without an answer, ${outcomes.answered} answered`)
      await servesOnlyGood()
    })

    it('control for the above: a well-formed DISCOVER sent the same way, ended or not, is answered', async () => {
      const discover = RegistryRequest.encode({ type: RegistryRequest.Type.DISCOVER, name: NAME, record: new Uint8Array(0), id: 9 })
      for (const end of [true, false]) {
        const reply = await sendBytes(raw, new Uint8Array([...varint.encode(discover.byteLength), ...discover]), { end })
        assert.ok(reply instanceof Uint8Array && reply.byteLength > 0, `no answer (end: ${end})`)
        const [response] = frames(reply).map(frame => RegistryResponse.decode(frame))
        assert.equal(response.status, RegistryResponse.Status.OK)
        assert.equal(response.id, 9)
        assert.equal(response.records.length, 2)
      }
    })

    it('an unknown request type (7): the message does not decode, the stream is reset (protocols/registry.md)', async () => {
      // Field 1 (type) = 7, field 4 (id) = 1, framed with its length.
      assert.equal(await sendBytes(raw, new Uint8Array([4, 0x08, 0x07, 0x20, 0x01])), 'reset')
      await servesOnlyGood()
    })

    it('a DISCOVER for a name that is not a valid name returns nothing', async () => {
      assert.deepEqual(await discoverRaw(raw, 'bad name!'), [])
      assert.deepEqual(await discoverRaw(raw, 'x'.repeat(5000)), [])
    })
  })

  it('counts every refusal in getStats().rejected, by code, as the events said', () => {
    const byCode: Record<string, number> = {}
    for (const { code } of rejected) byCode[code] = (byCode[code] ?? 0) + 1
    assert.deepEqual(registry.getStats().rejected, byCode)
    assert.equal(registry.getStats().records, 2)
    assert.ok(rejected.length >= 30, `${rejected.length} refusals`)
  })
})

describe('registry limits against one raw peer', () => {
  const net = new TestNetwork()
  after(async () => {
    await stopRaw()
    await net.stopAll()
  })

  async function setup (options: Parameters<TestNetwork['registries']>[2]): Promise<{ registry: Netget, raw: RawPeer, limited: Array<{ code: string, from: string }> }> {
    const { nodes, addrs } = await net.registries(1, NETWORK, options)
    const limited: Array<{ code: string, from: string }> = []
    nodes[0].addEventListener('record:limited', evt => { limited.push({ code: evt.detail.code, from: evt.detail.from }) })
    const raw = await rawPeer(addrs[0])
    await raw.node.dial(raw.registry, { signal: AbortSignal.timeout(EXCHANGE_TIMEOUT_MS) })
    return { registry: nodes[0], raw, limited }
  }

  it('publishRate 1, publishBurst 2: the third quick PUBLISH is refused with NETGET_ERR_RATE_LIMITED', async () => {
    const { registry, raw, limited } = await setup({ publishRate: 1, publishBurst: 2 })
    const records = await Promise.all(['A', 'B', 'C'].map(async name => signRecord(raw.key, fields(raw, { name, metadata: { name } }))))
    // Sent together: whichever arrives third finds the bucket empty (a token takes 1 s to come back).
    const responses = await Promise.all(records.map(async record => publish(raw, record)))
    const refused = responses.filter(r => r.status === RegistryResponse.Status.REJECTED)
    assert.equal(responses.filter(r => r.status === RegistryResponse.Status.OK).length, 2)
    assert.deepEqual(refused.map(r => r.code), [LimitErrorCodes.RATE])
    assert.equal(registry.getStats().rateLimited, 1)
    assert.equal(registry.getStats().records, 2)
    assert.deepEqual(limited, [{ code: LimitErrorCodes.RATE, from: raw.peerId }])
    // DISCOVER is not rate limited.
    for (const name of ['A', 'B', 'C']) await discoverRaw(raw, name)
  })

  it('maxRecordsPerPeer 2: a third name from one publisher is refused with NETGET_ERR_QUOTA_EXCEEDED', async () => {
    const { registry, raw, limited } = await setup({ maxRecordsPerPeer: 2 })
    const statuses: string[] = []
    for (const name of ['A', 'B', 'C']) {
      const response = await publish(raw, await signRecord(raw.key, fields(raw, { name, metadata: { name } })))
      statuses.push(response.status === RegistryResponse.Status.OK ? 'OK' : response.code)
    }
    assert.deepEqual(statuses, ['OK', 'OK', LimitErrorCodes.QUOTA])
    assert.equal(registry.getStats().quotaExceeded, 1)
    assert.deepEqual(limited, [{ code: LimitErrorCodes.QUOTA, from: raw.peerId }])
    assert.deepEqual(await discoverRaw(raw, 'C'), [])
    // Replacing a record it holds is not a new one.
    const renewed = await publish(raw, await signRecord(raw.key, fields(raw, { name: 'A', metadata: { name: 'A' }, sequence: 11n })))
    assert.equal(renewed.status, RegistryResponse.Status.OK, renewed.message)
    assert.equal(registry.getStats().records, 2)
  })

  it('maxRecords 3: holds at most 3 records, evicting the longest lease held, and counts evictions', async () => {
    const { registry, raw } = await setup({ maxRecords: 3 })
    const now = Date.now()
    const names = ['A', 'B', 'C', 'D', 'E']
    for (const [i, name] of names.entries()) {
      // A expires first, E last.
      const response = await publish(raw, await signRecord(raw.key, fields(raw, { name, metadata: { name }, issuedAt: now, expiresAt: now + (i + 1) * 60_000 })))
      assert.equal(response.status, RegistryResponse.Status.OK, response.message)
      assert.ok(registry.getStats().records <= 3)
    }
    assert.equal(registry.getStats().records, 3)
    assert.equal(registry.getStats().evicted, 2)
    const held = await Promise.all(names.map(async name => (await discoverRaw(raw, name)).length))
    // D evicts C (the longest lease held then), E evicts D: the short leases A and B stay.
    assert.deepEqual(held, [1, 1, 0, 0, 1])
  })
})

describe('a lying registry against a real client', () => {
  const net = new TestNetwork()
  after(async () => {
    await stopRaw()
    await net.stopAll()
  })

  it('returns only valid records, and never a lower sequence than it has seen (rule 7)', async () => {
    // A raw node that serves the registry protocol and answers DISCOVER with whatever `answer` holds.
    const key = await generateKeyPair('Ed25519')
    const liar = await createNode({ privateKey: key, network: NETWORK, dhtServer: true, listen: LOOPBACK, bootstrapList: [], dialTimeout: EXCHANGE_TIMEOUT_MS })
    started.push(liar)
    let answer: Uint8Array[] = []
    await liar.handle(PROTOCOL, serveSession(codecs, MAX_REGISTRY_MESSAGE_BYTES, { timeout: EXCHANGE_TIMEOUT_MS, idleTimeout: SESSION_IDLE_TIMEOUT_MS },
      async () => ({ status: RegistryResponse.Status.OK, code: '', message: '', records: answer as Array<Uint8Array<ArrayBuffer>> , closer: [], health: [], gone: [], snapshot: false, settling: false }), () => {}))
    await liar.start()
    const liarAddr = liar.getMultiaddrs()[0].toString()

    const publisher = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const now = Date.now()
    const record = async (sequence: bigint, overrides: Partial<RecordFields> = {}, by = publisher): Promise<Uint8Array> => signRecord(by, {
      network: NETWORK, name: NAME, addresses: ['http://127.0.0.1:1'], metadata: { name: NAME }, sequence, issuedAt: now, expiresAt: now + 10 * 60_000, ...overrides
    })
    const v10 = await record(10n)
    const client = net.node({ registryNodes: [liarAddr] })
    const publisherId = (await openRecord(v10, { network: NETWORK })).peerId

    answer = [
      tamper(v10, f => ({ ...f, sequence: 99n })), // forged: higher sequence, old signature
      await record(98n, { issuedAt: now - 2 * 3_600_000, expiresAt: now - 3_600_000 }), // expired
      await record(97n, { network: 'production' }), // another network
      await record(96n, { name: 'CacheService', metadata: { name: 'CacheService' } }), // another name
      await record(95n, { issuedAt: now + 600_000, expiresAt: now + 1_200_000 }), // future
      new Uint8Array(randomBytes(200)), // garbage
      v10,
      await record(1n, {}, other)
    ]
    const first = await client.discoverServiceNode(NAME)
    const otherId = (await openRecord(answer[7], { network: NETWORK })).peerId
    assert.deepEqual(summary(first), [`${publisherId}@10`, `${otherId}@1`].sort())

    // The registry now answers with an older (valid) record: the client keeps the newer one it saw.
    answer = [await record(9n)]
    assert.deepEqual(summary(await client.discoverServiceNode(NAME)), [`${publisherId}@10`])
    // A newer one is taken.
    answer = [await record(11n)]
    assert.deepEqual(summary(await client.discoverServiceNode(NAME)), [`${publisherId}@11`])
    answer = [v10]
    assert.deepEqual(summary(await client.discoverServiceNode(NAME)), [`${publisherId}@11`])
    // A tombstone hides the instance; the older live record replayed afterwards does not bring it back.
    answer = [await record(12n, { withdrawn: true })]
    assert.deepEqual(await client.discoverServiceNode(NAME), [])
    answer = [await record(11n)]
    assert.deepEqual(await client.discoverServiceNode(NAME), [])
  })
})
