/**
 * Named health checks end to end: a failing check takes its instance out of discovery with the check's result
 * visible on the registry, and it comes back with every check passing. Probe answers are the probed peer's own,
 * of the right network.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { TestNetwork, eventually, waitForEvent } from '../helpers/network.js'

const FAST = { healthInterval: 200, healthTimeout: 300, unhealthyThreshold: 2 }

describe('named health checks', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('a failing check takes the instance out with its result visible, and it comes back when it passes', async () => {
    const { nodes: [registry], addrs } = await net.registries(1, 'development', FAST)
    let dbUp = true
    const service = await net.service('Orders', addrs, {
      healthCheckInterval: 100,
      healthChecks: { db: () => dbUp ? 'primary reachable' : false, disk: () => true }
    })
    const client = net.node({ registryNodes: addrs })
    await eventually(async () => registry.listRecords('Orders')[0]?.health.status === 'passing' ? true : undefined, 5000, 10)
    const [first] = await client.discoverServiceNode('Orders')
    assert.equal(first.peerId, service.peerId)
    assert.equal(first.health.status, 'passing')

    const down = waitForEvent<{ peerId: string, reason: string }>(registry, 'instance:down', 5000, d => d.peerId === service.peerId)
    dbUp = false
    const { reason } = await down
    assert.match(reason, /NOT_SERVING.*db: returned false/)
    const [held] = registry.listRecords('Orders')
    assert.equal(held.down, true)
    assert.equal(held.health.status, 'failing')
    assert.deepEqual(held.health.checks.map(c => [c.name, c.passing, c.output]).sort(), [['db', false, 'returned false'], ['disk', true, '']])
    assert.deepEqual(await client.discoverServiceNode('Orders'), [])

    const up = waitForEvent<{ peerId: string }>(registry, 'instance:up', 5000, d => d.peerId === service.peerId)
    dbUp = true
    await up
    const [back] = await client.discoverServiceNode('Orders')
    assert.equal(back.peerId, service.peerId)
    assert.equal(back.health.status, 'passing')
    assert.ok(back.health.lastSeen !== undefined && back.health.lastSeen <= Date.now())
    assert.deepEqual(back.health.checks.map(c => [c.name, c.passing, c.output]).sort(), [['db', true, 'primary reachable'], ['disk', true, '']])
    assert.ok(back.health.load !== undefined && back.health.load.rss > 0)
  })

  it('a probe is answered by the probed peer only, and only on its own network', async () => {
    const { addrs } = await net.registries(1)
    const service = await net.service('Orders', addrs)
    const other = net.node({ network: 'production' })
    await other.start()
    const client = net.node({ registryNodes: addrs })
    // Another peer's addresses under this peer's id: Noise refuses the connection (the key does not match).
    const impostor = await client._checkNodeHealth({ peerId: service.peerId, addresses: other.getMultiaddrs().map(a => a.replace(other.peerId, service.peerId)) })
    assert.equal(impostor.healthy, false)
    assert.equal(impostor.answered, false)
    // A node of another network has no health protocol of this one.
    const foreign = await client._checkNodeHealth({ peerId: other.peerId, addresses: other.getMultiaddrs() })
    assert.equal(foreign.healthy, false)
    assert.equal(foreign.answered, false)
    assert.equal((await client._checkNodeHealth({ peerId: service.peerId, addresses: service.getMultiaddrs() })).healthy, true)
  })
})
