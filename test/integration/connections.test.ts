/**
 * Connections: idle ones are closed, used and kept ones are not (src/node/connection-policy.ts). Real nodes; the
 * policy's sweeps are run with a clock moved forward instead of waiting out the 60 s idle timeout.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { RELAY_DIRECT } from '../../src/constants.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { IDLE_CONNECTION_TIMEOUT_MS } from '../../src/node/connection-policy.js'
import { compareDistance, peerPosition, servicePosition } from '../../src/routing/position.js'
import { TestNetwork, eventually, waitForEvent, watchProbes } from '../helpers/network.js'
import type { Netget, RegistrationResult } from '../../src/index.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'

function libp2p (node: Netget): NetgetLibp2p {
  return (node as unknown as { running: { node: NetgetLibp2p } }).running.node
}

function connectedTo (from: Netget, to: Netget): boolean {
  return libp2p(from).getConnections().some(c => c.remotePeer.toString() === to.peerId)
}

/** The registry client's sessions reach their idle timeout now (as after 45 s without requests). */
async function sessionsIdleOut (node: Netget): Promise<void> {
  await (node as unknown as { client: { connections: { sessions: { expireIdle(): Promise<void> } } } }).client.connections.sessions.expireIdle()
}

function registryConnections (node: Netget, registries: Netget[]): string[] {
  const ids = new Set(registries.map(r => r.peerId))
  return [...new Set(libp2p(node).getConnections().map(c => c.remotePeer.toString()).filter(id => ids.has(id)))]
}

/** Two sweeps an idle timeout apart, as the policy's own timer would run them. */
async function idleOut (node: Netget): Promise<void> {
  const policy = libp2p(node).services.connections
  const now = Date.now()
  await policy.sweep(now)
  await policy.sweep(now + IDLE_CONNECTION_TIMEOUT_MS + 1)
}

