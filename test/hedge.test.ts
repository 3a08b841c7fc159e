import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { HEDGE_MIN_MS, HEDGE_MIN_SAMPLES, HEDGE_SAMPLES, LOOKUP_HEDGE_MS } from '../src/constants.js'
import { HedgeDelay } from '../src/routing/hedge.js'

describe('HedgeDelay: when a discovery asks the next registry too', () => {
  it('waits LOOKUP_HEDGE_MS until it has timed enough answers', () => {
    const hedge = new HedgeDelay()
    for (let i = 0; i < HEDGE_MIN_SAMPLES - 1; i++) hedge.record(0.5)
    assert.equal(hedge.delay(), LOOKUP_HEDGE_MS)
    hedge.record(0.5)
    assert.equal(hedge.delay(), HEDGE_MIN_MS)
  })

  it('follows the p95 of the recent answers, rounded up to whole milliseconds', () => {
    const hedge = new HedgeDelay()
    // 100 answers: 95 of 2 ms, 5 of 40 ms: the p95 is the 95th, 2 ms; one more slow one moves it to 40 ms.
    for (let i = 0; i < 100; i++) hedge.record(i < 95 ? 2 : 40)
    // Only the last HEDGE_SAMPLES count: 59 of 2 ms and 5 of 40 ms.
    const slow = 5 / HEDGE_SAMPLES
    assert.ok(slow > 0.05, 'the test needs more than 5 % slow answers in the window')
    assert.equal(hedge.delay(), 40)
    for (let i = 0; i < HEDGE_SAMPLES; i++) hedge.record(1.2)
    assert.equal(hedge.delay(), 2)
  })

  it('is bounded: never below HEDGE_MIN_MS, never above LOOKUP_HEDGE_MS, and ignores nonsense', () => {
    const fast = new HedgeDelay()
    for (let i = 0; i < HEDGE_SAMPLES; i++) fast.record(0.01)
    assert.equal(fast.delay(), HEDGE_MIN_MS)
    const stalled = new HedgeDelay()
    for (let i = 0; i < HEDGE_SAMPLES; i++) stalled.record(60_000)
    assert.equal(stalled.delay(), LOOKUP_HEDGE_MS)
    const odd = new HedgeDelay()
    for (let i = 0; i < HEDGE_SAMPLES; i++) { odd.record(Number.NaN); odd.record(-1); odd.record(Number.POSITIVE_INFINITY) }
    assert.equal(odd.delay(), LOOKUP_HEDGE_MS, 'no real sample: the default')
  })
})
