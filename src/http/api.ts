/**
 * A read-only HTTP JSON interface to a netget node, for clients that do not speak libp2p (curl, other languages,
 * proxies). Off by default; `netget registry --http HOST:PORT` starts it. Every answer is what the node's own
 * discovery gives (the same lookup, verification, health and filters): the HTTP side adds no trust of its own.
 *
 *   GET /v1/services/:name[?tag=a&tag=b&version=^1.2&meta.region=eu]  instances of a name (discoverServiceNode)
 *   GET /v1/services/:name/watch[?filters]                             the same as Server-Sent Events (node.watch)
 *   GET /v1/services                                                   names this registry holds records for
 *   GET /v1/health                                                     this node: peer id, network, counters
 *   GET /                                                              a status page (HTML): peer, counters, services held
 *   GET /.well-known/netget                                            network, peer id and multiaddrs
 *   GET /metrics                                                       Prometheus text (a node with `metrics: true`)
 *
 * Bounded: only GET and HEAD, request targets of at most 2 KiB, no request body read, headers within 10 s,
 * a whole request within `requestTimeout`, each discovery within the node's `discoverTimeout`.
 */
import { createServer } from 'node:http'
import { NetgetError } from '../errors.js'
import { renderStatusPage } from './status-page.js'
import type { Netget } from '../netget.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HttpApiInit {
  node: Netget
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Port (0: any free port). @default 0 */
  port?: number
  /** Deadline of one whole request (ms). @default 15000 */
  requestTimeout?: number
}

/** HTTP status of the library's errors (others: 500). */
const STATUS_OF: Record<string, number> = {
  NETGET_ERR_INVALID_OPTION: 400,
  NETGET_ERR_NO_REGISTRY_REACHABLE: 503,
  NETGET_ERR_TIMEOUT: 504,
  // The registries this one asked refused it over their rate: the client should slow down too.
  NETGET_ERR_RATE_LIMITED: 429,
  NETGET_ERR_NOT_STARTED: 503
}

const MAX_TARGET_BYTES = 2048
/** Open watch streams at most: each holds a watch on the node (registry subscriptions, a view of the name). */
const MAX_WATCHERS = 256
/** A comment line this often on an idle watch stream, so that proxies and clients see it alive (ms). */
const WATCH_HEARTBEAT_MS = 15_000
const HEADERS_TIMEOUT_MS = 10_000

/** JSON with bigints (record sequences) as decimal strings. */
function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
  res.end(res.req.method === 'HEAD' ? undefined : text)
}

function failure (res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { error: { code, message } })
}

/** Filters from the query string: `tag` (repeatable), `version`, and `meta.<field>` (string values). */
function filtersOf (query: URLSearchParams): { tags?: string[], version?: string, metadata?: Record<string, string> } {
  const tags = query.getAll('tag')
  const version = query.get('version') ?? undefined
  const metadata: Record<string, string> = {}
  for (const [key, value] of query) if (key.startsWith('meta.') && key.length > 5) metadata[key.slice(5)] = value
  return {
    ...(tags.length > 0 ? { tags } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {})
  }
}

export class HttpApi {
  private readonly init: HttpApiInit
  private server?: Server
  private watchers = 0

  constructor (init: HttpApiInit) {
    this.init = init
  }

  /** Starts listening; resolves with the address it listens on. */
  async start (): Promise<{ host: string, port: number }> {
    if (this.server !== undefined) throw new Error('the HTTP API is already started')
    const server = createServer({ maxHeaderSize: 8192 }, (req, res) => { void this.handle(req, res) })
    server.headersTimeout = HEADERS_TIMEOUT_MS
    server.requestTimeout = this.init.requestTimeout ?? 15_000
    server.keepAliveTimeout = 5000
    this.server = server
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(this.init.port ?? 0, this.init.host ?? '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      // The port is taken, or the address is not this host's: nothing is left open, and start() may be retried.
      this.server = undefined
      throw err
    }
    const address = server.address() as AddressInfo
    return { host: address.address, port: address.port }
  }

