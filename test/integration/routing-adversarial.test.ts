/**
 * Lookups against registries that lie about who is closer: made-up registries cost a lookup a failed request
 * each, never its answer; a bad FIND is refused; hints never make a peer a verified registry.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { createNode } from '../../src/node/create-node.js'
import { request, serveSession } from '../../src/node/rpc.js'
import { compareDistance, peerPosition, servicePosition } from '../../src/routing/position.js'
import { TestNetwork } from '../helpers/network.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'

const PROTOCOL = '/netget/development/registry/1.0.0'
const codecs = { request: RegistryRequest, response: RegistryResponse }

/** 64 peers that do not exist (what a FIND answer may list; other answers only 20), at an address that refuses connections. */
async function madeUpPeers (): Promise<RegistryResponse['closer']> {
  return Promise.all(Array.from({ length: 64 }, async () => ({
    id: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toMultihash().bytes as Uint8Array<ArrayBuffer>,
    addrs: [multiaddr('/ip4/127.0.0.1/tcp/1').bytes as Uint8Array<ArrayBuffer>]
  })))
}

describe('lookups with a lying registry', () => {
  const net = new TestNetwork()
  let liar: NetgetLibp2p
  let liarAddr: string
  let addrs: string[] = []
  let fakes: RegistryResponse['closer'] = []
  let liarAnswers = 0

  before(async () => {
    fakes = await madeUpPeers()
    const { nodes, addrs: real } = await net.registries(6, 'development', { replicationFactor: 3 })
    addrs = real
    // The liar takes an identity closer to the name's key than every real registry: every lookup of the name
    // reaches it, and it is in every closest set.
    const target = servicePosition('development', 'DatabaseService')
    const nearest = nodes.map(n => peerPosition(n.peerId)).sort((a, b) => compareDistance(target, a, b))[0]
    let key = await generateKeyPair('Ed25519')
    while (compareDistance(target, peerPosition(peerIdFromPrivateKey(key)), nearest) >= 0) key = await generateKeyPair('Ed25519')
    // A raw node that serves the registry protocol (so real registries take it for one), accepts every
    // PUBLISH without storing it, and answers every request with no records and 64 made-up closer registries.
    liar = await createNode({ privateKey: key, network: 'development', dhtServer: true, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
    await liar.handle(PROTOCOL, serveSession(codecs, 1 << 16, { timeout: 10_000, idleTimeout: 60_000 }, async () => {
      liarAnswers++
      return { status: RegistryResponse.Status.OK, code: '', message: '', records: [], closer: fakes, health: [], gone: [], snapshot: false, settling: false }
    }, () => {}))
    await liar.start()
    liarAddr = liar.getMultiaddrs()[0].toString()
    // Every real registry meets the liar, so it can end up in anybody's lookups.
    for (const addr of addrs) await liar.dial(multiaddr(addr))
    for (let i = 0; i < 3; i++) await net.service('DatabaseService', [addrs[i]], { replicationFactor: 3 })
  })

  after(async () => {
    await net.stopAll()
    await liar.stop()
  })

  it('still finds every instance when the closest registry drops records and names made-up registries', async () => {
    const client = net.node({ registryNodes: [liarAddr, addrs[5]], replicationFactor: 3, requestTimeout: 1000 })
    const started = Date.now()
    const asked = liarAnswers
    const found = await client.discoverServiceNode('DatabaseService')
    assert.ok(liarAnswers > asked, 'the liar was asked')
    assert.equal(found.length, 3)
    assert.ok(Date.now() - started < 5000)
    // The made-up registries never became verified registries of the client.
    const stats = client.getStats()
    assert.ok(stats.verifiedRegistries <= 7, `${stats.verifiedRegistries} verified`)
    // A DISCOVER asks for at most 20 closer registries: the rest of the 64 are not even remembered.
    assert.ok(stats.knownRegistries <= 7 + 20, `${stats.knownRegistries} known`)
  })

  it('a registry refuses a FIND whose key is not 32 bytes, and answers one that is', async () => {
    const node = net.node({ replicationFactor: 3 })
    await node.start()
    const raw = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
    await raw.start()
    try {
      const ask = async (key: Uint8Array) => request(raw, multiaddr(addrs[0]), PROTOCOL,
        { type: RegistryRequest.Type.FIND, key: key as Uint8Array<ArrayBuffer>, closer: 20, name: '', record: new Uint8Array(0), id: 1, relay: 0 },
        codecs, { signal: AbortSignal.timeout(5000), maxDataLength: 1 << 20 })
      const bad = await ask(new Uint8Array(31))
      assert.equal(bad.status, RegistryResponse.Status.REJECTED)
      assert.equal(bad.code, 'NETGET_ERR_PROTOCOL')
      const good = await ask(new Uint8Array(32))
      assert.equal(good.status, RegistryResponse.Status.OK)
      assert.ok(good.closer.length > 0 && good.closer.length <= 20)
      assert.equal(good.records.length, 0)
    } finally {
      await raw.stop()
    }
  })
})
