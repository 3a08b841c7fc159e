/**
 * Express example, service side: an HTTP server that registers itself with netget once it listens, publishing
 * its own URL in the record so that clients find where to call it.
 * Run by hand: npx tsx examples/express/service.ts --registry <multiaddr> [--network <name>] [--name <service>] [--port <n>]
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { Netget } from '../../src/index.js'
import { isMain, runService } from '../shared.js'
import type { RunningService, ServiceOptions } from '../shared.js'

export const DEFAULT_NAME = 'HelloExpress'

export async function startService ({ registryNodes, network, name = DEFAULT_NAME, port = 0 }: ServiceOptions): Promise<RunningService> {
  // Set once the node has started: before that (the server already listens) there is no peer id to answer with.
  let peerId: string | undefined
  const app = express()
  app.get('/hello', (_req, res) => {
    if (peerId === undefined) {
      res.status(503).set('Retry-After', '1').json({ error: 'starting' })
      return
    }
    res.json({ hello: 'world', peerId })
  })

  const server = await new Promise<Server>((resolve, reject) => {
    // Express 5 hands a listen error (EADDRINUSE, …) to this callback.
    const listening: Server = app.listen(port, '127.0.0.1', err => { if (err !== undefined) reject(err); else resolve(listening) })
  })
  // The port is only known now, and the record must carry it: this is why registration waits for 'listening'.
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  // close() also ends idle keep-alive sockets (Node ≥ 19), so a past client does not hold it open.
  const closeServer = async (): Promise<void> => new Promise((resolve, reject) => {
    server.close(err => { if (err !== undefined) reject(err); else resolve() })
  })

  let node: Netget | undefined
  try {
    node = new Netget({ registryNodes, network, metadata: { name, version: '1.0.0' }, announce: [url] })
    await node.start()
    peerId = node.peerId
    await node.registerWithNetwork()
  } catch (err) {
    await node?.stop()
    await closeServer()
    throw err
  }

  let closing: Promise<void> | undefined
  const close = async (): Promise<void> => {
    // The record goes first, so that no client is sent to a server that already refuses connections.
    closing ??= node.stop().then(closeServer)
    return closing
  }
  return { url, node, close }
}

if (isMain(import.meta.url)) await runService(startService, 'examples/express/service.ts')
