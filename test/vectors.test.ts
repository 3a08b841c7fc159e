/**
 * Golden vectors (test/vectors/*.json, written by scripts/make-vectors.ts): every verdict holds through
 * openRecord (with and without the verified-bytes cache), compareRecords and RecordStore.offer, and the files
 * are exactly what the generator produces today.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { RecordErrorCodes, RecordValidationError } from '../src/errors.js'
import { compareRecords, openRecord } from '../src/records/service-record.js'
import { VerifyCache } from '../src/records/verify-cache.js'
import { RecordStore } from '../src/registry/record-store.js'
import { REPO_ROOT, buildFiles } from '../scripts/make-vectors.js'
import { fromHex, split } from './helpers/forge.js'
import type { RecordVector, SelectionVector } from '../scripts/make-vectors.js'
import type { RecordExpectations, VerifiedRecord } from '../src/records/service-record.js'

const RECORDS = 'test/vectors/service-records.json'
const SELECTION = 'test/vectors/selection.json'

async function load<T> (path: string): Promise<T> {
  return JSON.parse(await readFile(join(REPO_ROOT, path), 'utf8')) as T
}

/** 'valid' or the error code openRecord throws; anything but a RecordValidationError fails the test. */
async function verdictOf (bytes: Uint8Array, expect: RecordExpectations, cache?: VerifyCache): Promise<string> {
  try {
    await openRecord(bytes, expect, cache)
    return 'valid'
  } catch (err) {
    assert.ok(err instanceof RecordValidationError, `openRecord threw ${String(err)}, not a RecordValidationError`)
    return err.code
  }
}

const knownCodes = new Set<string>(Object.values(RecordErrorCodes))

describe('golden vectors', async () => {
  const records = await load<RecordVector[]>(RECORDS)
  const selection = await load<SelectionVector[]>(SELECTION)

  it('are exactly what scripts/make-vectors.ts generates (regenerate with `npx tsx scripts/make-vectors.ts`)', async () => {
    const files = await buildFiles()
    assert.deepEqual(Object.keys(files).sort(), [RECORDS, SELECTION].sort())
    for (const [path, content] of Object.entries(files)) {
      const onDisk = await readFile(join(REPO_ROOT, path))
      assert.ok(onDisk.equals(Buffer.from(content)), `${path} differs from the generator's output`)
    }
  })

  it('cover every rule the issue lists, with unique names and known codes', () => {
    const names = new Set(records.map(v => v.name))
    assert.equal(names.size, records.length, 'vector names are unique')
    for (const required of ['valid', 'valid-withdrawn', 'bad-signature-bit-flip', 'bad-signature-other-key', 'bad-signature-other-domain',
      'expired', 'future', 'lifetime-too-long', 'too-large', 'malformed-bytes', 'trailing-bytes', 'wrong-network', 'wrong-name',
      'wrong-publisher', 'name-bad-characters', 'too-many-addresses', 'metadata-array']) {
      assert.ok(names.has(required), `missing vector ${required}`)
    }
    for (const v of records) assert.ok(v.verdict === 'valid' || knownCodes.has(v.verdict), `${v.name}: unknown verdict ${v.verdict}`)
    const codes = new Set(records.map(v => v.verdict))
    for (const code of ['TOO_LARGE', 'MALFORMED', 'BAD_FIELD', 'BAD_SIGNATURE', 'WRONG_NETWORK', 'WRONG_NAME', 'WRONG_PUBLISHER', 'EXPIRED', 'FUTURE', 'LIFETIME'] as const) {
      assert.ok(codes.has(RecordErrorCodes[code]), `no vector yields ${RecordErrorCodes[code]}`)
    }
    assert.ok(selection.some(v => v.name === 'older-sequence-after-newer' && v.storeVerdictWhenBArrivesAfterA === RecordErrorCodes.STALE))
  })

  describe('service records: openRecord reaches each verdict', () => {
    for (const v of records) {
      it(`${v.name} → ${v.verdict}`, async () => {
        const bytes = fromHex(v.record)
        assert.equal(await verdictOf(bytes, v.expect), v.verdict, v.description)
        if (v.verdict !== 'valid') return
        const record = await openRecord(bytes, v.expect)
        assert.ok(v.decoded !== undefined)
        assert.deepEqual({
          peerId: record.peerId,
          network: record.network,
          name: record.name,
          addresses: record.addresses,
          metadata: record.metadata,
          sequence: record.sequence.toString(),
          issuedAt: record.issuedAt,
          expiresAt: record.expiresAt,
          withdrawn: record.withdrawn
        }, v.decoded)
        assert.deepEqual(record.bytes, bytes, 'a verified record keeps the bytes exactly as received')
      })
    }
  })

  it('reach the same verdicts through the verified-bytes cache (binding and time re-checked on a hit)', async () => {
    const cache = new VerifyCache()
    for (const v of records) {
      const bytes = fromHex(v.record)
      // Warm the cache with bytes that are valid when checked without binding, at their own issue time.
      let issuedAt = v.expect.now
      try {
        issuedAt = Number(split(bytes).fields.issuedAt)
      } catch {}
      await verdictOf(bytes, { network: v.expect.network, now: issuedAt }, cache)
      assert.equal(await verdictOf(bytes, v.expect, cache), v.verdict, `${v.name} (cached)`)
      assert.equal(await verdictOf(bytes, v.expect, cache), v.verdict, `${v.name} (cached, again)`)
    }
  })

  describe('selection and the record store', () => {
    for (const v of selection) {
      it(`${v.name}: winner ${v.winner}, store ${v.storeVerdictWhenBArrivesAfterA}`, async () => {
        const expect = { network: v.network, now: v.now }
        const a = await openRecord(fromHex(v.a), expect)
        const b = await openRecord(fromHex(v.b), expect)
        assert.equal(a.peerId, b.peerId, 'a pair is one publisher')
        assert.equal(a.name, b.name, 'a pair is one name')
        const sign = { a: 1, b: -1, equal: 0 }[v.winner]
        assert.equal(Math.sign(compareRecords(a, b)), sign, `compareRecords(a, b): ${v.description}`)
        assert.equal(Math.sign(compareRecords(b, a)), -sign || 0, 'compareRecords is antisymmetric')

        const store = new RecordStore()
        assert.equal(store.offer(a), 'stored')
        let verdict: string
        try {
          verdict = store.offer(b)
        } catch (err) {
          assert.ok(err instanceof RecordValidationError, `offer threw ${String(err)}`)
          verdict = err.code
        }
        assert.equal(verdict, v.storeVerdictWhenBArrivesAfterA)
        const held: VerifiedRecord[] = store.get(a.name, v.now)
        assert.equal(held.length, 1, 'one record per (name, publisher)')
        const winner = v.winner === 'b' ? b : a
        assert.deepEqual(held[0].bytes, winner.bytes, 'the store holds the winner')
      })
    }
  })
})