describe('connections', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('closes a connection left idle, keeps registries, claimed peers and connections in use', async () => {
    const { nodes: registries, addrs } = await net.registries(2)
    const service = await net.service('DatabaseService', addrs)
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)

    // A probe leaves a client → service connection with no stream once it is answered: idle, nobody keeps it.
    assert.equal((await client._checkNodeHealth(service.peerId)).healthy, true)
    assert.ok(connectedTo(client, service))
    // The probe's stream leaves the connection once both sides closed it (later than the answer, on a busy machine).
    await eventually(async () => libp2p(client).getConnections().every(c => c.remotePeer.toString() !== service.peerId || c.streams.length === 0) ? true : undefined, 2000, 10)
    await idleOut(client)
    await eventually(async () => connectedTo(client, service) ? undefined : true, 2000)
    // Closing an idle connection costs nothing but a new dial the next time.
    assert.equal((await client._checkNodeHealth(service.peerId)).healthy, true)

    // Claimed by a keep() predicate: stays.
    const release = libp2p(client).services.connections.keep(id => id === service.peerId)
    await idleOut(client)
    assert.ok(connectedTo(client, service))
    release()

    // Registries keep each other (their neighbourhood) however idle.
    assert.ok(connectedTo(registries[1], registries[0]))
    await idleOut(registries[1])
    await idleOut(registries[0])
    assert.ok(connectedTo(registries[1], registries[0]))

    // A connection with an open stream (the service's registry session, the client's discovery session) is in use.
    for (const registry of registries) {
      assert.ok(libp2p(service).getConnections().some(c => c.remotePeer.toString() === registry.peerId && c.streams.length > 0))
      await idleOut(registry)
      assert.ok(connectedTo(registry, service), 'a registry keeps the connection its publisher uses')
    }
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
  })

  it('once its sessions idle, a service keeps only its nearest holders and a client no registry', async () => {
    const K = 6
    const { nodes: registries, addrs } = await net.registries(8, 'development', { replicationFactor: K })
    const service = await net.service('QueueService', addrs.slice(0, 1), { replicationFactor: K })
    const client = net.node({ registryNodes: addrs.slice(0, 1), replicationFactor: K })
    assert.equal((await client.discoverServiceNode('QueueService')).length, 1)
    // The first publication went to all K closest: the service met them all.
    assert.ok(registryConnections(service, registries).length >= K)
    const target = servicePosition('development', 'QueueService')
    const nearest = registries.map(r => r.peerId).sort((a, b) => compareDistance(target, peerPosition(a), peerPosition(b))).slice(0, RELAY_DIRECT)
    const dropped: string[] = []
    service.addEventListener('peer:disconnect', evt => { dropped.push(evt.detail) })
    await sessionsIdleOut(service)
    await sessionsIdleOut(client)
    // The nearest holders probe it and get its renewals: those stay; the rest get renewals relayed.
    await eventually(async () => registryConnections(service, registries).sort().join() === [...nearest].sort().join() ? true : undefined, 3000)
    await eventually(async () => registryConnections(client, registries).length === 0 ? true : undefined, 3000)
    // Kept, not closed and redialled (its probers would redial at once, which the check above would not see).
    assert.deepEqual(dropped.filter(id => nearest.includes(id)), [])
    // Closing them costs a dial the next time, nothing else.
    assert.equal((await client.discoverServiceNode('QueueService')).length, 1)
  })

  it('a registry that stops being one of the nearest holders is let go (its connection closed when unused)', async () => {
    const K = 6
    const { nodes: registries, addrs } = await net.registries(7, 'development', { replicationFactor: K })
    const service = await net.service('ReleaseService', addrs.slice(0, 1), { replicationFactor: K, recordTtl: 6000 })
    await sessionsIdleOut(service)
    const target = servicePosition('development', 'ReleaseService')
    const byDistance = (ids: string[]) => [...ids].sort((a, b) => compareDistance(target, peerPosition(a), peerPosition(b)))
    const third = byDistance(registries.map(r => r.peerId))[RELAY_DIRECT - 1]
    await eventually(async () => registryConnections(service, registries).includes(third) ? true : undefined, 3000)
    // A registry whose key puts it among the nearest three joins: the third one is pushed out of them.
    let key = await generateKeyPair('Ed25519')
    for (let i = 0; i < 200 && compareDistance(target, peerPosition(peerIdFromPrivateKey(key)), peerPosition(third)) > 0; i++) key = await generateKeyPair('Ed25519')
    const joined = net.node({ nodeType: 'registry', replicationFactor: K, registryNodes: addrs, privateKey: key })
    await joined.start()
    const all = [...registries, joined]
    // After a renewal the service's nearest holders include the new one.
    await waitForEvent<RegistrationResult>(service, 'republished', 10_000, r => r.registries.includes(joined.peerId))
    // Time passes: the service's sessions idle out, and the old third one's probe stream ends (its health session
    // idles out once it no longer probes). Nothing claims its connection any more; the policy's sweeps close it.
    await sessionsIdleOut(service)
    for (const c of libp2p(service).getConnections().filter(c => c.remotePeer.toString() === third)) await Promise.all(c.streams.map(async st => st.close()))
    await idleOut(service)
    const nearest = byDistance(all.map(r => r.peerId)).slice(0, RELAY_DIRECT)
    await eventually(async () => registryConnections(service, all).includes(third) ? undefined : true, 3000)
    for (const id of nearest) assert.ok(registryConnections(service, all).includes(id), 'a nearest holder was let go')
  })

  it('a registry closes what a client left idle, but keeps the instances it probes', async () => {
    const { nodes: [registry], addrs } = await net.registries(1, 'development', { healthInterval: 200 })
    const service = await net.service('DatabaseService', addrs)
    const probes = watchProbes(registry)
    await eventually(async () => probes.count(service.peerId) > 0 ? true : undefined, 5000)
    probes.stop()
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
    // The client's discovery session ends (as it does by itself after 60 s without requests).
    const session = libp2p(client).getConnections().find(c => c.remotePeer.toString() === registry.peerId)
    assert.ok(session !== undefined)
    await Promise.all(session.streams.map(async s => s.close()))
    await eventually(async () => libp2p(registry).getConnections().some(c => c.remotePeer.toString() === client.peerId && c.streams.length === 0) ? true : undefined, 2000)
    // The service's renewal session ends too: only the prober keeps its connection now.
    for (const c of libp2p(service).getConnections()) await Promise.all(c.streams.map(async s => s.close()))
    await eventually(async () => libp2p(registry).getConnections().every(c => c.streams.every(s => s.protocol !== '/netget/development/registry/1.0.0')) ? true : undefined, 2000)

    await idleOut(registry)
    await eventually(async () => connectedTo(registry, client) ? undefined : true, 2000)
    assert.ok(connectedTo(registry, service), 'the instance it probes stays connected')
  })
})
