/**
 * Lookups that converge: many registries, each node given ONE registry, a small replication factor. Records
 * must land at the registries truly closest to their key, and any client, whatever registry it starts from,
 * must find every instance (with 1–2 registries every registry holds everything, which hides all of this).
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { peerPosition, servicePosition, compareDistance } from '../../src/routing/position.js'
import { TestNetwork, eventually } from '../helpers/network.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_REGISTRY_MESSAGE_BYTES, registryProtocol } from '../../src/constants.js'
import { createNode } from '../../src/node/create-node.js'
import { request } from '../../src/node/rpc.js'
import { LOOPBACK } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>

const REGISTRIES = 14
const K = 3
const NAMES = ['DatabaseService', 'CacheService', 'QueueService', 'AuthService']

/** The `k` registries truly closest to a name's key, from the list of all. */
function trueClosest (registries: Netget[], name: string, k: number): string[] {
  const target = servicePosition('development', name)
  return registries.map(r => r.peerId).sort((a, b) => compareDistance(target, peerPosition(a), peerPosition(b))).slice(0, k)
}

describe(`a network of ${REGISTRIES} registries, replicationFactor ${K}, one bootstrap registry per node`, () => {
  const net = new TestNetwork()
  let registries: Netget[] = []
  let addrs: string[] = []
  const services = new Map<string, Netget[]>()

  before(async () => {
    // Registry i knows only registry i-1: a chain, the sparsest start there is. Not settling (settlingTime 0): this
    // file counts the requests of lookups as a long-running network makes them; settling is tested in settling.test.ts.
    for (let i = 0; i < REGISTRIES; i++) {
      const registry = net.node({ nodeType: 'registry', replicationFactor: K, settlingTime: 0, registryNodes: i === 0 ? [] : [addrs[i - 1]] })
      await registry.start()
      registries.push(registry)
      addrs.push(registry.getMultiaddrs()[0])
    }
    registries = [...registries]
    addrs = [...addrs]
    // Services each know one registry, spread over the chain.
    let n = 0
    for (const name of NAMES) {
      const instances: Netget[] = []
      for (let j = 0; j < 2; j++) {
        instances.push(await net.service(name, [addrs[(n * 5) % REGISTRIES]], { replicationFactor: K }))
        n++
      }
      services.set(name, instances)
    }
  })

  after(async () => { await net.stopAll() })

  it('stores each record at the K registries truly closest to its key', async () => {
    for (const name of NAMES) {
      const closest = trueClosest(registries, name, K)
      const ids = services.get(name)!.map(s => s.peerId)
      await eventually(async () => {
        for (const registry of registries.filter(r => closest.includes(r.peerId))) {
          const held = registry.listRecords(name).map(r => r.peerId)
          for (const id of ids) if (!held.includes(id)) return undefined
        }
        return true
      }, 10_000)
    }
  })

  it('replication stays within replicationFactor: no registry outside the closest keeps a renewed copy', async () => {
    for (const name of NAMES) {
      const closest = trueClosest(registries, name, K)
      const holders = registries.filter(r => r.listRecords(name).length > 0).map(r => r.peerId)
      // Copies left on the way by a first publication are not renewed and expire; at most a few exist.
      assert.ok(holders.filter(h => !closest.includes(h)).length <= K, `${name} held by ${holders.length} registries`)
    }
  })

  it('a client bootstrapped from the farthest registry finds every instance of every name', async () => {
    for (const name of NAMES) {
      const target = servicePosition('development', name)
      // The registry farthest from the name's key: the worst place to start a lookup from.
      const farthest = [...registries].sort((a, b) => compareDistance(target, peerPosition(b.peerId), peerPosition(a.peerId)))[0]
      const client = net.node({ registryNodes: [farthest.getMultiaddrs()[0]], replicationFactor: K })
      const found = await client.discoverServiceNode(name)
      assert.deepEqual(found.map(i => i.peerId).sort(), services.get(name)!.map(s => s.peerId).sort(), `${name} from ${farthest.peerId}`)
      await client.stop()
    }
  })

  it('every registry, as a starting point, gives the same answer', async () => {
    const name = NAMES[0]
    const expected = services.get(name)!.map(s => s.peerId).sort()
    for (const addr of addrs) {
      const client = net.node({ registryNodes: [addr], replicationFactor: K })
      const found = await client.discoverServiceNode(name)
      assert.deepEqual(found.map(i => i.peerId).sort(), expected, `starting from ${addr}`)
      await client.stop()
    }
  })

  it('a warm client needs one round of requests: the closest registries it asked first were the closest', async () => {
    const client = net.node({ registryNodes: [addrs[0]], replicationFactor: K })
    await client.discoverServiceNode(NAMES[1])
    const before = client.getStats()
    await client.discoverServiceNode(NAMES[1])
    const after = client.getStats()
    assert.equal(after.lookupHops - before.lookupHops, 0)
    assert.ok(after.requests - before.requests <= 2, `${after.requests - before.requests} requests`)
    await client.stop()
  })

  it('a registry outside a name\'s closest set answers a DISCOVER with closer registries, even when none were asked for', async () => {
    // What a client with a wrong cached route asks: DISCOVER without hints. It must be told where to go.
    const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: false, listen: LOOPBACK, bootstrapList: [], dialTimeout: 5000 })
    await node.start()
    try {
      const name = NAMES[0]
      const closest = trueClosest(registries, name, K)
      const ask = async (registry: Netget): Promise<string[]> => {
        const ma = multiaddr(registry.getMultiaddrs()[0])
        const peer = peerIdFromString(registry.peerId)
        await node.peerStore.merge(peer, { multiaddrs: [ma.decapsulateCode(421)] })
        const response = await request(node, peer, registryProtocol('development'),
          { type: RegistryRequest.Type.DISCOVER, name, id: 1, closer: 0, record: EMPTY, key: EMPTY, relay: 0 },
          { request: RegistryRequest, response: RegistryResponse }, { signal: AbortSignal.timeout(5000), maxDataLength: MAX_REGISTRY_MESSAGE_BYTES })
        return response.closer.map(h => peerIdFromMultihash(Digest.decode(h.id)).toString())
      }
      const farthest = trueClosest(registries, name, REGISTRIES).at(-1)
      const far = registries.find(r => r.peerId === farthest)
      assert.ok(far !== undefined)
      const hints = await eventually(async () => {
        const named = await ask(far)
        return named.some(id => closest.includes(id)) ? named : undefined
      }, 10_000)
      assert.ok(hints.length > 0 && hints.length <= K)
      // The closest registries themselves answer without hints (they are where the records are).
      const nearest = registries.find(r => r.peerId === closest[0])
      assert.ok(nearest !== undefined)
      assert.deepEqual(await ask(nearest), [])
    } finally {
      await node.stop()
    }
  })

  it('a registry that joins a closest set is sent its records by the holders, before any renewal', async () => {
    const name = NAMES[3]
    const target = servicePosition('development', name)
    const closest = trueClosest(registries, name, K)
    const kth = peerPosition(closest[K - 1])
    // An identity that lands inside the closest set of the name (a few tries: about K in REGISTRIES + 1 do).
    let key = await generateKeyPair('Ed25519')
    for (let i = 0; i < 200 && compareDistance(target, peerPosition(peerIdFromPrivateKey(key)), kth) >= 0; i++) key = await generateKeyPair('Ed25519')
    assert.ok(compareDistance(target, peerPosition(peerIdFromPrivateKey(key)), kth) < 0)
    // It knows one registry, not one of the holders.
    const start = addrs.find(a => !closest.some(id => a.endsWith(id)))!
    const joining = net.node({ nodeType: 'registry', replicationFactor: K, privateKey: key, registryNodes: [start] })
    await joining.start()
    const ids = services.get(name)!.map(s => s.peerId).sort()
    await eventually(async () => {
      const held = joining.listRecords(name).map(r => r.peerId)
      return ids.every(id => held.includes(id)) ? true : undefined
    }, 8000)
    registries.push(joining)
    addrs.push(joining.getMultiaddrs()[0])
  })

  it('when a registry of a closest set stops, the survivors refill the set and discovery still finds everything', async () => {
    const name = NAMES[2]
    const closest = trueClosest(registries, name, K)
    const leaving = registries.find(r => r.peerId === closest[0])!
    const leavingAddr = leaving.getMultiaddrs()[0]
    const alive = registries.filter(r => r !== leaving)
    const refill = trueClosest(alive, name, K)
    const newcomer = alive.find(r => r.peerId === refill[K - 1])!
    const refills: string[] = []
    for (const registry of alive) {
      registry.addEventListener('records:replicated', evt => { if (evt.detail.reason === 'leave') refills.push(evt.detail.to) })
    }
    // The publishers renew 100 ms after losing a holder too: when their renewal reaches the newcomer first, the
    // survivors' older copy is refused there as stale. That is a refill attempted, and the newer record kept.
    const aliveIds = new Set(alive.map(r => r.peerId))
    let staleRefills = 0
    newcomer.addEventListener('record:rejected', evt => { if (evt.detail.code === 'NETGET_ERR_RECORD_STALE' && aliveIds.has(evt.detail.from)) staleRefills++ })
    await leaving.stop()
    const ids = services.get(name)!.map(s => s.peerId).sort()
    // Well before any renewal (recordTtl / 3 = 20 s): re-replication, not the publishers, filled the K-th place.
    await eventually(async () => {
      const held = newcomer.listRecords(name).map(r => r.peerId).sort()
      return ids.every(id => held.includes(id)) ? true : undefined
    }, 8000)
    await eventually(async () => refills.includes(newcomer.peerId) || staleRefills > 0 ? true : undefined, 5000).catch(err => {
      const views = alive.map(r => `${r.peerId.slice(-6)}: ${r.getStats().verifiedRegistries} verified, replicated ${r.getStats().replicated}`).join('; ')
      throw new Error(`${(err as Error).message}; refills to ${refills.map(id => id.slice(-6)).join(',')}; newcomer ${newcomer.peerId.slice(-6)}; ${views}`)
    })
    const client = net.node({ registryNodes: [addrs.find(a => a !== leavingAddr)!], replicationFactor: K })
    assert.deepEqual((await client.discoverServiceNode(name)).map(i => i.peerId).sort(), ids)
  })

  it('when every registry of a closest set goes at once, the services republish to the next ones within seconds', async () => {
    const name = NAMES[0]
    const running = registries.filter(r => r.isRunning())
    const closest = trueClosest(running, name, K)
    const leaving = running.filter(r => closest.includes(r.peerId))
    const alive = running.filter(r => !closest.includes(r.peerId))
    const next = trueClosest(alive, name, K)
    const started = Date.now()
    await Promise.all(leaving.map(async r => r.stop()))
    const ids = services.get(name)!.map(s => s.peerId).sort()
    // Well before the renewal at recordTtl / 3 (20 s): nobody is left to re-replicate, the publishers must act.
    await eventually(async () => {
      for (const registry of alive.filter(r => next.includes(r.peerId))) {
        const held = registry.listRecords(name).map(r => r.peerId)
        if (!ids.every(id => held.includes(id))) return undefined
      }
      return true
    }, 10_000)
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`)
    const client = net.node({ registryNodes: [alive[0].getMultiaddrs()[0]], replicationFactor: K })
    assert.deepEqual((await client.discoverServiceNode(name)).map(i => i.peerId).sort(), ids)
  })
})
