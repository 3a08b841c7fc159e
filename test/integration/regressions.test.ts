/**
 * Regressions found by review: each was a failing test first.
 */
import { byteStream } from '@libp2p/utils'
import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { createNode } from '../../src/node/create-node.js'
import { request, serveSession } from '../../src/node/rpc.js'
import { AbortedError, LimitErrorCodes, LimitExceededError, NoRegistryReachableError } from '../../src/index.js'
import { signRecord } from '../../src/records/service-record.js'
import { TestNetwork, eventually } from '../helpers/network.js'

const net = new TestNetwork()
const stopRaws: Array<() => Promise<void>> = []
after(async () => {
  for (const stop of stopRaws) await stop()
  await net.stopAll()
})

it('refuses REPLICATE from a peer that is not a registry (no way around the publish rate)', async () => {
  const { nodes, addrs } = await net.registries(1, 'development', { publishRate: 1, publishBurst: 2 })
  const key = await generateKeyPair('Ed25519')
  const node = await createNode({ privateKey: key, network: 'development', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
  stopRaws.push(async () => { await node.stop() })
  await node.start()
  const ma = multiaddr(addrs[0])
  const reg = peerIdFromString(ma.getComponents().findLast(c => c.name === 'p2p')!.value!)
  await node.peerStore.merge(reg, { multiaddrs: [ma.decapsulateCode(421)] })
  const statuses: string[] = []
  for (let i = 0; i < 10; i++) {
    const now = Date.now()
    const record = await signRecord(key, { network: 'development', name: `S${i}`, addresses: [], metadata: {}, sequence: 1n, issuedAt: now, expiresAt: now + 60_000 })
    const res = await request(node, reg, '/netget/development/registry/1.0.0', { type: RegistryRequest.Type.REPLICATE, record: record as Uint8Array<ArrayBuffer>, name: '', id: i, key: new Uint8Array(0), closer: 0, relay: 0 },
      { request: RegistryRequest, response: RegistryResponse }, { signal: AbortSignal.timeout(5000), maxDataLength: 1 << 22 })
    statuses.push(res.status === RegistryResponse.Status.OK ? 'OK' : res.code)
  }
  assert.ok(statuses.filter(s => s === 'OK').length <= 2, `a peer limited to 2 PUBLISH got ${statuses.filter(s => s === 'OK').length} records stored via REPLICATE`)
  // It is not a registry, so it may not REPLICATE at all; nothing was stored.
  assert.ok(statuses.every(s => s === 'NETGET_ERR_PROTOCOL'), statuses.join(', '))
  assert.equal(nodes[0].getStats().records, 0)
})

it('a complete but undecodable request followed by a half-close is reset, not closed gracefully', async () => {
  const { nodes, addrs } = await net.registries(1)
  const errors: Error[] = []
  nodes[0].addEventListener('error', evt => { errors.push(evt.detail) })
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
  stopRaws.push(async () => { await node.stop() })
  await node.start()
  const ma = multiaddr(addrs[0])
  const reg = peerIdFromString(ma.getComponents().findLast(c => c.name === 'p2p')!.value!)
  await node.peerStore.merge(reg, { multiaddrs: [ma.decapsulateCode(421)] })
  const signal = AbortSignal.timeout(5000)
  const stream = await node.dialProtocol(reg, '/netget/development/registry/1.0.0', { signal })
  const bs = byteStream(stream)
  await bs.write(new Uint8Array([16, ...new Array(16).fill(0xff)]), { signal })
  await stream.close({ signal })
  let outcome = 'closed'
  try {
    while ((await bs.read({ signal })) !== null) outcome = 'answered'
  } catch (err) {
    outcome = (err as Error).name
  }
  assert.equal(outcome, 'StreamResetError')
  assert.equal(errors.length, 1, 'the registry reports the unreadable request on its error event')
})

it('a service given one registry of two publishes to both, and a client given the other finds it', async () => {
  const { nodes, addrs } = await net.registries(2)
  // Long-lived registries know each other: wait until each has the other in its registry table.
  await eventually(async () => nodes.every(n => n.getStats().verifiedRegistries > 0) ? true : undefined, 5000)
  const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: [addrs[0]] })
  const result = await service.registerWithNetwork()
  assert.equal(result.accepted, 2, 'the lookup found the registry the service was not configured with')
  const client = net.node({ registryNodes: [addrs[1]], queryFanout: 1 })
  assert.deepEqual((await client.discoverServiceNode('DatabaseService')).map(f => f.peerId), [service.peerId])
})

