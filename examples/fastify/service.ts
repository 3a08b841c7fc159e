/**
 * Fastify example, service side: an HTTP server that registers itself with netget once it listens, publishing
 * its own URL in the record so that clients find where to call it.
 * Run by hand: npx tsx examples/fastify/service.ts --registry <multiaddr> [--network <name>] [--name <service>] [--port <n>]
 */
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import { Netget } from '../../src/index.js'
import { isMain, runService } from '../shared.js'
import type { RunningService, ServiceOptions } from '../shared.js'

export const DEFAULT_NAME = 'HelloFastify'

export async function startService ({ registryNodes, network, name = DEFAULT_NAME, port = 0 }: ServiceOptions): Promise<RunningService> {
  // Set once the node has started: before that (the server already listens) there is no peer id to answer with.
  let peerId: string | undefined
  const app = Fastify()
  app.get('/hello', async (_request, reply) => {
    if (peerId === undefined) return reply.code(503).header('Retry-After', '1').send({ error: 'starting' })
    return { hello: 'world', peerId }
  })

  await app.listen({ host: '127.0.0.1', port })
  // The port is only known now, and the record must carry it: this is why registration waits for listen().
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  let node: Netget | undefined
  try {
    node = new Netget({ registryNodes, network, metadata: { name, version: '1.0.0' }, announce: [url] })
    await node.start()
    peerId = node.peerId
    await node.registerWithNetwork()
  } catch (err) {
    await node?.stop()
    await app.close()
    throw err
  }

  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    // The record goes first, so that no client is sent to a server that already refuses connections. Fastify's
    // close() ends idle keep-alive sockets too (forceCloseConnections: 'idle'), so a past client does not hold it open.
    closing ??= node.stop().then(async () => app.close())
    return closing
  }
  return { url, node, close }
}

if (isMain(import.meta.url)) await runService(startService, 'examples/fastify/service.ts')