describe('health protocol examples (protocols/health.md)', () => {
  it('are the bytes the code sends, length prefix included', async () => {
    const { HealthRequest, HealthResponse } = await import('../protocols/health.js')
    const spec = await readFile(join(REPO_ROOT, 'protocols/health.md'), 'utf8')
    const nonce = new Uint8Array(16).fill(0xab)
    // Examples on one line each (the 1.0.0 and 2.0.0 ones); those with checks go on over indented lines.
    const all = [...spec.matchAll(/^(request|response)([^|\n]*?)\s+([0-9a-f]{2}) \| ([0-9a-f ]+)$((?:\n {20,}[0-9a-f][^\n]*)*)/gm)]
    const lines = all.filter(m => m[5] === '')
    assert.equal(lines.length, 7, 'the 1.0.0 and 2.0.0 examples')
    const withChecks = all.filter(m => m[5] !== '')
    assert.equal(withChecks.length, 2, 'the examples with a check')
    for (const [, , label, prefix, first, rest] of withChecks) {
      const id = Number(/id=(\d+)/.exec(label)?.[1] ?? 0)
      const failing = label.includes('NOT_SERVING')
      // The hex groups of each continuation line, up to its comment.
      const hex = first + rest.split('\n').map(l => l.trim().split(/\s+/).filter((t, i, a) => /^[0-9a-f]+$/.test(t) && a.slice(0, i).every(u => /^[0-9a-f]+$/.test(u))).join('')).join('')
      const bytes = HealthResponse.encode({
        status: failing ? HealthResponse.Status.NOT_SERVING : HealthResponse.Status.SERVING,
        nonce: new Uint8Array(0),
        id,
        checks: [{ name: 'db', failing, output: failing ? 'ECONNREFUSED' : '', ageMs: 1200 }],
        load: { cpuPermille: 125, eventLoopDelayUs: 1500, rssMib: 87 }
      })
      assert.equal(Buffer.from(bytes).toString('hex'), hex.replaceAll(' ', ''), `response${label}`)
      assert.equal(Number.parseInt(prefix, 16), bytes.length, `response${label}: length prefix`)
    }
    for (const [, kind, label, prefix, body] of lines) {
      const id = Number(/id=(\d+)/.exec(label)?.[1] ?? 0)
      const status = label.includes('NOT_SERVING') ? HealthResponse.Status.NOT_SERVING : HealthResponse.Status.SERVING
      const withNonce = id === 0 ? nonce : new Uint8Array(0)
      const bytes = kind === 'request' ? HealthRequest.encode({ nonce: withNonce, id }) : HealthResponse.encode({ status, nonce: withNonce, id })
      assert.equal(Buffer.from(bytes).toString('hex'), body.replaceAll(' ', ''), `${kind}${label}`)
      assert.equal(Number.parseInt(prefix, 16), bytes.length, `${kind}${label}: length prefix`)
    }
  })
})
