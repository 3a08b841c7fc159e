/**
 * Property tests for every decoder of bytes that come from the network: round trips, and random or mutated
 * byte strings that must only ever produce typed errors (never a crash, a hang or a non-Error throw).
 * FUZZ_RUNS scales the run (npm run fuzz uses ≥ 10^6 in all). The default (5000) puts 10 000 random or mutated
 * byte strings through openRecord on every `npm test`; each property prints its run count as a test diagnostic.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import fc from 'fast-check'
import { AdmissionResponse } from '../../protocols/admission.js'
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import { InstanceHealth as WireHealth, RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_CHECKS, MAX_CHECK_OUTPUT_BYTES, healthFromWire, healthToWire, isCheckName } from '../../src/health/model.js'
import { REGISTRY_RESPONSE_LIMITS } from '../../src/registry/registry-server.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_HINTS } from '../../src/constants.js'
import { decodeHints } from '../../src/routing/hints.js'

const HINT_PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
import { AdmissionError, KeyFileError, RecordValidationError } from '../../src/errors.js'
import { decodeKeyFile } from '../../src/node/identity.js'
import { issueCertificate, verifyCertificate } from '../../src/security/admission.js'
import { openRecord, signRecord } from '../../src/records/service-record.js'
import type { PrivateKey } from '@libp2p/interface'

export const RUNS = Number(process.env.FUZZ_RUNS ?? 5000)

const wireCheck = fc.record({ name: fc.string({ maxLength: 32 }), failing: fc.boolean(), output: fc.string({ maxLength: 96 }), ageMs: fc.nat({ max: 0xffffffff }) }).map(c => ({ ...c }))
const wireLoad = fc.record({ cpuPermille: fc.nat({ max: 0xffffffff }), eventLoopDelayUs: fc.nat({ max: 0xffffffff }), rssMib: fc.nat({ max: 0xffffffff }) }).map(l => ({ ...l }))
const wireHealth = fc.record({
  status: fc.constantFrom(WireHealth.Status.UNKNOWN, WireHealth.Status.PASSING, WireHealth.Status.SUSPECT, WireHealth.Status.FAILING),
  lastSeenMsAgo: fc.nat({ max: 0xffffffff }),
  checks: fc.array(wireCheck, { maxLength: 4 }),
  load: fc.option(wireLoad, { nil: undefined })
}).map(h => { const { load, ...rest } = h; return load === undefined ? rest : { ...rest, load } })

const name = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/)
const jsonValue = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null))
// Without a `name` key: a record's metadata.name must be its name (rule 6), which the round trip sets itself.
const metadata = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter(k => k !== 'name'), jsonValue, { maxKeys: 8 })

/** Random bytes, or a valid encoding with a few bytes flipped, cut short or extended. */
function mutated (valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 2048 }),
    fc.tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }))
      .map(([flips]) => {
        const out = new Uint8Array(valid)
        for (const [at, xor] of flips) out[at % out.length] ^= xor
        return out
      }),
    fc.nat({ max: valid.length - 1 }).map(n => valid.slice(0, n)),
    fc.uint8Array({ minLength: 1, maxLength: 16 }).map(extra => new Uint8Array([...valid, ...extra]))
  )
}

function decodesOrThrowsError (decode: () => unknown): void {
  try {
    decode()
  } catch (err) {
    assert.ok(err instanceof Error, `threw a non-Error: ${String(err)}`)
  }
}

