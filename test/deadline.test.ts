/**
 * deadline() and follow(): the signals every network call hangs off. A long-lived parent (a node's lifetime)
 * must not accumulate anything per request.
 */
import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { describe, it } from 'node:test'
import { RearmableDeadline, deadline, follow } from '../src/util/deadline.js'

describe('deadline', () => {
  it('aborts with a TimeoutError once its time has passed', async () => {
    // Deadline timers are unref'd (they never keep a process alive): this one keeps the test's loop running.
    const hold = setTimeout(() => {}, 5000)
    const limit = deadline(5)
    const reason = await new Promise<unknown>(resolve => { limit.signal.addEventListener('abort', () => { resolve(limit.signal.reason) }) })
    clearTimeout(hold)
    assert.equal((reason as DOMException).name, 'TimeoutError')
  })

  it('aborts with its parent, with the parent\'s reason, and at once when the parent already aborted', () => {
    const parent = new AbortController()
    const limit = deadline(60_000, undefined, parent.signal)
    parent.abort(new Error('stopping'))
    assert.equal(limit.signal.aborted, true)
    assert.equal((limit.signal.reason as Error).message, 'stopping')
    limit.clear()
    const late = deadline(60_000, parent.signal)
    assert.equal(late.signal.aborted, true)
    late.clear()
  })

  it('leaves nothing on a long-lived parent once cleared or expired', async () => {
    const lifetime = new AbortController()
    for (let i = 0; i < 10_000; i++) deadline(60_000, lifetime.signal).clear()
    assert.equal(getEventListeners(lifetime.signal, 'abort').length, 0)
    const hold = setTimeout(() => {}, 5000)
    const expiring = deadline(1, lifetime.signal)
    await new Promise(resolve => { expiring.signal.addEventListener('abort', resolve) })
    clearTimeout(hold)
    assert.equal(getEventListeners(lifetime.signal, 'abort').length, 0)
    const linked = follow(lifetime.signal)
    assert.equal(getEventListeners(lifetime.signal, 'abort').length, 1)
    linked.abort(new Error('done'))
    assert.equal(getEventListeners(lifetime.signal, 'abort').length, 0)
    assert.equal(lifetime.signal.aborted, false)
  })
})

describe('RearmableDeadline', () => {
  it('aborts only when an armed wait outlasts its time, however often it was armed before', async () => {
    const hold = setTimeout(() => {}, 5000)
    const limit = new RearmableDeadline(30)
    // Armed and disarmed many times within its time, then left disarmed past it: never aborts.
    for (let i = 0; i < 1000; i++) {
      limit.arm()
      limit.disarm()
    }
    await new Promise(resolve => setTimeout(resolve, 60))
    assert.equal(limit.signal.aborted, false, 'a disarmed deadline aborted')
    // Armed again after its timer fired (disarmed): it aborts once this wait outlasts 30 ms.
    const started = Date.now()
    limit.arm()
    await new Promise(resolve => { limit.signal.addEventListener('abort', resolve) })
    clearTimeout(hold)
    assert.ok(Date.now() - started >= 25, `aborted after ${Date.now() - started} ms`)
    assert.equal((limit.signal.reason as DOMException).name, 'TimeoutError')
  })

  it('does not abort after clear()', async () => {
    const hold = setTimeout(() => {}, 5000)
    const limit = new RearmableDeadline(10)
    limit.arm()
    limit.clear()
    limit.arm()
    await new Promise(resolve => setTimeout(resolve, 40))
    clearTimeout(hold)
    assert.equal(limit.signal.aborted, false)
  })
})
