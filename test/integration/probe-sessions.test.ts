/**
 * How a registry's probes reach an instance: pipelined on one kept health/2.0.0 stream, spread over the round,
 * with 1.0.0 for an instance that lacks 2.0.0, and a hang-up on one that stops answering.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { healthProtocol, healthSessionProtocol } from '../../src/constants.js'
import { TestNetwork, eventually, waitForEvent, watchProbes } from '../helpers/network.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'
import type { Netget } from '../../src/index.js'

const HEALTH = { healthInterval: 200, healthTimeout: 500, unhealthyThreshold: 2 }
const SESSION = healthSessionProtocol('development')
const ONE_SHOT = healthProtocol('development')

function libp2pOf (node: Netget): NetgetLibp2p {
  return (node as unknown as { running: { node: NetgetLibp2p } }).running.node
}

/** Ids of the health streams of `protocol` open on `node`'s connections to `peer`. */
function healthStreams (node: Netget, peer: string, protocol: string): string[] {
  return libp2pOf(node).getConnections().filter(c => c.remotePeer.toString() === peer)
    .flatMap(c => c.streams).filter(s => s.protocol === protocol).map(s => s.id)
}

describe('probe sessions', () => {
  const net = new TestNetwork()
  afterEach(async () => { await net.stopAll() })

  it('a registry probes an instance round after round on one kept stream', async () => {
    const { nodes, addrs } = await net.registries(1, 'development', HEALTH)
    const registry = nodes[0]
    const seen: string[][] = []
    const service = await net.service('Pipelined', addrs, { healthTimeout: 100 })
    // At each answer the registry records, the service's health streams from it.
    const probes = watchProbes(registry, () => { seen.push(healthStreams(service, registry.peerId, SESSION)) })
    await eventually(async () => seen.length >= 6 ? true : undefined, 10_000)
    probes.stop()
    const ids = new Set(seen.slice(1).flat())
    assert.equal(ids.size, 1, `probes came on streams ${[...ids].join(', ')}`)
    assert.ok(seen.slice(1).every(s => s.length === 1), 'one health/2.0.0 stream at a time')
  })

  it('spreads a round\'s probes over the interval instead of sending them at once', async () => {
    const interval = 1000
    const { nodes: [registry], addrs } = await net.registries(1, 'development', { ...HEALTH, healthInterval: interval })
    const INSTANCES = 10
    const services = await net.services(INSTANCES, i => `Spread${i % 2}`, addrs, { healthTimeout: 100 })
    const probes = watchProbes(registry)
    // Two full rounds after every instance was first probed.
    await eventually(async () => services.every(s => probes.count(s.peerId) >= 3) ? true : undefined, 10 * interval)
    probes.stop()
    const firsts = services.map(s => probes.times(s.peerId).at(-1) ?? 0).sort((a, b) => a - b)
    const span = firsts[firsts.length - 1] - firsts[0]
    // All at once would be a few ms; spread evenly, 10 probes are ~100 ms apart (9 gaps ≈ 900 ms).
    assert.ok(span >= interval / 2, `a round's probes spanned ${Math.round(span)} ms`)
  })

  it('probes an instance without health/2.0.0 with 1.0.0, and keeps it up', async () => {
    const { nodes, addrs } = await net.registries(1, 'development', HEALTH)
    const registry = nodes[0]
    const service = await net.service('Older', addrs, { healthTimeout: 100 })
    // As an instance of a netget before 2.0.0: it answers 1.0.0 only.
    await libp2pOf(service).unhandle(SESSION)
    const downs: string[] = []
    registry.addEventListener('instance:down', evt => { downs.push((evt as CustomEvent<{ peerId: string }>).detail.peerId) })
    const probes = watchProbes(registry)
    await eventually(async () => probes.count(service.peerId) >= 5 ? true : undefined, 10_000)
    probes.stop()
    assert.deepEqual(downs, [])
    assert.deepEqual(healthStreams(service, registry.peerId, SESSION), [])
    const client = net.node({ registryNodes: addrs })
    assert.deepEqual((await client.discoverServiceNode('Older')).map(i => i.peerId), [service.peerId])
    assert.ok(ONE_SHOT.endsWith('/1.0.0'))
  })

  it('hangs up on an instance that stops answering, and dials it again when it answers', async () => {
    const { nodes, addrs } = await net.registries(1, 'development', HEALTH)
    const registry = nodes[0]
    const service = await net.service('Mute', addrs, { healthTimeout: 100 })
    const node = libp2pOf(service)
    const firstConnection = await eventually(async () => node.getConnections().find(c => c.remotePeer.toString() === registry.peerId)?.id, 5000)
    // It stops answering probes (its process is alive, its health handler silent): streams are held, never answered.
    const held: Array<{ abort(err: Error): void }> = []
    await node.unhandle([SESSION, ONE_SHOT])
    await node.handle([SESSION, ONE_SHOT], stream => { held.push(stream) })
    for (const s of node.getConnections().flatMap(c => c.streams).filter(s => s.protocol === SESSION)) s.abort(new Error('test: mute'))
    const down = waitForEvent<{ peerId: string }>(registry, 'instance:down', 10_000, d => d.peerId === service.peerId)
    await down
    // The connection it answered nothing on was aborted by the registry.
    await eventually(async () => node.getConnections().some(c => c.id === firstConnection) ? undefined : true, 5000)
    // It answers again: the registry dials it and marks it up.
    const up = waitForEvent<{ peerId: string }>(registry, 'instance:up', 10_000, d => d.peerId === service.peerId)
    await node.unhandle([SESSION, ONE_SHOT])
    for (const s of held) s.abort(new Error('test: done'))
    const { HealthService } = await import('../../src/health/health-service.js')
    await new HealthService(node, { network: 'development', timeout: 100, checks: {}, checkInterval: 5000, onError: () => {} }).start()
    await up
  })
})
