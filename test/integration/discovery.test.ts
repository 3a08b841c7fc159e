/**
 * Register and discover over real libp2p nodes on loopback TCP: registries (kad-dht servers), services, clients.
 */
import assert from 'node:assert/strict'
import { after, afterEach, describe, it } from 'node:test'
import { AbortedError, NoRegistryReachableError, PublishFailedError, NotAServiceError, TimeoutError } from '../../src/index.js'
import { TestNetwork, waitForEvent } from '../helpers/network.js'

describe('register and discover', () => {
  const net = new TestNetwork()
  afterEach(async () => { await net.stopAll() })
  after(async () => { await net.stopAll() })

  it('finds every instance of a service, each with its peer id, addresses and metadata', async () => {
    const { addrs } = await net.registries(2)
    const services = await Promise.all([0, 1, 2].map(async i =>
      net.service('DatabaseService', addrs, { metadata: { description: 'Provides database functionalities', shard: i } })))
    const client = net.node({ registryNodes: addrs })
    const found = await client.discoverServiceNode('DatabaseService')
    assert.deepEqual(found.map(f => f.peerId).sort(), services.map(s => s.peerId).sort())
    for (const instance of found) {
      const service = services.find(s => s.peerId === instance.peerId)
      assert.ok(service !== undefined)
      assert.equal(instance.name, 'DatabaseService')
      assert.equal(instance.network, 'development')
      assert.equal(instance.metadata.description, 'Provides database functionalities')
      assert.equal(instance.metadata.shard, service.metadata.shard)
      assert.deepEqual(instance.addresses, service.getMultiaddrs())
      assert.ok(instance.addresses.every(a => a.endsWith(`/p2p/${instance.peerId}`)))
      assert.ok(instance.expiresAt > Date.now())
    }
  })

  it('reports how many registries stored the record, and announces extra endpoints', async () => {
    const { addrs } = await net.registries(2)
    const service = net.node({ metadata: { name: 'ApiService' }, registryNodes: addrs, announce: ['http://127.0.0.1:8080'] })
    const result = await service.registerWithNetwork()
    assert.equal(result.accepted, 2)
    assert.equal(result.registries.length, 2)
    assert.equal(result.instance.peerId, service.peerId)
    const [instance] = await net.node({ registryNodes: addrs }).discoverServiceNode('ApiService')
    assert.ok(instance.addresses.includes('http://127.0.0.1:8080'))
  })

  it('ready() resolves once a registry answered, with its request session open', async () => {
    const { addrs } = await net.registries(1)
    await net.service('ReadyService', addrs)
    const client = net.node({ registryNodes: addrs })
    await client.ready()
    assert.ok(client.getStats().requests >= 1, 'ready() asked a registry')
    // Its request session is open: what a discovery or registration then uses, with no set-up of its own.
    const node = (client as unknown as { running: { node: { getConnections(): Array<{ streams: Array<{ protocol?: string }> }> } } }).running.node
    assert.ok(node.getConnections().some(c => c.streams.some(st => st.protocol === '/netget/development/registry/1.0.0')))
    assert.equal((await client.discoverServiceNode('ReadyService')).length, 1)
    // With no registry that answers, it says so within its deadline.
    const lost = net.node({ registryNodes: ['/ip4/127.0.0.1/tcp/9/p2p/12D3KooWQzxW3LVytmZ2VMKuMQyYzt7bdw4iYC6Qf5ohqvWHa4q5'] })
    await assert.rejects(lost.ready({ timeout: 1000 }), NoRegistryReachableError)
  })

  it('keeps two services apart', async () => {
    const { addrs } = await net.registries(2)
    const db = await net.service('DatabaseService', addrs)
    const cache = await Promise.all([0, 1].map(async () => net.service('CacheService', addrs)))
    const client = net.node({ registryNodes: addrs })
    assert.deepEqual((await client.discoverServiceNode('DatabaseService')).map(f => f.peerId), [db.peerId])
    assert.deepEqual((await client.discoverServiceNode('CacheService')).map(f => f.peerId).sort(), cache.map(s => s.peerId).sort())
  })

  it('returns [] quickly for a name nobody registered', async () => {
    const { addrs } = await net.registries(2)
    await net.service('DatabaseService', addrs)
    const client = net.node({ registryNodes: addrs, discoverTimeout: 3000 })
    assert.deepEqual(await client.discoverServiceNode('NoSuchService'), [])
  })

  it('returns the new metadata after registerWithNetwork() is called again, with a higher sequence', async () => {
    const { addrs } = await net.registries(2)
    const service = await net.service('DatabaseService', addrs, { metadata: { version: '1' } })
    const client = net.node({ registryNodes: addrs })
    const [first] = await client.discoverServiceNode('DatabaseService')
    assert.equal(first.metadata.version, '1')
    service.metadata = { ...service.metadata, version: '2' }
    await service.registerWithNetwork()
    const [second] = await client.discoverServiceNode('DatabaseService')
    assert.equal(second.metadata.version, '2')
    assert.ok(second.sequence > first.sequence)
  })

  it('removes a stopped instance from discovery at once (its record is withdrawn)', async () => {
    const { addrs } = await net.registries(2)
    const services = await Promise.all([0, 1, 2].map(async () => net.service('DatabaseService', addrs)))
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 3)
    const leaving = services[0]
    const withdrawn = waitForEvent<number>(leaving, 'withdrawn', 5000)
    await leaving.stop()
    assert.equal(await withdrawn, 2)
    const left = await client.discoverServiceNode('DatabaseService')
    assert.deepEqual(left.map(f => f.peerId).sort(), services.slice(1).map(s => s.peerId).sort())
  })

  it('still discovers when one of two registries is lost', async () => {
    const { nodes, addrs } = await net.registries(2)
    const services = await Promise.all([0, 1].map(async () => net.service('DatabaseService', addrs)))
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 2)
    await nodes[0].stop()
    const found = await client.discoverServiceNode('DatabaseService')
    assert.deepEqual(found.map(f => f.peerId).sort(), services.map(s => s.peerId).sort())
    // A client that only ever knew the lost registry's peers through the survivor finds them too.
    const fresh = net.node({ registryNodes: addrs })
    assert.equal((await fresh.discoverServiceNode('DatabaseService')).length, 2)
  })

  it('re-replicates held records to a registry that joins later', async () => {
    const first = await net.registries(1)
    const services = await Promise.all([0, 1].map(async () => net.service('DatabaseService', first.addrs)))
    const late = net.node({ nodeType: 'registry', registryNodes: first.addrs })
    const replicated = new Set<string>()
    const both = new Promise<void>((resolve) => {
      late.addEventListener('record:stored', evt => {
        replicated.add(evt.detail.peerId)
        if (replicated.size === services.length) resolve()
      })
    })
    await late.start()
    await Promise.race([both, new Promise((_resolve, reject) => setTimeout(() => { reject(new Error('records not replicated within 5 s')) }, 5000).unref())])
    await first.nodes[0].stop()
    // Services have not republished (lease 60 s): what the late registry serves came from replication.
    const client = net.node({ registryNodes: [late.getMultiaddrs()[0]] })
    const found = await client.discoverServiceNode('DatabaseService')
    assert.deepEqual(found.map(f => f.peerId).sort(), services.map(s => s.peerId).sort())
  })

  it('lets a registry node discover and serve from its own store', async () => {
    const { nodes, addrs } = await net.registries(1)
    const service = await net.service('DatabaseService', addrs)
    const found = await nodes[0].discoverServiceNode('DatabaseService')
    assert.deepEqual(found.map(f => f.peerId), [service.peerId])
  })

  it('answers from the cache when maxAge allows, and from registries otherwise', async () => {
    const { addrs } = await net.registries(1)
    const service = await net.service('DatabaseService', addrs)
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
    const withdrawn = waitForEvent(service, 'withdrawn', 5000)
    await service.stop()
    await withdrawn
    assert.equal((await client.discoverServiceNode('DatabaseService', { maxAge: 60_000 })).length, 1)
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 0)
  })

  it('rejects with NoRegistryReachableError within the timeout when no registry is reachable', async () => {
    // A registry that existed and is gone: its address is well-formed and refuses connections.
    const { nodes, addrs } = await net.registries(1)
    await nodes[0].stop()
    const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: addrs, registerTimeout: 2000, dialTimeout: 500 })
    const started = Date.now()
    await assert.rejects(service.registerWithNetwork(), (err: unknown) => err instanceof NoRegistryReachableError || err instanceof TimeoutError)
    assert.ok(Date.now() - started < 2500, `took ${Date.now() - started} ms`)
    const client = net.node({ registryNodes: addrs, discoverTimeout: 2000, dialTimeout: 500 })
    await assert.rejects(client.discoverServiceNode('DatabaseService'), NoRegistryReachableError)
  })

  it('rejects with PublishFailedError when fewer registries than minAcks store the record', async () => {
    const { addrs } = await net.registries(2)
    const service = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: addrs, minAcks: 3 })
    await assert.rejects(service.registerWithNetwork(), (err: unknown) => err instanceof PublishFailedError && err.accepted === 2)
  })

  it('withdraws the record under the old name when a service is renamed', async () => {
    const { addrs } = await net.registries(1)
    const service = await net.service('DatabaseService', addrs)
    const client = net.node({ registryNodes: addrs })
    assert.equal((await client.discoverServiceNode('DatabaseService')).length, 1)
    service.metadata = { ...service.metadata, name: 'StorageService' }
    await service.registerWithNetwork()
    assert.deepEqual(await client.discoverServiceNode('DatabaseService'), [])
    assert.deepEqual((await client.discoverServiceNode('StorageService')).map(f => f.peerId), [service.peerId])
  })

  it('rejects with NoRegistryReachableError when no registry is configured', async () => {
    const service = net.node({ metadata: { name: 'DatabaseService' } })
    await assert.rejects(service.registerWithNetwork(), NoRegistryReachableError)
  })

  it('refuses to register a node without metadata.name', async () => {
    const { addrs } = await net.registries(1)
    await assert.rejects(net.node({ registryNodes: addrs }).registerWithNetwork(), NotAServiceError)
  })

  it('honours the caller\'s AbortSignal', async () => {
    const { addrs } = await net.registries(1)
    const client = net.node({ registryNodes: addrs })
    await assert.rejects(client.discoverServiceNode('DatabaseService', { signal: AbortSignal.abort() }), AbortedError)
    const controller = new AbortController()
    const pending = client.discoverServiceNode('NeverAnswered', { signal: controller.signal })
    controller.abort()
    await assert.rejects(pending, AbortedError)
  })
})