describe('decoders under random and mutated input', () => {
  let key: PrivateKey
  let valid: Uint8Array

  before(async () => {
    key = await generateKeyPair('Ed25519')
    const now = Date.now()
    valid = await signRecord(key, {
      network: 'development', name: 'DatabaseService', addresses: ['/ip4/127.0.0.1/tcp/1/p2p/x'],
      metadata: { name: 'DatabaseService', v: 1 }, sequence: 1n, issuedAt: now, expiresAt: now + 60_000
    })
  })

  it('round-trips any valid record through sign and open', async t => {
    let runs = 0
    await fc.assert(fc.asyncProperty(name, metadata, fc.array(fc.webUrl(), { maxLength: 4 }), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.boolean(),
      async (serviceName, meta, addresses, sequence, withdrawn) => {
        runs++
        const now = Date.now()
        const bytes = await signRecord(key, { network: 'development', name: serviceName, addresses, metadata: meta, sequence, issuedAt: now, expiresAt: now + 1000, withdrawn })
        const record = await openRecord(bytes, { network: 'development', name: serviceName })
        assert.equal(record.sequence, sequence)
        assert.deepEqual(record.addresses, addresses)
        assert.deepEqual(record.metadata, JSON.parse(JSON.stringify(meta)))
        assert.equal(record.withdrawn, withdrawn)
      }), { numRuns: Math.max(100, Math.floor(RUNS / 10)) })
    t.diagnostic(`sign/open round trip: ${runs} runs`)
  })

  it('openRecord only ever throws RecordValidationError, and never accepts a changed record', async t => {
    let runs = 0
    const verdicts: Record<string, number> = {}
    await fc.assert(fc.asyncProperty(mutated(valid), async bytes => {
      runs++
      let verdict = 'valid'
      try {
        const record = await openRecord(bytes, { network: 'development', name: 'DatabaseService' })
        // Only the untouched bytes may pass (a flip that cancels out leaves them equal).
        assert.deepEqual(record.bytes, valid)
      } catch (err) {
        assert.ok(err instanceof RecordValidationError, `unexpected ${String(err)}`)
        verdict = err.code
      }
      verdicts[verdict] = (verdicts[verdict] ?? 0) + 1
    }), { numRuns: RUNS * 2 })
    const byVerdict = Object.entries(verdicts).sort(([a], [b]) => a < b ? -1 : 1).map(([v, n]) => `${v.replace('NETGET_ERR_RECORD_', '')} ${n}`).join(', ')
    t.diagnostic(`openRecord: ${runs} random/mutated byte strings (${byVerdict})`)
  })

  it('registry and health message decoders round-trip and fail only with Errors', t => {
    let roundTrips = 0
    let inputs = 0
    const types = fc.constantFrom(RegistryRequest.Type.PUBLISH, RegistryRequest.Type.DISCOVER, RegistryRequest.Type.REPLICATE, RegistryRequest.Type.FIND)
    fc.assert(fc.property(types, fc.uint8Array({ maxLength: 256 }), name, fc.nat({ max: 0xffffffff }), fc.uint8Array({ maxLength: 40 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (type, record, n, id, key, closer, relay) => {
      roundTrips++
      const message = { type, record, name: n, id, key, closer, relay }
      assert.deepEqual(RegistryRequest.decode(RegistryRequest.encode(message)), message)
    }), { numRuns: Math.max(100, Math.floor(RUNS / 10)) })
    const peer = fc.record({ id: fc.uint8Array({ maxLength: 48 }), addrs: fc.array(fc.uint8Array({ maxLength: 32 }), { maxLength: 4 }) }).map(p => ({ ...p }))
    fc.assert(fc.property(fc.array(peer, { maxLength: 20 }), fc.nat({ max: 0xffffffff }), fc.array(wireHealth, { maxLength: 4 }), fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 4 }), fc.boolean(), fc.boolean(),
      (closer, id, health, gone, snapshot, settling) => {
        roundTrips++
        const message = { status: RegistryResponse.Status.OK, code: '', message: '', records: [], closer, id, health, gone, snapshot, settling }
        assert.deepEqual(RegistryResponse.decode(RegistryResponse.encode(message), { limits: REGISTRY_RESPONSE_LIMITS }), message)
      }), { numRuns: Math.max(100, Math.floor(RUNS / 10)) })
    fc.assert(fc.property(fc.uint8Array({ maxLength: 32 }), fc.nat({ max: 0xffffffff }), fc.constantFrom(HealthResponse.Status.SERVING, HealthResponse.Status.NOT_SERVING), fc.array(wireCheck, { maxLength: 4 }), fc.option(wireLoad, { nil: undefined }),
      (nonce, id, status, checks, load) => {
        roundTrips += 2
        assert.deepEqual(HealthRequest.decode(HealthRequest.encode({ nonce, id })), { nonce, id })
        const response = { status, nonce, id, checks, ...(load !== undefined ? { load } : {}) }
        assert.deepEqual(HealthResponse.decode(HealthResponse.encode(response)), response)
      }), { numRuns: Math.max(100, Math.floor(RUNS / 10)) })
    const sample = RegistryResponse.encode({
      status: RegistryResponse.Status.REJECTED,
      code: 'NETGET_ERR_RECORD_STALE',
      message: 'x',
      records: [valid as Uint8Array<ArrayBuffer>],
      closer: [{ id: peerIdFromString(HINT_PEER).toMultihash().bytes as Uint8Array<ArrayBuffer>, addrs: [multiaddr('/ip4/127.0.0.1/tcp/4001').bytes as Uint8Array<ArrayBuffer>] }],
      id: 7,
      health: [{ status: WireHealth.Status.SUSPECT, lastSeenMsAgo: 1200, checks: [{ name: 'db', failing: true, output: 'connection refused', ageMs: 300 }], load: { cpuPermille: 250, eventLoopDelayUs: 1800, rssMib: 90 } }],
      gone: [peerIdFromString(HINT_PEER).toMultihash().bytes as Uint8Array<ArrayBuffer>],
      snapshot: true
    })
    fc.assert(fc.property(mutated(sample), bytes => {
      inputs++
      decodesOrThrowsError(() => RegistryRequest.decode(bytes))
      decodesOrThrowsError(() => RegistryResponse.decode(bytes, { limits: REGISTRY_RESPONSE_LIMITS }))
      decodesOrThrowsError(() => HealthRequest.decode(bytes))
      decodesOrThrowsError(() => HealthResponse.decode(bytes))
    }), { numRuns: RUNS })
    t.diagnostic(`registry request round trip: ${roundTrips} runs; registry/health decoders: ${inputs} random/mutated byte strings × 4 decoders`)
  })

  it('health read off the wire (probe answers, registry answers) is cleaned to its bounds, whatever it says', t => {
    let runs = 0
    const anyCheck = fc.record({ name: fc.string({ maxLength: 40 }), failing: fc.boolean(), output: fc.string({ maxLength: 300, unit: 'binary' }), ageMs: fc.nat({ max: 0xffffffff }) })
    const anyHealth = fc.record({
      // protons decodes an enum to its name; a value outside the enum stands for what a newer peer might send.
      status: fc.constantFrom(WireHealth.Status.UNKNOWN, WireHealth.Status.PASSING, WireHealth.Status.SUSPECT, WireHealth.Status.FAILING, 'LATER' as WireHealth.Status),
      lastSeenMsAgo: fc.nat({ max: 0xffffffff }),
      checks: fc.array(anyCheck, { maxLength: 40 }),
      load: fc.option(wireLoad, { nil: undefined })
    })
    fc.assert(fc.property(anyHealth, wire => {
      runs++
      const now = Date.now()
      const health = healthFromWire(wire, now)
      assert.ok(['passing', 'suspect', 'failing', 'unknown'].includes(health.status))
      assert.ok(health.checks.length <= MAX_CHECKS)
      assert.equal(new Set(health.checks.map(c => c.name)).size, health.checks.length, 'check names are unique')
      for (const check of health.checks) {
        assert.ok(isCheckName(check.name), `bad name ${JSON.stringify(check.name)}`)
        assert.ok(Buffer.byteLength(check.output) <= MAX_CHECK_OUTPUT_BYTES)
        assert.ok(check.lastRun <= now)
      }
      // What a registry passes on is what it read, and reads back the same.
      const again = healthFromWire(healthToWire(health, now), now)
      assert.deepEqual(again, health)
    }), { numRuns: RUNS })
    t.diagnostic(`health from the wire: ${runs} runs`)
  })

  it('closer-registry hints of any content are dropped or parsed, never thrown, and stay within their limits', t => {
    let runs = 0
    // Multihash-shaped ids (sha256 and identity codes, any digest length) reach the peer-id parser, not only its
    // first byte check.
    const multihash = fc.tuple(fc.constantFrom(0x12, 0x00), fc.uint8Array({ maxLength: 48 }))
      .map(([code, digest]) => Uint8Array.from([code, digest.byteLength, ...digest]))
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 80 }), multihash, fc.constant(peerIdFromString(HINT_PEER).toMultihash().bytes))
    const addr = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(
      multiaddr('/ip4/127.0.0.1/tcp/1').bytes, multiaddr(`/ip4/127.0.0.1/tcp/1/p2p/${HINT_PEER}`).bytes, multiaddr('/dns4/example.org/tcp/1').bytes))
    fc.assert(fc.property(fc.array(fc.record({ id: bytes, addrs: fc.array(addr, { maxLength: 8 }) }), { maxLength: 40 }), peers => {
      runs++
      const hints = decodeHints(peers as Parameters<typeof decodeHints>[0], () => false)
      // The second time the bytes come from the parse memo: the same answer.
      assert.deepEqual(decodeHints(peers as Parameters<typeof decodeHints>[0], () => false).map(h => [h.id, h.addrs.map(String)]), hints.map(h => [h.id, h.addrs.map(String)]))
      assert.ok(hints.length <= MAX_HINTS)
      assert.equal(new Set(hints.map(h => h.id)).size, hints.length)
      for (const hint of hints) {
        assert.equal(hint.position.byteLength, 32)
        assert.ok(hint.addrs.length <= 4)
        for (const ma of hint.addrs) assert.ok(!ma.getComponents().some(c => c.name === 'p2p'))
      }
    }), {
      numRuns: Math.max(200, Math.floor(RUNS / 5)),
      // A sha256 multihash of 6 bytes makes a peer id whose text does not parse back.
      examples: [[[{ id: Uint8Array.from([18, 6, 0, 0, 0, 0, 0, 0]), addrs: [] }]]]
    })
    t.diagnostic(`decodeHints: ${runs} random answers`)
  })

  it('key files of any content fail only with KeyFileError', t => {
    let runs = 0
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), fc.constant('{"type":"netget-key","version":1,"privateKey":"AAAA"}')), text => {
      runs++
      try {
        decodeKeyFile(text, 'fuzz')
      } catch (err) {
        assert.ok(err instanceof KeyFileError, `unexpected ${String(err)}`)
      }
    }), { numRuns: Math.max(100, Math.floor(RUNS / 5)) })
    t.diagnostic(`key files: ${runs} runs`)
  })

  it('verifyCertificate only ever throws AdmissionError, and never accepts a changed certificate', async t => {
    const authority = await generateKeyPair('Ed25519')
    const subject = peerIdFromPrivateKey(key).toString()
    const now = Date.now()
    const certificate = await issueCertificate(authority, { subject, role: 'service', services: ['Database*'], notBefore: now - 1000, notAfter: now + 60_000 })
    const verdicts = new Map<string, number>()
    let runs = 0
    await fc.assert(fc.asyncProperty(mutated(certificate), async bytes => {
      runs++
      try {
        const admission = await verifyCertificate(bytes, { authority: authority.publicKey, network: 'development', subject, now })
        assert.deepEqual(admission.bytes, certificate)
        verdicts.set('valid', (verdicts.get('valid') ?? 0) + 1)
      } catch (err) {
        assert.ok(err instanceof AdmissionError, `unexpected ${String(err)}`)
        verdicts.set(err.code, (verdicts.get(err.code) ?? 0) + 1)
      }
      decodesOrThrowsError(() => AdmissionResponse.decode(bytes))
    }), { numRuns: RUNS })
    t.diagnostic(`verifyCertificate: ${runs} random/mutated byte strings (${[...verdicts].map(([k, v]) => `${k.replace('NETGET_ERR_', '')} ${v}`).join(', ')})`)
  })
})
