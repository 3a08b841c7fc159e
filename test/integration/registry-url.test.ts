/**
 * Registries given by URL (the seed's `registryNodes: ['http://registry1.example:8080']`): resolved through the
 * registry's /.well-known/netget (`netget registry --http`) to its multiaddrs, checked (network, peer id), and
 * then used like any configured registry.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { HttpApi } from '../../src/http/api.js'
import { InvalidOptionError, NoRegistryReachableError } from '../../src/index.js'
import { TestNetwork, eventually } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'

describe('registries given by URL', () => {
  const net = new TestNetwork()
  let registry: Netget
  let api: HttpApi
  let url = ''

  before(async () => {
    registry = (await net.registries(1)).nodes[0]
    api = new HttpApi({ node: registry })
    const { host, port } = await api.start()
    url = `http://${host}:${port}`
  })

  after(async () => {
    await api.stop()
    await net.stopAll()
  })

  it('a service registers and a client discovers through http://host:port', async () => {
    const service = await net.service('ByUrl', [url])
    const client = net.node({ registryNodes: [url] })
    assert.deepEqual((await client.discoverServiceNode('ByUrl')).map(i => i.peerId), [service.peerId])
    assert.deepEqual([...client.registryNodes], [url], 'registryNodes keeps what was given')
  })

  it('addRegistryNode(url) on a running node resolves it in the background; removeRegistryNode(url) stops using it', async () => {
    await net.service('Added', [url])
    const client = net.node({ registryNodes: [] })
    await client.start()
    client.addRegistryNode(url)
    const found = await eventually(async () => {
      try {
        const instances = await client.discoverServiceNode('Added')
        return instances.length === 1 ? instances : undefined
      } catch {
        return undefined
      }
    }, 5000)
    assert.equal(found.length, 1)
    client.removeRegistryNode(url)
    await assert.rejects(client.discoverServiceNode('Added'), NoRegistryReachableError)
  })

  it('a URL whose registry serves another network is not used', async () => {
    const other = net.node({ network: 'production', registryNodes: [url], metadata: { name: 'Elsewhere' } })
    await assert.rejects(other.registerWithNetwork(), NoRegistryReachableError)
  })

  it('an answer over 64 KiB is refused even when it declares no length (chunked), without reading it all', async () => {
    const { createServer } = await import('node:http')
    const { resolveRegistryUrl } = await import('../../src/http/well-known.js')
    let written = 0
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      // An endless chunked body: the client must stop reading at its cap.
      const chunk = Buffer.alloc(16 * 1024, 0x20)
      const push = (): void => {
        while (written < 64 * 1024 * 1024 && res.write(chunk)) written += chunk.byteLength
        if (written < 64 * 1024 * 1024) res.once('drain', push)
        else res.end()
      }
      push()
    })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', () => { resolve() }) })
    try {
      const { port } = server.address() as { port: number }
      await assert.rejects(resolveRegistryUrl(`http://127.0.0.1:${port}`, 'development', AbortSignal.timeout(5000)), /larger than 65536 bytes/)
      assert.ok(written < 64 * 1024 * 1024, 'the client stopped reading')
    } finally {
      server.closeAllConnections()
      await new Promise(resolve => { server.close(resolve) })
    }
  })

  it('a malformed URL, or one with credentials, is refused at construction', () => {
    assert.throws(() => net.node({ registryNodes: ['http://user:secret@127.0.0.1:1'] }), InvalidOptionError)
    assert.throws(() => net.node({ registryNodes: ['http://'] }), InvalidOptionError)
  })
})
