/**
 * CheckRunner: named checks on a schedule. What passes and fails, what a probe reads before a first run ends,
 * and a stop that leaves nothing running.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CheckRunner } from '../src/health/checks.js'
import { MAX_CHECK_OUTPUT_BYTES } from '../src/health/model.js'

const WAIT = AbortSignal.timeout(5000)

describe('CheckRunner', () => {
  it('passes on anything but false, fails on false, a throw or its deadline, and keeps a short output', async () => {
    const runner = new CheckRunner({
      interval: 60_000,
      timeout: 50,
      checks: {
        ok: () => undefined,
        said: async () => 'replica lag 3 ms',
        no: () => false,
        threw: () => { throw new Error('connection refused') },
        slow: async signal => new Promise(resolve => { signal.addEventListener('abort', () => { resolve(true) }) }),
        long: () => 'é'.repeat(200)
      }
    })
    runner.start()
    const results = Object.fromEntries((await runner.results(WAIT)).map(r => [r.name, r]))
    runner.stop()
    assert.deepEqual(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.passing])),
      { ok: true, said: true, no: false, threw: false, slow: false, long: true })
    assert.equal(results.said.output, 'replica lag 3 ms')
    assert.equal(results.no.output, 'returned false')
    assert.equal(results.threw.output, 'connection refused')
    assert.equal(results.slow.output, 'timed out after 50 ms')
    assert.ok(Buffer.byteLength(results.long.output) <= MAX_CHECK_OUTPUT_BYTES)
    assert.ok(results.long.output.length > 0 && results.long.output.split('').every(c => c === 'é'))
  })

  it('a probe waits for a first run within its own deadline, and reads a check still running as pending', async () => {
    let release = (): void => {}
    const runner = new CheckRunner({ interval: 60_000, timeout: 5000, checks: { db: async () => new Promise<boolean>(resolve => { release = () => { resolve(true) } }) } })
    runner.start()
    const early = await runner.results(AbortSignal.timeout(20))
    assert.equal(early[0].passing, false)
    assert.match(early[0].output, /pending/)
    release()
    const later = await runner.results(WAIT)
    assert.equal(later[0].passing, true)
    runner.stop()
  })

  it('runs each check again every interval, never two runs of one check at once', async () => {
    let runs = 0
    let concurrent = 0
    let most = 0
    const runner = new CheckRunner({
      interval: 10,
      timeout: 1000,
      checks: { busy: async () => { concurrent++; most = Math.max(most, concurrent); runs++; await new Promise(resolve => setTimeout(resolve, 25)); concurrent--; return true } }
    })
    runner.start()
    const deadline = Date.now() + 5000
    while (runs < 4 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 5))
    runner.stop()
    assert.ok(runs >= 4, `${runs} runs`)
    assert.equal(most, 1)
  })

  it('does not pile up runs of a check that ignores its deadline: it stays failing until the run settles', async () => {
    let calls = 0
    let settle = (): void => {}
    const runner = new CheckRunner({ interval: 10, timeout: 10, checks: { hung: async () => { calls++; return new Promise<boolean>(resolve => { settle = () => { resolve(true) } }) } } })
    runner.start()
    const deadline = Date.now() + 5000
    let last = ''
    while (!last.includes('past its deadline') && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 10))
      last = (await runner.results(WAIT))[0].output
    }
    assert.match(last, /still running past its deadline/)
    assert.equal(calls, 1)
    settle()
    while (calls < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    runner.stop()
    assert.equal(calls, 2, 'a new run starts once the hung one settled')
  })
})
