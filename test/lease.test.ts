/**
 * The lease of a node's own record (src/registry/lease.ts; docs/architecture.md "Leases, republish and
 * withdrawal"), in process on node:test's mock clock: register publishes once and renews every recordTtl / 3 with
 * a higher sequence each time; a failed renewal is retried after max(1 s, recordTtl / 10) and reported; a lost
 * holder brings the renewal forward (100 ms, at most once a second); a rename withdraws the old name; withdraw()
 * leaves a tombstone as the last word on every name and stops the timers; too few acknowledgements fail with the
 * typed errors. The registry client is a fake that records each publication and answers as the test decides.
 */
import assert from 'node:assert/strict'
import { before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { HOLDER_LOST_DELAY_MS, HOLDER_LOST_MIN_INTERVAL_MS } from '../src/constants.js'
import { NoRegistryReachableError, PublishFailedError } from '../src/errors.js'
import { openRecord } from '../src/records/service-record.js'
import { Lease } from '../src/registry/lease.js'
import type { TestContext } from 'node:test'
import type { PrivateKey } from '@libp2p/interface'
import type { VerifiedRecord } from '../src/records/service-record.js'
import type { PublishResult } from '../src/registry/client-types.js'
import type { LeaseComponents, LeaseInit, RegistrationResult } from '../src/registry/lease.js'
import type { RegistryClient } from '../src/registry/registry-client.js'

const TTL = 30_000
const T0 = 1_700_000_000_000
/** A lost holder's renewal comes this soon, and at most this often. */
const HOLDER_LOST_DELAY = HOLDER_LOST_DELAY_MS
const HOLDER_LOST_INTERVAL = HOLDER_LOST_MIN_INTERVAL_MS
/** Four registries stored it, nearest first: the first three (RELAY_DIRECT) are the holders. */
const STORED: PublishResult = { accepted: ['r1', 'r2', 'r3', 'r4'], refusals: {}, unreachable: {}, missedCloser: false }

interface Sent { name: string, relay: false | 'lenient' | 'strict', at: number, bytes: Uint8Array }

interface Harness {
  lease: Lease
  sent: Sent[]
  /** How the fake client answers each publication (default: STORED); replace it at any time. */
  answer: (name: string) => Promise<PublishResult>
  renewed: RegistrationResult[]
  errors: Error[]
  /** Moves the mock clock forward in steps of at most 100 ms, letting the lease's promises settle after each. */
  advance: (ms: number) => Promise<void>
  /** What was published so far, decoded and verified. */
  records: () => Promise<VerifiedRecord[]>
}

const never = (): AbortSignal => new AbortController().signal
const settle = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

let key: PrivateKey
before(async () => { key = await generateKeyPair('Ed25519') })

function harness (t: TestContext, init: Partial<LeaseInit> = {}): Harness {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 })
  const h: Harness = {
    sent: [],
    answer: async () => STORED,
    renewed: [],
    errors: [],
    advance: async ms => {
      await settle()
      for (let done = 0; done < ms; done += 100) {
        t.mock.timers.tick(Math.min(100, ms - done))
        await settle()
      }
    },
    records: async () => Promise.all(h.sent.map(async s => openRecord(s.bytes, { network: 'development', allowExpired: true }))),
    lease: undefined as unknown as Lease
  }
  const client = {
    publish: async (name: string, bytes: Uint8Array, _signal: AbortSignal, relay: false | 'lenient' | 'strict') => {
      h.sent.push({ name, relay, at: Date.now(), bytes })
      return h.answer(name)
    }
  } as unknown as RegistryClient
  const node = {
    peerId: peerIdFromPrivateKey(key),
    getMultiaddrs: () => [multiaddr('/ip4/127.0.0.1/tcp/4001')],
    logger: { forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) }
  } as unknown as LeaseComponents
  h.lease = new Lease({
    node,
    privateKey: key,
    client,
    network: 'development',
    recordTtl: TTL,
    renewTimeout: 5000,
    announce: ['http://10.0.0.5:8080'],
    metadata: () => ({ version: '1.0.0' }),
    onRenewed: result => { h.renewed.push(result) },
    onRenewError: err => { h.errors.push(err) },
    ...init
  })
  t.after(() => { h.lease.stop() })
  return h
}