  /** Stops listening and closes every connection. */
  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const target = req.url ?? '/'
      if (Buffer.byteLength(target) > MAX_TARGET_BYTES) return failure(res, 414, 'NETGET_ERR_HTTP_URI_TOO_LONG', `request targets are at most ${MAX_TARGET_BYTES} bytes`)
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD')
        return failure(res, 405, 'NETGET_ERR_HTTP_METHOD', 'this interface is read-only: GET and HEAD only')
      }
      const url = new URL(target, 'http://netget.invalid')
      const path = url.pathname
      const { node } = this.init
      if (path === '/') {
        const html = renderStatusPage(node)
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(html), 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" })
        res.end(req.method === 'HEAD' ? undefined : html)
        return
      }
      if (path === '/.well-known/netget') return json(res, 200, { network: node.network, peerId: node.peerId, multiaddrs: node.getMultiaddrs() })
      if (path === '/metrics') {
        if (!node.metricsEnabled) return failure(res, 404, 'NETGET_ERR_HTTP_NOT_FOUND', 'metrics are off on this node')
        const text = await node.getMetrics()
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) })
        res.end(req.method === 'HEAD' ? undefined : text)
        return
      }
      if (path === '/v1/health') {
        const stats = node.getStats()
        return json(res, 200, { status: 'ok', peerId: node.peerId, network: node.network, nodeType: node.nodeType, records: stats.records, knownRegistries: stats.knownRegistries, verifiedRegistries: stats.verifiedRegistries })
      }
      if (path === '/v1/services') {
        const names = [...new Set(node.listRecords().filter(r => !r.down).map(r => r.name))].sort()
        return json(res, 200, { network: node.network, services: names })
      }
      if (path.startsWith('/v1/services/') && path.endsWith('/watch')) {
        const name = decodeURIComponent(path.slice('/v1/services/'.length, -'/watch'.length))
        return await this.watch(name, url.searchParams, res)
      }
      if (path.startsWith('/v1/services/')) {
        const name = decodeURIComponent(path.slice('/v1/services/'.length))
        const abort = new AbortController()
        res.once('close', () => { abort.abort() })
        const instances = await node.discoverServiceNode(name, { ...filtersOf(url.searchParams), signal: abort.signal })
        return json(res, 200, { network: node.network, name, instances })
      }
      return failure(res, 404, 'NETGET_ERR_HTTP_NOT_FOUND', `no such path: ${path}`)
    } catch (err) {
      if (res.headersSent) {
        res.end()
        return
      }
      if (err instanceof URIError) return failure(res, 400, 'NETGET_ERR_HTTP_BAD_PATH', 'the path is not valid percent-encoding')
      if (err instanceof NetgetError) return failure(res, STATUS_OF[err.code] ?? 500, err.code, err.message)
      return failure(res, 500, 'NETGET_ERR_HTTP_INTERNAL', (err as Error).message)
    }
  }

  /**
   * Server-Sent Events of a name's changes, as node.watch() gives them: `event: up|down|changed` with `{ instance }`
   * as `data` (the instances there already come first, each as `up`), and `event: resync` with `{ instances }`
   * after a gap, until the client goes away or the node stops.
   */
  private async watch (name: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    if (this.watchers >= MAX_WATCHERS) return failure(res, 503, 'NETGET_ERR_HTTP_BUSY', `at most ${MAX_WATCHERS} watch streams at once`)
    const abort = new AbortController()
    res.once('close', () => { abort.abort() })
    // Validates the name and filters before the stream starts, so that a bad request still gets a JSON 400.
    const iterator = this.init.node.watch(name, { ...filtersOf(query), signal: abort.signal })
    this.watchers++
    const heartbeat = setInterval(() => { res.write(': alive\n\n') }, WATCH_HEARTBEAT_MS)
    heartbeat.unref()
    try {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' })
      res.flushHeaders()
      for await (const event of iterator) {
        const data = event.type === 'resync' ? { instances: event.instances } : { instance: event.instance }
        res.write(`event: ${event.type}\ndata: ${JSON.stringify(data, (_key, v: unknown) => typeof v === 'bigint' ? v.toString() : v)}\n\n`)
      }
      res.end()
    } finally {
      clearInterval(heartbeat)
      this.watchers--
      abort.abort()
    }
  }
}
