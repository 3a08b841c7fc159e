/**
 * A registry that just joined the network, or saw a registry leave, may have just entered a name's closest set
 * and still be receiving its records: it says so (`settling`), and a client that asked only it asks the next
 * closest too. One registry's empty answer is not taken alone either.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_REGISTRY_MESSAGE_BYTES, registryProtocol } from '../../src/constants.js'
import { createNode } from '../../src/node/create-node.js'
import { request } from '../../src/node/rpc.js'
import { TestNetwork, eventually } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'

const EMPTY = new Uint8Array(0)

/** The `settling` flag of a DISCOVER answer from `registry`, asked over the wire. */
async function settlingFlag (registry: Netget, name: string): Promise<boolean> {
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
  await node.start()
  try {
    const peer = peerIdFromString(registry.peerId)
    await node.peerStore.merge(peer, { multiaddrs: [multiaddr(registry.getMultiaddrs()[0]).decapsulateCode(421)] })
    const response = await request(node, peer, registryProtocol('development'),
      { type: RegistryRequest.Type.DISCOVER, name, id: 1, closer: 0, record: EMPTY, key: EMPTY, relay: 0 },
      { request: RegistryRequest, response: RegistryResponse }, { signal: AbortSignal.timeout(5000), maxDataLength: MAX_REGISTRY_MESSAGE_BYTES })
    assert.equal(response.status, RegistryResponse.Status.OK)
    return response.settling
  } finally {
    await node.stop()
  }
}

/** Requests one more discovery of `name` costs `client`, and what it found. */
async function cost (client: Netget, name: string): Promise<{ requests: number, found: number }> {
  const before = client.getStats().requests
  const found = (await client.discoverServiceNode(name)).length
  return { requests: client.getStats().requests - before, found }
}

describe('settling registries', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('a registry that just joined answers settling, and a client confirms its answer with a second registry', async () => {
    const { nodes, addrs } = await net.registries(2, 'development', { settlingTime: 60_000 })
    for (let i = 0; i < 2; i++) await net.service('Joined', addrs)
    // Both registries met each other just now: both settling.
    for (const registry of nodes) assert.equal(await settlingFlag(registry, 'Joined'), true)
    const client = net.node({ registryNodes: addrs })
    await client.discoverServiceNode('Joined')
    const warm = await cost(client, 'Joined')
    assert.equal(warm.found, 2)
    // One request to the closest, then (its answer settling) a lookup until the 2 closest answered.
    assert.ok(warm.requests >= 2, `${warm.requests} requests`)
  })

  it('a registry past its settling time is taken alone', async () => {
    const { nodes, addrs } = await net.registries(3, 'development', { settlingTime: 1 })
    for (let i = 0; i < 2; i++) await net.service('Settled', addrs)
    const client = net.node({ registryNodes: addrs })
    await client.discoverServiceNode('Settled')
    for (const registry of nodes) assert.equal(await settlingFlag(registry, 'Settled'), false)
    assert.deepEqual(await cost(client, 'Settled'), { requests: 1, found: 2 })
  })

  it('a registry settles again when another leaves', async () => {
    const { nodes: [a, b] } = await net.registries(2, 'development', { settlingTime: 60_000 })
    await eventually(async () => a.getStats().verifiedRegistries === 1 ? true : undefined, 5000)
    // As if it had started and joined long ago: only the leave can make it settle now.
    const internals = a as unknown as { table: { firstVerifiedAt: number }, registry: { startedAt: number } }
    internals.table.firstVerifiedAt = 1
    internals.registry.startedAt = 1
    assert.equal(await settlingFlag(a, 'Any'), false)
    await b.stop()
    await eventually(async () => a.getStats().verifiedRegistries === 0 ? true : undefined, 5000)
    assert.equal(await settlingFlag(a, 'Any'), true)
  })

  it('a registry that just started settles even before it meets another (a restart serves only what is republished)', async () => {
    const { nodes: [alone] } = await net.registries(1, 'development', { settlingTime: 60_000 })
    assert.equal(alone.getStats().verifiedRegistries, 0)
    assert.equal(await settlingFlag(alone, 'Any'), true)
  })

  it('an empty answer is confirmed by a second registry', async () => {
    const { addrs } = await net.registries(2, 'development', { settlingTime: 0 })
    const client = net.node({ registryNodes: addrs })
    await client.discoverServiceNode('Nobody')
    const warm = await cost(client, 'Nobody')
    assert.equal(warm.found, 0)
    assert.ok(warm.requests >= 2, `${warm.requests} requests: one registry's empty answer was taken alone`)
  })
})