describe('Lease', { timeout: 10_000 }, () => {
  it('publishes once to the closest set on register, then renews every recordTtl / 3 through the nearest holders', async t => {
    const h = harness(t)
    const result = await h.lease.register('Search', 2, never())
    assert.deepEqual([result.accepted, result.registries, result.instance.name], [4, STORED.accepted, 'Search'])
    assert.deepEqual(h.sent.map(s => [s.name, s.relay]), [['Search', false]], 'the first publication goes to all of the closest set')
    await h.advance(TTL / 3 - 100)
    assert.equal(h.sent.length, 1)
    await h.advance(100)
    // A renewal needs one registry, whatever minAcks was.
    h.answer = async () => ({ accepted: ['r1'], refusals: {}, unreachable: {}, missedCloser: false })
    await h.advance(TTL / 3)
    assert.deepEqual(h.sent.map(s => [s.name, s.relay, s.at - T0]), [['Search', false, 0], ['Search', 'lenient', TTL / 3], ['Search', 'lenient', 2 * TTL / 3]])
    assert.deepEqual([h.renewed.length, h.errors], [2, []])
  })

  it('gives every publication a higher sequence than the last, two in the same millisecond included', async t => {
    const h = harness(t)
    await h.lease.register('Search', 1, never())
    await h.lease.register('Search', 1, never())
    await h.advance(TTL / 3)
    const records = await h.records()
    assert.equal(records.length, 3)
    for (let i = 1; i < records.length; i++) assert.ok(records[i].sequence > records[i - 1].sequence, `publication ${i} has a higher sequence`)
    assert.deepEqual(records.map(r => [r.withdrawn, r.issuedAt - T0, r.expiresAt - r.issuedAt]), [[false, 0, TTL], [false, 0, TTL], [false, TTL / 3, TTL]])
    assert.deepEqual(records[0].addresses, ['/ip4/127.0.0.1/tcp/4001', 'http://10.0.0.5:8080'])
    assert.deepEqual(records[0].metadata, { version: '1.0.0', name: 'Search' })
  })

  for (const [ttl, retry] of [[30_000, 3000], [6000, 1000]]) {
    it(`retries a failed renewal after max(1 s, recordTtl / 10) (${retry} ms for ${ttl} ms) and reports each failure through onRenewError`, async t => {
      const h = harness(t, { recordTtl: ttl })
      await h.lease.register('Search', 1, never())
      h.answer = async () => { throw new Error('lookup failed') }
      await h.advance(ttl / 3)
      assert.deepEqual([h.sent.length, h.errors.map(e => e.message)], [2, ['lookup failed']])
      h.answer = async () => ({ accepted: [], refusals: {}, unreachable: { r1: 'dial failed' }, missedCloser: true })
      await h.advance(retry - 100)
      assert.equal(h.sent.length, 2, 'not retried before its time')
      await h.advance(100)
      assert.equal(h.sent.length, 3)
      assert.ok(h.errors[1] instanceof NoRegistryReachableError)
      h.answer = async () => STORED
      await h.advance(retry)
      assert.deepEqual([h.sent.length, h.renewed.length], [4, 1])
      // Back on the regular rhythm once a renewal succeeded.
      await h.advance(ttl / 3 - 100)
      assert.equal(h.sent.length, 4)
      await h.advance(100)
      assert.deepEqual([h.sent.length, h.errors.length], [5, 2])
    })
  }

  it('renews 100 ms after a holder is lost, at most once a second, and not for a registry that holds nothing', async t => {
    const h = harness(t)
    await h.lease.register('Search', 1, never())
    assert.deepEqual(['r1', 'r3', 'r4'].map(id => h.lease.holds(id)), [true, true, false], 'only the nearest three are holders')
    h.lease.holderLost('r4')
    h.lease.holderLost('stranger')
    await h.advance(1000)
    assert.equal(h.sent.length, 1, 'no renewal for peers that are not holders')
    h.lease.holderLost('r1')
    await h.advance(HOLDER_LOST_DELAY - 1)
    assert.equal(h.sent.length, 1)
    await h.advance(1)
    assert.equal(h.sent.length, 2)
    // Two more holders lost at once: one renewal, a second after the last early one.
    h.lease.holderLost('r2')
    h.lease.holderLost('r3')
    await h.advance(HOLDER_LOST_INTERVAL - 1)
    assert.equal(h.sent.length, 2, 'at most one early renewal a second')
    await h.advance(1)
    await h.advance(TTL / 3 - 100)
    assert.deepEqual(h.sent.map(s => s.at - T0), [0, 1000 + HOLDER_LOST_DELAY, 1000 + HOLDER_LOST_DELAY + HOLDER_LOST_INTERVAL])
    await h.advance(100)
    assert.equal(h.sent.at(-1)!.at - T0, 1000 + HOLDER_LOST_DELAY + HOLDER_LOST_INTERVAL + TTL / 3, 'then the regular rhythm again')
  })

  it('renews once more a second after a renewal during which a holder was lost', async t => {
    const h = harness(t)
    await h.lease.register('Search', 1, never())
    const gate = Promise.withResolvers<PublishResult>()
    h.answer = async () => gate.promise
    await h.advance(TTL / 3)
    assert.equal(h.sent.length, 2, 'a renewal is under way')
    h.lease.holderLost('r1')
    h.answer = async () => STORED
    gate.resolve(STORED)
    await h.advance(HOLDER_LOST_INTERVAL - 100)
    assert.equal(h.sent.length, 2)
    await h.advance(100)
    assert.deepEqual(h.sent.map(s => s.at - T0), [0, TTL / 3, TTL / 3 + HOLDER_LOST_INTERVAL])
  })

  it('renews soon when a registry among the closest did not answer, backing off while it keeps not answering', async t => {
    const h = harness(t)
    const missing: PublishResult = { accepted: ['r1', 'r2'], refusals: {}, unreachable: { r0: 'deadline of 3000 ms passed' }, missedCloser: true }
    h.answer = async () => missing
    await h.lease.register('Search', 1, never())
    // 100 ms after the registration, then 1 s, 2 s, 4 s after each renewal that still missed it.
    await h.advance(HOLDER_LOST_DELAY + 1000 + 2000 + 4000)
    assert.deepEqual(h.sent.map(s => s.at - T0), [0, HOLDER_LOST_DELAY, HOLDER_LOST_DELAY + 1000, HOLDER_LOST_DELAY + 3000, HOLDER_LOST_DELAY + 7000])
    // Relayed past the failed registry twice; from the third renewal in a row that met it, to all K if it fails again.
    assert.deepEqual(h.sent.map(s => s.relay), [false, 'lenient', 'lenient', 'strict', 'strict'])
    // Once every registry asked answers, the lease goes back to renewing every third of its length.
    h.answer = async () => STORED
    await h.advance(8000)
    const last = h.sent.at(-1)?.at ?? 0
    await h.advance(TTL / 3 - 100)
    assert.equal(h.sent.at(-1)?.at, last)
    await h.advance(100)
    assert.equal(h.sent.at(-1)?.at, last + TTL / 3)
  })

  it('does not renew early for a registry farther out than those that stored the record (a lookup hop that failed)', async t => {
    const h = harness(t)
    h.answer = async () => ({ ...STORED, unreachable: { far: 'deadline of 3000 ms passed' }, missedCloser: false })
    await h.lease.register('Search', 1, never())
    await h.advance(TTL / 3 - 100)
    assert.equal(h.sent.length, 1)
    await h.advance(100)
    assert.equal(h.sent.length, 2)
  })

  it('on a rename publishes the new name, then withdraws the old one, and renews only the new one', async t => {
    const h = harness(t)
    await h.lease.register('Search', 1, never())
    await h.lease.register('Find', 1, never())
    const records = await h.records()
    assert.deepEqual(records.map(r => [r.name, r.withdrawn, r.metadata.name]), [['Search', false, 'Search'], ['Find', false, 'Find'], ['Search', true, 'Search']])
    assert.deepEqual(h.sent.map(s => s.relay), [false, false, 'strict'])
    assert.ok(records[2].sequence > records[0].sequence, 'the withdrawal beats the old record')
    // A withdrawal that fails does not fail the rename: the old record expires with its lease.
    h.answer = async name => name === 'Find' ? { accepted: [], refusals: {}, unreachable: { r1: 'timeout' }, missedCloser: true } : STORED
    await h.lease.register('Lookup', 1, never())
    assert.equal(h.lease.name, 'Lookup')
    await h.advance(TTL / 3)
    assert.deepEqual(h.sent.slice(3).map(s => [s.name, s.at - T0]), [['Lookup', 0], ['Find', 0], ['Lookup', TTL / 3]])
  })

  it('withdraw leaves a tombstone as the last word on the registered name and on one in flight, then publishes nothing more', async t => {
    const h = harness(t)
    await h.lease.register('Search', 1, never())
    const gate = Promise.withResolvers<PublishResult>()
    h.answer = async () => gate.promise
    const renaming = h.lease.register('Find', 1, never())
    await settle()
    h.answer = async () => STORED
    assert.equal(await h.lease.withdraw(never()), 4)
    gate.resolve(STORED)
    await renaming
    const sent = h.sent.length
    await h.advance(10 * TTL)
    assert.equal(h.sent.length, sent, 'no publication after withdraw()')
    const last = new Map<string, VerifiedRecord>()
    for (const r of await h.records()) if ((last.get(r.name)?.sequence ?? -1n) < r.sequence) last.set(r.name, r)
    assert.deepEqual([...last.values()].map(r => [r.name, r.withdrawn]).sort(), [['Find', true], ['Search', true]])
    assert.ok(h.sent.filter(s => last.get(s.name)!.bytes === s.bytes).every(s => s.relay === 'strict'), 'withdrawals are relayed by the nearest holders, strictly')
  })

  it('withdraw of a lease never registered publishes nothing', async t => {
    const h = harness(t)
    assert.equal(await h.lease.withdraw(never()), undefined)
    await h.advance(TTL)
    assert.equal(h.sent.length, 0)
  })

  it('with relayWithdrawals: false, sends the tombstone to the whole closest set itself', async t => {
    const h = harness(t, { relayWithdrawals: false })
    await h.lease.register('Search', 1, never())
    await h.lease.withdraw(never())
    assert.deepEqual(h.sent.map(s => [s.name, s.relay]), [['Search', false], ['Search', false]])
  })

  it('register fails with PublishFailedError when fewer than minAcks store the record, and arms no renewal', async t => {
    const h = harness(t)
    h.answer = async () => ({ accepted: ['r1'], refusals: { r2: 'NETGET_ERR_RATE_LIMITED: slow down' }, unreachable: { r3: 'timeout' }, missedCloser: true })
    await assert.rejects(h.lease.register('Search', 2, never()), (err: Error) => err instanceof PublishFailedError &&
      err.message === '1 registries stored the record of "Search", 2 required (1 refused, 1 unreachable)' &&
      err.accepted === 1 && err.refusals.r2 === 'NETGET_ERR_RATE_LIMITED: slow down')
    // Refused by every registry it reached: still PublishFailedError (they were reachable), with the refusals.
    h.answer = async () => ({ accepted: [], refusals: { r1: 'NETGET_ERR_RECORD_STALE: old' }, unreachable: {}, missedCloser: false })
    await assert.rejects(h.lease.register('Search', 1, never()), (err: Error) => err instanceof PublishFailedError &&
      err.message === '0 registries stored the record of "Search", 1 required (1 refused, 0 unreachable)')
    await h.advance(TTL)
    assert.equal(h.sent.length, 2, 'no renewal of a registration that failed')
  })

  it('register fails with NoRegistryReachableError, naming each unreachable registry, when none stored or refused it', async t => {
    const h = harness(t)
    h.answer = async () => ({ accepted: [], refusals: {}, unreachable: { r1: 'dial failed', r2: 'timeout' }, missedCloser: true })
    await assert.rejects(h.lease.register('Search', 1, never()), (err: Error) => err instanceof NoRegistryReachableError &&
      err.message === 'No registry stored the record of "Search": r1: dial failed; r2: timeout')
    h.answer = async () => ({ accepted: [], refusals: {}, unreachable: {}, missedCloser: false })
    await assert.rejects(h.lease.register('Search', 1, never()), (err: Error) => err instanceof NoRegistryReachableError &&
      err.message === 'No registry stored the record of "Search": none reachable')
  })
})
