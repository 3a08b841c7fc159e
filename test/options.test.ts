import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { MemoryDatastore } from 'datastore-core'
import { DEFAULTS, InvalidOptionError, Netget } from '../src/index.js'

function invalid (options: unknown, option: string): void {
  assert.throws(() => new Netget(options as never), (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError, String(err))
    assert.equal(err.code, 'NETGET_ERR_INVALID_OPTION')
    assert.equal(err.option, option)
    assert.match(err.message, new RegExp(option.replace(/[[\]]/g, '\\$&')))
    return true
  })
}

describe('options', () => {
  it('has the seed defaults and exposes them as in the seed', () => {
    const node = new Netget()
    assert.equal(node.nodeType, 'service')
    assert.deepEqual(node.metadata, {})
    assert.equal(node.network, 'development')
    assert.ok(node.registryNodes instanceof Set)
    assert.equal(node.registryNodes.size, 0)
    assert.equal(DEFAULTS.recordTtl, 60_000)
  })

  it('keeps the given values', () => {
    const addr = '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWByZqppPXMCz9fZPkKwoXu1haCGSbzuw1Jo4qFV8GEboU'
    const node = new Netget({ nodeType: 'registry', metadata: { name: 'X' }, network: 'production', registryNodes: [addr, addr] })
    assert.equal(node.nodeType, 'registry')
    assert.equal(node.metadata.name, 'X')
    assert.equal(node.network, 'production')
    assert.deepEqual([...node.registryNodes], [addr])
  })

  it('names the offending option', () => {
    invalid({ nodeType: 'client' }, 'nodeType')
    invalid({ network: '' }, 'network')
    invalid({ network: 'has space' }, 'network')
    invalid({ network: 'a/b' }, 'network')
    invalid({ metadata: 'x' }, 'metadata')
    invalid({ metadata: [] }, 'metadata')
    invalid({ metadata: { name: 'bad name' } }, 'metadata.name')
    invalid({ registryNodes: 'http://registry1.netget.me' }, 'registryNodes')
    invalid({ registryNodes: ['http://user:pw@registry1.netget.me'] }, 'registryNodes[0]')
    invalid({ registryNodes: ['/ip4/127.0.0.1/tcp/4001'] }, 'registryNodes[0]')
    invalid({ registryNodes: [42] }, 'registryNodes[0]')
    invalid({ listen: ['not-an-addr'] }, 'listen[0]')
    invalid({ dialTimeout: -1 }, 'dialTimeout')
    invalid({ discoverTimeout: 1.5 }, 'discoverTimeout')
    invalid({ recordTtl: 2 * 60 * 60 * 1000 }, 'recordTtl')
    invalid({ recordTtl: 1000 }, 'recordTtl')
    invalid({ minAcks: 0 }, 'minAcks')
    invalid({ keyFile: '/a', dataDir: '/b' }, 'dataDir')
    invalid({ privateKey: 'secret' }, 'privateKey')
    invalid({ healthCheck: true }, 'healthCheck')
    invalid({ announce: Array.from({ length: 40 }, (_, i) => `http://127.0.0.1:${8000 + i}`) }, 'announce')
    invalid({ announce: ['x'.repeat(257)] }, 'announce[0]')
    invalid({ nodeType: 'registry', datastore: {} }, 'datastore')
    invalid({ nodeType: 'registry', datastore: '/var/lib/netget' }, 'datastore')
    // Only registries hold records: a service given a datastore is told so, not silently ignored.
    invalid({ datastore: new MemoryDatastore() }, 'datastore')
  })

  it('accepts a private key as bytes and uses it as the identity', async () => {
    const key = await generateKeyPair('Ed25519')
    const node = new Netget({ privateKey: privateKeyToProtobuf(key), listen: ['/ip4/127.0.0.1/tcp/0'] })
    try {
      await node.start()
      const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
      assert.equal(node.peerId, peerIdFromPrivateKey(key).toString())
    } finally {
      await node.stop()
    }
  })

  it('validates addresses given to addRegistryNode and removeRegistryNode', () => {
    const node = new Netget()
    assert.throws(() => { node.addRegistryNode('/ip4/127.0.0.1/tcp/1') }, InvalidOptionError)
    assert.throws(() => { node.removeRegistryNode('nonsense') }, InvalidOptionError)
  })

  it('rejects a bad service name given to discoverServiceNode without touching the network', async () => {
    const node = new Netget()
    await assert.rejects(node.discoverServiceNode('no spaces allowed'), InvalidOptionError)
    await assert.rejects(node.discoverServiceNode(42 as never), InvalidOptionError)
    assert.equal(node.isRunning(), false)
  })
})
