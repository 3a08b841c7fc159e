/**
 * The framework examples (examples/express, examples/fastify) against one real registry on loopback: each
 * service registers at listen time with its HTTP URL in the record, the client finds it through netget and calls
 * it, and closing the service takes it out of discovery at once.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { callService as callExpress } from '../examples/express/client.js'
import { startService as startExpress } from '../examples/express/service.js'
import { callService as callFastify } from '../examples/fastify/client.js'
import { startService as startFastify } from '../examples/fastify/service.js'
import { Netget, NoInstanceError } from '../src/index.js'
import { LOOPBACK } from './helpers/network.js'

// Its own network, so that what the examples publish cannot meet another test's nodes.
const network = 'examples-test'

const frameworks = [
  { framework: 'express', name: 'HelloExpress', startService: startExpress, callService: callExpress },
  { framework: 'fastify', name: 'HelloFastify', startService: startFastify, callService: callFastify }
]

describe('framework examples', () => {
  let registry: Netget
  let registryNodes: string[]
  // Whatever a test started, stopped in `after` even when an assertion failed midway (close() is idempotent).
  const cleanups: Array<() => Promise<void>> = []

  /** A fresh client, so that no answer of an earlier discovery can be the one checked. */
  async function discover (name: string): Promise<string[]> {
    const client = new Netget({ registryNodes, network, listen: LOOPBACK })
    cleanups.push(async () => client.stop())
    try {
      return (await client.discoverServiceNode(name)).map(instance => instance.peerId)
    } finally {
      await client.stop()
    }
  }

  before(async () => {
    registry = new Netget({ nodeType: 'registry', network, listen: LOOPBACK })
    cleanups.push(async () => registry.stop())
    await registry.start()
    registryNodes = registry.getMultiaddrs()
  })

  after(async () => {
    await Promise.all(cleanups.splice(0).map(async cleanup => cleanup()))
  })

  for (const { framework, name, startService, callService } of frameworks) {
    it(`${framework}: the service registers its HTTP URL at listen time, the client finds and calls it, close() withdraws it`, async () => {
      const service = await startService({ registryNodes, network, name })
      // The node as well, so that a close() that failed to stop it does not keep the process alive.
      cleanups.push(service.close, async () => service.node.stop())
      assert.match(service.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/)

      // What the registry holds is the port the server really got (port 0 asked for any).
      const [held] = registry.listRecords(name)
      assert.equal(held?.peerId, service.node.peerId)
      assert.ok(held.addresses.includes(service.url), `record addresses: ${held.addresses.join(' ')}`)
      assert.deepEqual(held.metadata, { name, version: '1.0.0' })

      const answer = await callService({ registryNodes, network, name })
      assert.deepEqual(answer, { hello: 'world', peerId: service.node.peerId })

      await service.close()
      assert.deepEqual(await discover(name), [], 'withdrawn at close(), not at the end of the lease')
      await assert.rejects(callService({ registryNodes, network, name }), NoInstanceError)
      // The HTTP server is closed too, not only the record gone.
      await assert.rejects(fetch(`${service.url}/hello`, { signal: AbortSignal.timeout(5000) }), (err: Error) => {
        assert.equal((err.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED', String(err.cause))
        return true
      })
    })
  }
})