/** A raw registry of ours whose DISCOVER answers are whatever `answer` returns, when it returns. */
async function liarRegistry (answer: () => Promise<Array<Uint8Array<ArrayBuffer>>>): Promise<string> {
  const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: true, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
  stopRaws.push(async () => { await node.stop() })
  await node.handle('/netget/development/registry/1.0.0', serveSession({ request: RegistryRequest, response: RegistryResponse }, 1 << 16,
    { timeout: 10_000, idleTimeout: 60_000 }, async () => ({ status: RegistryResponse.Status.OK, code: '', message: '', records: await answer() , closer: [], health: [], gone: [], snapshot: false, settling: false }), () => {}))
  await node.start()
  return node.getMultiaddrs()[0].toString()
}

it('one caller giving up does not fail another caller on the same registry stream', async () => {
  const gate = Promise.withResolvers<void>()
  const address = await liarRegistry(async () => { await gate.promise; return [] })
  const client = net.node({ registryNodes: [address], queryFanout: 1 })
  await client.start()
  const impatient = new AbortController()
  const first = client.discoverServiceNode('DatabaseService', { signal: impatient.signal })
  const second = client.discoverServiceNode('CacheService', { timeout: 5000 })
  impatient.abort()
  await assert.rejects(first, AbortedError)
  gate.resolve()
  assert.deepEqual(await second, [])
})

it('a client refuses an answer with more records than the protocol allows, without decoding them all', async () => {
  const flood = Array.from({ length: 2000 }, () => new Uint8Array(0))
  const address = await liarRegistry(async () => flood)
  const client = net.node({ registryNodes: [address], discoverTimeout: 3000 })
  await assert.rejects(client.discoverServiceNode('DatabaseService'), NoRegistryReachableError)
})

it('stop() while registerWithNetwork() is in flight still withdraws the record', async () => {
  const { addrs } = await net.registries(1)
  const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: addrs })
  const registering = service.registerWithNetwork()
  registering.catch(() => {})
  await service.start()
  await service.stop()
  await registering.catch(() => {})
  const client = net.node({ registryNodes: addrs })
  assert.deepEqual(await client.discoverServiceNode('DatabaseService'), [])
})

it('a registry does not count the clients that asked it something as registries', async () => {
  const { nodes, addrs } = await net.registries(1)
  const client = net.node({ registryNodes: addrs })
  await client.discoverServiceNode('DatabaseService')
  const known = await (nodes[0] as unknown as { running: { client: { knownRegistries(): Promise<string[]> } } }).running.client.knownRegistries()
  assert.ok(!known.includes(client.peerId), 'the client is not a registry')
})

it('a discovery every registry refused over its rate fails with that refusal (LimitExceededError), and the registry is asked again at once', async () => {
  const { addrs } = await net.registries(1, 'development', { discoverRate: 1 })
  await net.service('Limited', addrs)
  const client = net.node({ registryNodes: addrs })
  // A burst of 2 then 1 per second: uncached discoveries in a row run into the limit.
  let refused: unknown
  for (let i = 0; i < 10 && refused === undefined; i++) {
    await client.discoverServiceNode('Limited').catch((err: unknown) => { refused = err })
  }
  assert.ok(refused instanceof LimitExceededError, `expected LimitExceededError, got ${String(refused)}`)
  assert.equal(refused.code, LimitErrorCodes.RATE)
  assert.match(refused.message, /every registry asked for "Limited" refused: 12D3KooW\w+: NETGET_ERR_RATE_LIMITED/)
  // Not "no registry reachable", and not dropped for a route's lifetime (30 s): once the budget refills it answers.
  const found = await eventually(async () => {
    const instances = await client.discoverServiceNode('Limited').catch(() => undefined)
    return instances !== undefined && instances.length === 1 ? instances : undefined
  }, 5000, 250)
  assert.equal(found.length, 1)
})

it('a record carries at most 32 addresses: every announced one, then as many of the node\'s own multiaddrs as fit', async () => {
  const { addrs } = await net.registries(1)
  const announce = Array.from({ length: 31 }, (_, i) => `http://127.0.0.1:${8000 + i}`)
  const service = net.node({ registryNodes: addrs, metadata: { name: 'Crowded' }, announce, listen: ['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0'] })
  const { instance } = await service.registerWithNetwork()
  assert.equal(instance.addresses.length, 32)
  assert.deepEqual(instance.addresses.slice(1), announce)
  assert.equal(instance.addresses[0], service.getMultiaddrs()[0])
  const client = net.node({ registryNodes: addrs })
  const [found] = await client.discoverServiceNode('Crowded')
  assert.equal(found.addresses.length, 32)
})
