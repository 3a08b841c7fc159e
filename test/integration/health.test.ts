/**
 * Health: registries probe the instances they hold; an unresponsive instance drops out of results
 * and comes back when it answers again.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { TestNetwork, eventually, waitForEvent } from '../helpers/network.js'

const FAST_HEALTH = { healthInterval: 100, healthTimeout: 500, unhealthyThreshold: 2 }

describe('health', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('hides an instance whose health check fails and shows it again when it passes', async () => {
    const { nodes, addrs } = await net.registries(1, 'development', FAST_HEALTH)
    const registry = nodes[0]
    let healthy = true
    const flaky = await net.service('DatabaseService', addrs, { healthCheck: () => healthy, healthCheckInterval: 100 })
    const steady = await net.service('DatabaseService', addrs)
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 2)

    const down = waitForEvent<{ peerId: string }>(registry, 'instance:down', 5000, d => d.peerId === flaky.peerId)
    healthy = false
    await down
    assert.deepEqual((await client.discoverServiceNode('DatabaseService')).map(f => f.peerId), [steady.peerId])

    const up = waitForEvent<{ peerId: string }>(registry, 'instance:up', 5000, d => d.peerId === flaky.peerId)
    healthy = true
    await up
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 2)
  })

  it('hides a crashed instance (no withdrawal) once it stops answering probes', async () => {
    const { nodes, addrs } = await net.registries(1, 'development', FAST_HEALTH)
    const crashed = await net.service('DatabaseService', addrs)
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
    const down = waitForEvent<{ peerId: string }>(nodes[0], 'instance:down', 5000, d => d.peerId === crashed.peerId)
    // Stop the libp2p node underneath without the clean withdrawal a stop() does: what a crash looks like.
    await (crashed as unknown as { running: { node: { stop(): Promise<void> } } }).running.node.stop()
    await down
    assert.deepEqual(await client.discoverServiceNode('DatabaseService'), [])
  })

  it('probes an instance directly with _checkNodeHealth and with discover({ probe: true })', async () => {
    const { addrs } = await net.registries(1)
    let healthy = true
    const service = await net.service('DatabaseService', addrs, { healthCheck: async () => healthy, healthCheckInterval: 100 })
    const client = net.node({ registryNodes: addrs })
    const [instance] = await client.discoverServiceNode('DatabaseService')
    const ok = await client._checkNodeHealth(instance)
    assert.equal(ok.healthy, true)
    assert.ok(ok.rtt >= 0)
    healthy = false
    // The service runs its check every healthCheckInterval (probes read its last result), so the change shows
    // within that. By peer id alone: the addresses come from the record discovery saw.
    const bad = await eventually(async () => {
      const result = await client._checkNodeHealth(service.peerId)
      return result.healthy ? undefined : result
    }, 3000)
    assert.equal(bad.healthy, false)
    assert.deepEqual(await client.discoverServiceNode('DatabaseService', { probe: true }), [])
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
  })
})
