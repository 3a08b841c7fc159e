/**
 * The prober's rules (src/health/prober.ts; protocols/health.md "Prober"; docs/architecture.md "Health"), in
 * process, on node:test's mock clock: probes spread over the interval, at most MAX_CONCURRENT_PROBES at once, no
 * target starved (probed again within 2 × interval + (⌈N / 32⌉ + 1) × timeout, retries and confirmations holding at
 * most 32 of the 64 slots), suspect after a failed probe,
 * down after unhealthyThreshold failures (and a confirmation when it did not answer), up at the next answer,
 * targets coming and going, stop() stopping everything.
 *
 * The seam is the prober's own ProbeSessions: its methods are replaced on the prototype (t.mock.method, restored
 * after each test), so that each fake target answers, fails, answers NOT_SERVING or hangs until its deadline, as
 * the test decides; no libp2p node is involved. `performance.now()` (the prober's pacing clock) follows the mock
 * Date, which node:test's mock timers move with tick().
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ProbeSessions } from '../src/health/probe-sessions.js'
import { CONFIRM_TIMEOUTS, DOWN_PROBE_EVERY, MAX_CONCURRENT_PROBES, Prober, ROUND_PROBE_SLOTS, SUSPECT_RETRY_MS } from '../src/health/prober.js'
import type { TestContext } from 'node:test'
import type { ProbeResult } from '../src/health/probe.js'
import type { ProberComponents, ProberInit } from '../src/health/prober.js'
import type { InstanceHealth } from '../src/health/model.js'

/** How a fake target meets a probe: answers SERVING (after `slowMs` if 'slow'), fails at once, answers NOT_SERVING, or never answers. */
type Behaviour = 'answer' | 'slow' | 'fail' | 'not-serving' | 'hang'

interface Probe { peerId: string, at: number, ended?: number }

const settle = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

/** A prober over `n` fake targets `peer-0`…, on the mock clock (time 0), with every probe and callback recorded. */
function harness (t: TestContext, init: Partial<ProberInit> & { slowMs?: number }, n = 0) {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 })
  t.mock.method(performance, 'now', () => Date.now())
  /** Each target's behaviour (default 'answer'), and the targets `targets()` names: both may change at any time. */
  const behaviour = new Map<string, Behaviour>()
  const targets = new Map(Array.from({ length: n }, (_, i) => [`peer-${i}`, []]))
  const probes: Probe[] = []
  let running = 0
  let peak = 0
  const hungUp: string[] = []
  const forgotten: string[] = []
  const downs: Array<{ peerId: string, reason: string }> = []
  const ups: string[] = []
  const changes: Array<{ peerId: string, health: InstanceHealth }> = []
  t.mock.method(ProbeSessions.prototype, 'probe', async (peerId: string, _addresses: string[], signal: AbortSignal): Promise<ProbeResult> => {
    const probe: Probe = { peerId, at: Date.now() }
    probes.push(probe)
    peak = Math.max(peak, ++running)
    const mode = behaviour.get(peerId) ?? 'answer'
    try {
      if (mode === 'answer') return { healthy: true, rtt: 1, answered: true, checks: [] }
      if (mode === 'fail') return { healthy: false, rtt: 1, error: 'connection refused', answered: false }
      if (mode === 'not-serving') return { healthy: false, rtt: 1, error: 'instance reports NOT_SERVING', answered: true, checks: [] }
      // 'slow' answers after slowMs unless its deadline passes first; 'hang' only ends with its deadline.
      return await new Promise<ProbeResult>(resolve => {
        const timer = mode === 'slow' ? setTimeout(() => { resolve({ healthy: true, rtt: init.slowMs!, answered: true, checks: [] }) }, init.slowMs) : undefined
        signal.addEventListener('abort', () => {
          clearTimeout(timer)
          resolve({ healthy: false, rtt: 0, error: 'deadline passed', answered: false })
        }, { once: true })
      })
    } finally {
      running--
      probe.ended = Date.now()
    }
  })
  t.mock.method(ProbeSessions.prototype, 'hangUp', (peerId: string) => { hungUp.push(peerId) })
  t.mock.method(ProbeSessions.prototype, 'forget', (peerId: string) => { forgotten.push(peerId) })
  t.mock.method(ProbeSessions.prototype, 'closeAll', () => {})
  let kept: ((peerId: string) => boolean) | undefined
  const components = {
    logger: { forComponent: () => Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) },
    services: { connections: { keep: (predicate: (peerId: string) => boolean) => { kept = predicate; return () => { kept = undefined } } } }
  } as unknown as ProberComponents
  const prober = new Prober(components, {
    network: 'development',
    interval: 1000,
    timeout: 500,
    unhealthyThreshold: 2,
    targets: () => new Map(targets),
    onDown: (peerId, reason) => { downs.push({ peerId, reason }) },
    onUp: peerId => { ups.push(peerId) },
    onHealthChange: (peerId, health) => { changes.push({ peerId, health }) },
    ...init
  })
  t.after(() => { prober.stop() })
  return {
    prober, behaviour, targets, probes, hungUp, forgotten, downs, ups, changes,
    startsOf: (peerId: string) => probes.filter(p => p.peerId === peerId).map(p => p.at),
    peak: () => peak,
    running: () => running,
    released: () => kept === undefined,
    /** Moves the mock clock `ms` forward in `step` ms steps, letting probe results settle after each. */
    advance: async (ms: number, step = 10) => {
      await settle()
      for (let done = 0; done < ms; done += step) {
        t.mock.timers.tick(Math.min(step, ms - done))
        await settle()
      }
    }
  }
}

