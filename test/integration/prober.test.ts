/**
 * The prober at scale: a registry holding more instances than it probes at once (64) still probes every one of
 * them every few rounds, and finds a crashed one among them within the documented bound.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { MAX_CONCURRENT_PROBES, ROUND_PROBE_SLOTS } from '../../src/health/prober.js'
import { TestNetwork, eventually, waitForEvent, watchProbes } from '../helpers/network.js'

const INSTANCES = 80
const HEALTH = { healthInterval: 200, healthTimeout: 500, unhealthyThreshold: 2 }
/** prober.ts: a target is probed again at most 2 × interval + (⌈N / 32⌉ + 1) × timeout after its last probe. */
const PROBE_PERIOD_BOUND = 2 * HEALTH.healthInterval + (Math.ceil(INSTANCES / ROUND_PROBE_SLOTS) + 1) * HEALTH.healthTimeout

describe('prober with more instances than concurrent probes', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('probes every instance, again and again, and marks a crashed one down within the bound', async t => {
    assert.ok(INSTANCES > MAX_CONCURRENT_PROBES)
    const { nodes, addrs } = await net.registries(1, 'development', HEALTH)
    const registry = nodes[0]
    // The answers the registry's prober records, per instance.
    const services = await net.services(INSTANCES, i => `Svc${i % 8}`, addrs, { healthTimeout: 300 })
    const probes = watchProbes(registry)
    const counts = (): number[] => services.map(s => probes.count(s.peerId))
    const falseDowns: string[] = []
    registry.addEventListener('instance:down', evt => { falseDowns.push((evt as CustomEvent<{ peerId: string }>).detail.peerId) })

    // Every instance, including the ones beyond the first 64, answers probes in at least 3 separate rounds.
    const start = counts()
    await eventually(async () => counts().every((n, i) => n - start[i] >= 3) ? true : undefined, 3 * PROBE_PERIOD_BOUND + 5000)
    probes.stop()

    // A crash among them (no withdrawal): marked down within unhealthyThreshold probe periods.
    const victim = services[INSTANCES - 1]
    const down = waitForEvent<{ peerId: string }>(registry, 'instance:down', HEALTH.unhealthyThreshold * PROBE_PERIOD_BOUND + 1000,
      d => d.peerId === victim.peerId)
    const crashedAt = performance.now()
    await (victim as unknown as { running: { node: { stop(): Promise<void> } } }).running.node.stop()
    await down
    const elapsed = performance.now() - crashedAt
    t.diagnostic(`crash of 1 of ${INSTANCES} instances marked down after ${Math.round(elapsed)} ms (bound ${HEALTH.unhealthyThreshold * PROBE_PERIOD_BOUND} ms)`)
    assert.ok(elapsed <= HEALTH.unhealthyThreshold * PROBE_PERIOD_BOUND + 1000, `marked down after ${Math.round(elapsed)} ms`)
    assert.deepEqual(falseDowns, [victim.peerId], 'no healthy instance was marked down')

    // And discovery stops returning it.
    const client = net.node({ registryNodes: addrs })
    const found = await client.discoverServiceNode(`Svc${(INSTANCES - 1) % 8}`)
    assert.equal(found.length, INSTANCES / 8 - 1)
    assert.ok(!found.some(f => f.peerId === victim.peerId))
  })
})
