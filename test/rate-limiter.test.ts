/** The per-peer token buckets behind a registry's publish, replicate and discover limits, on an injected clock. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { RateLimiter } from '../src/security/rate-limiter.js'

describe('RateLimiter', () => {
  it('lets a burst through, then the rate, per peer', () => {
    const limiter = new RateLimiter({ rate: 10, burst: 3 })
    const t = 1_000_000
    assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a', t)), [true, true, true, false])
    assert.equal(limiter.take('b', t), true, 'another peer has its own bucket')
    assert.equal(limiter.take('a', t + 99), false, 'a token takes 100 ms at 10/s')
    assert.equal(limiter.take('a', t + 100), true)
    // A long pause refills the bucket to its size, no further.
    assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a', t + 60_000)), [true, true, true, false])
  })

  it('keeps at most maxPeers buckets: idle ones go first, then the oldest half when all are busy', () => {
    const limiter = new RateLimiter({ rate: 1, burst: 1, maxPeers: 4 })
    for (const peer of ['a', 'b', 'c', 'd']) limiter.take(peer, 0)
    // All four refilled (idle ≥ 1 s): dropped to make room, so 'a' starts over with a full bucket.
    assert.equal(limiter.take('e', 5000), true)
    assert.equal(limiter.take('a', 5000), true)
    // Busy peers at the cap: a newcomer is served, and the map stays bounded.
    const busy = new RateLimiter({ rate: 1, burst: 5, maxPeers: 4 })
    for (let i = 0; i < 100; i++) assert.equal(busy.take(`peer-${i}`, 10), true)
  })

  it('never lets through more than burst + rate × elapsed, whatever the timing', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 200 }), (rate, burst, gaps) => {
      const limiter = new RateLimiter({ rate, burst })
      let now = 0
      let taken = 0
      for (const gap of gaps) {
        now += gap
        if (limiter.take('p', now)) taken++
      }
      assert.ok(taken <= burst + Math.floor(rate * now / 1000), `${taken} taken in ${now} ms at ${rate}/s, burst ${burst}`)
    }))
  })
})