/** The longest wait between two probes of one target (and before its first, and after its last), over [0, end]. */
function longestGap (starts: number[], end: number): number {
  return Math.max(...[...starts, end].map((at, i) => at - (i === 0 ? 0 : starts[i - 1])))
}

describe('Prober', () => {
  it('spreads a round\'s probes over the interval rather than starting them at once, and probes each target every interval', async t => {
    const h = harness(t, { interval: 1000 }, 100)
    h.prober.start()
    await h.advance(1000 + 999, 5)
    const firstRound = h.probes.filter(p => p.at < 2000).map(p => p.at)
    assert.equal(firstRound.length, 100, 'every target probed in the first round')
    assert.ok(Math.max(...firstRound) - Math.min(...firstRound) >= 900, `first round spans ${Math.max(...firstRound) - Math.min(...firstRound)} ms`)
    // 100 probes over 1000 ms: one per 10 ms; no 50 ms holds more than a handful.
    const busiest = Math.max(...firstRound.map(at => firstRound.filter(x => x >= at && x < at + 50).length))
    assert.ok(busiest <= 7, `${busiest} probes started within 50 ms`)
    await h.advance(5000, 5)
    for (let i = 0; i < 100; i++) {
      const starts = h.startsOf(`peer-${i}`)
      assert.equal(starts.length, 6, `peer-${i} probed once a round`)
      for (let r = 1; r < starts.length; r++) assert.ok(Math.abs(starts[r] - starts[r - 1] - 1000) <= 20, `peer-${i}: ${starts[r] - starts[r - 1]} ms between probes`)
    }
  })

  it('runs at most 64 probes at once, and with 150 slow targets probes every one within 2 × interval + (⌈N/64⌉ + 1) × timeout, again and again', async t => {
    const N = 150
    const interval = 1000
    const timeout = 1000
    const h = harness(t, { interval, timeout, slowMs: 900 }, N)
    for (const peerId of h.targets.keys()) h.behaviour.set(peerId, 'slow')
    const bound = 2 * interval + (Math.ceil(N / ROUND_PROBE_SLOTS) + 1) * timeout
    h.prober.start()
    const END = 30_000
    await h.advance(END)
    assert.equal(h.peak(), MAX_CONCURRENT_PROBES, 'the cap is reached and never passed')
    for (const peerId of h.targets.keys()) {
      const starts = h.startsOf(peerId)
      assert.ok(starts.length >= 10, `${peerId} probed ${starts.length} times in ${END} ms`)
      assert.ok(longestGap(starts, END) <= bound, `${peerId} waited ${longestGap(starts, END)} ms for a probe (bound ${bound} ms)`)
    }
    assert.deepEqual(h.downs, [], 'a slow target that answers within its deadline is never marked down')
  })

  it('drops a removed target from a queue backed up behind the cap at the next round, and never probes it again', async t => {
    const h = harness(t, { interval: 1000, timeout: 1000, slowMs: 900 }, 150)
    for (const peerId of h.targets.keys()) h.behaviour.set(peerId, 'slow')
    h.prober.start()
    await h.advance(1500)
    // Half a round in, the last 50 are still queued (64 probes of 900 ms at once cannot start 150 in a round).
    const removed = [...h.targets.keys()].slice(100)
    assert.ok(removed.some(peerId => h.startsOf(peerId).length === 0), 'some of them are still waiting')
    for (const peerId of removed) h.targets.delete(peerId)
    await h.advance(10_500)
    assert.deepEqual(h.probes.filter(p => p.at > 2000 && removed.includes(p.peerId)), [])
    for (const peerId of h.targets.keys()) assert.ok(h.startsOf(peerId).length >= 5, `${peerId} is still probed`)
  })

  it('keeps the bound for targets that answer while most others stop answering at once', async t => {
    const N = 150
    const h = harness(t, { interval: 1000, timeout: 1000, unhealthyThreshold: 2 }, N)
    const bound = 2 * 1000 + (Math.ceil(N / ROUND_PROBE_SLOTS) + 1) * 1000
    h.prober.start()
    await h.advance(10_000)
    // A partition: 140 of the 150 stop answering in the same moment; the last 10 go on answering at once.
    const silent = [...h.targets.keys()].slice(0, 140)
    for (const peerId of silent) h.behaviour.set(peerId, 'hang')
    await h.advance(20_000)
    for (const peerId of [...h.targets.keys()].slice(140)) {
      const starts = h.startsOf(peerId)
      const gaps = starts.slice(1).map((at, i) => at - starts[i])
      assert.ok(Math.max(...gaps) <= bound, `${peerId} waited ${Math.max(...gaps)} ms between two probes (bound ${bound} ms)`)
    }
    assert.equal(h.downs.length, 140)
  })

  it('does not probe, nor judge, a target that left while its confirmation waited for one of the 32 urgent slots', async t => {
    // 40 silent targets: each first probe misses, and 40 confirmations ask for the 32 urgent slots.
    const h = harness(t, { interval: 400, timeout: 1000, unhealthyThreshold: 1 }, 40)
    for (const peerId of h.targets.keys()) h.behaviour.set(peerId, 'hang')
    h.prober.start()
    await h.advance(2000)
    h.targets.delete('peer-39')
    await h.advance(400)
    const leftAt = Date.now()
    await h.advance(6000)
    assert.deepEqual(h.startsOf('peer-39').filter(at => at > leftAt), [], 'probed after it left the targets')
    assert.ok(!h.downs.some(d => d.peerId === 'peer-39'), 'judged after it left the targets')
  })

  it('makes a target that stops answering suspect, then down after unhealthyThreshold misses and a confirmation with twice the deadline, once', async t => {
    const h = harness(t, { interval: 5000, timeout: 500, unhealthyThreshold: 2 }, 1)
    h.prober.start()
    await h.advance(6000)
    assert.equal(h.prober.healthOf('peer-0')?.status, 'passing')
    h.behaviour.set('peer-0', 'hang')
    const stoppedAt = h.probes.length
    await h.advance(5000)
    // First miss (its round probe timed out): suspect, still up, probed again SUSPECT_RETRY_MS later.
    assert.equal(h.prober.healthOf('peer-0')?.status, 'suspect')
    assert.equal(h.prober.isDown('peer-0'), false)
    assert.deepEqual(h.downs, [])
    await h.advance(3000)
    const [miss, retry, confirm, ...rest] = h.probes.slice(stoppedAt)
    assert.equal(miss.ended! - miss.at, 500)
    assert.equal(retry.at - miss.ended!, SUSPECT_RETRY_MS)
    // Second miss: the threshold; a confirmation at once with 2 × timeout, and only then down.
    assert.equal(confirm.at, retry.ended)
    assert.equal(confirm.ended! - confirm.at, CONFIRM_TIMEOUTS * 500)
    assert.deepEqual(rest, [])
    assert.deepEqual(h.downs, [{ peerId: 'peer-0', reason: 'deadline passed' }])
    assert.equal(h.prober.isDown('peer-0'), true)
    assert.equal(h.prober.healthOf('peer-0')?.status, 'failing')
    assert.deepEqual(h.hungUp, ['peer-0'], 'its connections were aborted, so that the next probe dials afresh')
    assert.deepEqual(h.changes.map(c => c.health.status), ['passing', 'suspect', 'failing'])
    // Still silent: probed every DOWN_PROBE_EVERY rounds from then on, and never reported down again.
    const downAt = h.probes.length
    await h.advance(DOWN_PROBE_EVERY * 4 * 5000)
    assert.equal(h.probes.length - downAt, 4)
    assert.equal(h.downs.length, 1)
    assert.deepEqual(h.ups, [])
  })

  it('brings a down target back up at its first answer, with its miss count reset', async t => {
    const h = harness(t, { interval: 1000, unhealthyThreshold: 2 }, 2)
    h.behaviour.set('peer-0', 'fail')
    h.prober.start()
    await h.advance(5000)
    assert.equal(h.prober.isDown('peer-0'), true)
    assert.equal(h.downs.length, 1)
    h.behaviour.set('peer-0', 'answer')
    // A silent down target is probed every third round: it is back within DOWN_PROBE_EVERY intervals.
    await h.advance(DOWN_PROBE_EVERY * 1000)
    assert.deepEqual(h.ups, ['peer-0'])
    assert.equal(h.prober.isDown('peer-0'), false)
    assert.equal(h.prober.healthOf('peer-0')?.status, 'passing')
    // Misses start from 0 again: one failure makes it suspect, not down.
    h.behaviour.set('peer-0', 'not-serving')
    await h.advance(1000)
    assert.equal(h.prober.healthOf('peer-0')?.status, 'suspect')
    assert.equal(h.downs.length, 1)
    assert.equal(h.prober.healthOf('peer-1')?.status, 'passing', 'the other target was never disturbed')
  })

  it('marks a target answering NOT_SERVING down at the threshold without a confirmation, probes it every round, and takes it back within an interval of passing', async t => {
    const h = harness(t, { interval: 1000, unhealthyThreshold: 3 }, 1)
    h.behaviour.set('peer-0', 'not-serving')
    h.prober.start()
    await h.advance(1000 + 2 * SUSPECT_RETRY_MS + 100)
    assert.equal(h.probes.length, 3, 'three probes, no confirmation')
    assert.deepEqual(h.downs, [{ peerId: 'peer-0', reason: 'instance reports NOT_SERVING' }])
    assert.deepEqual(h.hungUp, [], 'it answered: its connection is kept')
    const downAt = h.probes.length
    await h.advance(4000)
    assert.ok(h.probes.length - downAt >= 4, 'probed every round while it answers')
    h.behaviour.set('peer-0', 'answer')
    await h.advance(1000)
    assert.deepEqual(h.ups, ['peer-0'])
    assert.equal(h.downs.length, 1)
  })

  it('never marks a target down on fewer than unhealthyThreshold consecutive failures', async t => {
    const h = harness(t, { interval: 1000, unhealthyThreshold: 2 }, 1)
    h.prober.start()
    // Every other probe fails: never two in a row.
    for (let i = 0; i < 20; i++) {
      h.behaviour.set('peer-0', i % 2 === 0 ? 'fail' : 'answer')
      const before = h.probes.length
      // The next probe comes within an interval (a round, or a suspect's retry).
      for (let waited = 0; h.probes.length === before && waited <= 1000; waited += 10) await h.advance(10)
      assert.equal(h.probes.length, before + 1, `probe ${i} came within an interval`)
    }
    assert.ok(h.changes.some(c => c.health.status === 'suspect'), 'a failed probe made it suspect')
    assert.deepEqual(h.downs, [])
    assert.equal(h.prober.isDown('peer-0'), false)
  })

  it('probes a target added between rounds from the next round, and stops probing one removed, dropping its state', async t => {
    const h = harness(t, { interval: 1000 }, 2)
    h.behaviour.set('peer-1', 'fail')
    h.prober.start()
    await h.advance(5000)
    assert.equal(h.prober.isDown('peer-1'), true)
    h.targets.set('peer-new', [])
    h.targets.delete('peer-0')
    h.targets.delete('peer-1')
    await h.advance(1000)
    const removedAt = h.probes.length
    await h.advance(10_000)
    const after = h.probes.slice(removedAt).map(p => p.peerId)
    assert.ok(!after.includes('peer-0') && !after.includes('peer-1'), 'no probe of a removed target')
    assert.equal(after.filter(p => p === 'peer-new').length, 10)
    assert.equal(h.prober.healthOf('peer-0'), undefined)
    assert.equal(h.prober.isDown('peer-1'), false)
    assert.deepEqual(h.forgotten.sort(), ['peer-0', 'peer-1'], 'their sessions were closed')
    assert.deepEqual(h.changes.filter(c => c.peerId === 'peer-1').at(-1)?.health, { status: 'unknown', checks: [] }, 'a down target that left is unknown again')
  })

  it('stop() ends every probe, in flight or queued, and no probe starts however far the clock moves', async t => {
    const h = harness(t, { interval: 1000, timeout: 500 }, 100)
    for (const peerId of h.targets.keys()) h.behaviour.set(peerId, 'hang')
    h.prober.start()
    await h.advance(1300)
    assert.ok(h.running() > 0, 'probes in flight when stopped')
    assert.equal(h.released(), false, 'the targets\' connections are kept while probed')
    h.prober.stop()
    await h.advance(0)
    assert.equal(h.running(), 0, 'in-flight probes were aborted')
    const stoppedAt = h.probes.length
    await h.advance(60_000, 100)
    assert.equal(h.probes.length, stoppedAt)
    assert.deepEqual(h.downs, [])
    assert.equal(h.prober.healthOf('peer-0'), undefined)
    assert.equal(h.released(), true, 'the connections are released')
  })
})
