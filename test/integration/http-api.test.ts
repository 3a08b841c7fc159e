/**
 * The read-only HTTP JSON API (src/http/api.ts; `netget registry --http HOST:PORT`) against real nodes: the same
 * instances discovery gives, filters from the query string, bounded and typed failures.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { HttpApi } from '../../src/http/api.js'
import { TestNetwork } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'

/** The fields the answers of this API carry (each answer has some of them). */
interface Answer {
  name?: string
  network?: string
  services?: string[]
  status?: string
  peerId?: string
  nodeType?: string
  multiaddrs?: string[]
  instances: Array<{ peerId: string, sequence: string, health: { status: string } }>
  error: { code: string, message: string }
}

const cli = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url))

describe('HTTP API', () => {
  const net = new TestNetwork()
  let registry: Netget
  let api: HttpApi
  let base = ''
  const services: Netget[] = []

  before(async () => {
    const { nodes, addrs } = await net.registries(1)
    registry = nodes[0]
    services.push(await net.service('Web', addrs, { metadata: { version: '1.4.0', tags: ['eu', 'blue'], region: 'eu' } }))
    services.push(await net.service('Web', addrs, { metadata: { version: '2.0.1', tags: ['us'], region: 'us' } }))
    api = new HttpApi({ node: registry })
    const { host, port } = await api.start()
    base = `http://${host}:${port}`
  })

  after(async () => {
    await api.stop()
    await net.stopAll()
  })

  const get = async (path: string, init?: RequestInit): Promise<{ status: number, body: Answer, headers: Headers }> => {
    const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(10_000) })
    return { status: res.status, body: JSON.parse(await res.text()) as Answer, headers: res.headers }
  }

  it('GET /v1/services/:name gives the instances discovery gives, with their health and sequences as strings', async () => {
    const { status, body } = await get('/v1/services/Web')
    assert.equal(status, 200)
    assert.equal(body.name, 'Web')
    assert.deepEqual(body.instances.map(i => i.peerId).sort(), services.map(s => s.peerId).sort())
    const direct = await registry.discoverServiceNode('Web')
    assert.deepEqual(body.instances.map(i => i.sequence).sort(), direct.map(i => i.sequence.toString()).sort())
    assert.ok(body.instances.every(i => typeof i.health.status === 'string'))
  })

  it('filters: tag (repeatable), version (a semver range), meta.<field>', async () => {
    const ids = async (query: string): Promise<string[]> => (await get(`/v1/services/Web?${query}`)).body.instances.map(i => i.peerId)
    assert.deepEqual(await ids('tag=eu&tag=blue'), [services[0].peerId])
    assert.deepEqual(await ids('version=%5E2'), [services[1].peerId])
    assert.deepEqual(await ids('meta.region=us'), [services[1].peerId])
    assert.deepEqual(await ids('tag=nowhere'), [])
  })

  it('GET /v1/services, /v1/health and /.well-known/netget describe the registry', async () => {
    assert.deepEqual((await get('/v1/services')).body, { network: 'development', services: ['Web'] })
    const health = await get('/v1/health')
    assert.equal(health.body.status, 'ok')
    assert.equal(health.body.peerId, registry.peerId)
    const known = await get('/.well-known/netget')
    assert.deepEqual(known.body, { network: 'development', peerId: registry.peerId, multiaddrs: registry.getMultiaddrs() })
  })

  it('GET / is a status page: the registry, its counters and the services it holds, with network text escaped', async () => {
    const sneaky = await net.service('Web', [registry.getMultiaddrs()[0]], { metadata: { note: '<script>alert(1)</script>' } })
    const res = await fetch(`${base}/`, { signal: AbortSignal.timeout(10_000) })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    const html = await res.text()
    assert.ok(html.includes(registry.peerId) && html.includes('<h3>Web ('), 'the registry and the service')
    assert.ok(html.includes(sneaky.peerId))
    assert.ok(!html.includes('<script>'), 'metadata is escaped')
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'))
    await sneaky.stop()
  })

  it('refuses what it does not serve, with a code: bad names, other methods, unknown paths, long or malformed targets', async () => {
    const bad = await get('/v1/services/not%20a%20name')
    assert.equal(bad.status, 400)
    assert.equal(bad.body.error.code, 'NETGET_ERR_INVALID_OPTION')
    const post = await get('/v1/services/Web', { method: 'POST', body: 'x' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.get('allow'), 'GET, HEAD')
    assert.equal((await get('/v2/anything')).status, 404)
    assert.equal((await get(`/v1/services/${'a'.repeat(3000)}`)).status, 414)
    assert.equal((await get('/v1/services/%E0%A4%A')).status, 400)
    const head = await fetch(`${base}/v1/health`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) })
    assert.equal(head.status, 200)
    assert.equal(await head.text(), '')
  })

  it('GET /v1/services/:name/watch streams the changes as Server-Sent Events', async () => {
    const abort = new AbortController()
    const timer = setTimeout(() => { abort.abort() }, 15_000)
    try {
      const res = await fetch(`${base}/v1/services/Web/watch`, { signal: abort.signal })
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
      assert.ok(res.body !== null)
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      /** The next event of the stream: its type and parsed data. */
      const next = async (): Promise<{ type: string, data: { instance?: { peerId: string }, instances?: Array<{ peerId: string }> } }> => {
        while (true) {
          const end = buffer.indexOf('\n\n')
          if (end >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            if (block.startsWith(':')) continue
            const type = /^event: (.+)$/m.exec(block)?.[1] ?? ''
            const data = JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? '{}')
            return { type, data }
          }
          const { value, done } = await reader.read()
          if (done) throw new Error('the stream ended')
          buffer += value
        }
      }
      // The instances there already come first, each as `up`.
      const seen = new Set<string>()
      while (seen.size < 2) {
        const event = await next()
        assert.equal(event.type, 'up')
        seen.add(event.data.instance?.peerId ?? '')
      }
      assert.deepEqual([...seen].sort(), services.slice(0, 2).map(s => s.peerId).sort())
      const joined = await net.service('Web', [registry.getMultiaddrs()[0]], { metadata: { version: '3.0.0' } })
      let event = await next()
      while (event.type !== 'up') event = await next()
      assert.equal(event.data.instance?.peerId, joined.peerId)
    } finally {
      clearTimeout(timer)
      abort.abort()
    }
    assert.equal((await get('/v1/services/bad%20name/watch')).status, 400)
  })

  it('netget registry --http serves it, and a bad --http is a usage error (exit 2)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, 'registry', '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => { reject(new Error(`no http line within 15 s: ${out}`)) }, 15_000)
        child.stdout.on('data', chunk => {
          out += chunk
          const match = /^http (\S+)$/m.exec(out)
          if (match !== null) { clearTimeout(timer); resolve(match[1]) }
        })
      })
      const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(10_000) })
      assert.equal(res.status, 200)
      assert.equal(((await res.json()) as { nodeType: string }).nodeType, 'registry')
    } finally {
      child.kill('SIGTERM')
      await new Promise(resolve => { child.once('exit', resolve) })
    }
    const bad = spawn(process.execPath, ['--import', 'tsx', cli, 'registry', '--http', 'nonsense'], { stdio: ['ignore', 'ignore', 'pipe'] })
    const code = await new Promise<number | null>(resolve => { bad.once('exit', resolve) })
    assert.equal(code, 2)
  })
})

describe('metrics', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('a node with metrics: true serves libp2p\'s and netget\'s at /metrics; two such nodes in one process do not collide', async () => {
    const { addrs } = await net.registries(1)
    const registry = net.node({ nodeType: 'registry', registryNodes: addrs, metrics: true })
    await registry.start()
    const other = net.node({ registryNodes: addrs, metrics: true, metadata: { name: 'Measured' } })
    await other.registerWithNetwork()
    await registry.discoverServiceNode('Measured')
    const api = new HttpApi({ node: registry })
    const { host, port } = await api.start()
    try {
      const res = await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
      const text = await res.text()
      assert.match(text, /^netget_discover_seconds_count\{outcome="ok"\} [1-9]/m)
      assert.match(text, /^netget_lookups_total [1-9]/m)
      assert.match(text, /^netget_verified_registries [1-9]/m)
      assert.match(text, /^libp2p_/m, 'libp2p\'s own metrics are there too')
      assert.match(await other.getMetrics(), /^netget_register_seconds_count\{outcome="ok"\} 1$/m)
    } finally {
      await api.stop()
    }
  })

  it('without metrics, getMetrics() says so and /metrics is 404', async () => {
    const { nodes: [registry] } = await net.registries(1)
    await assert.rejects(registry.getMetrics(), /metrics are off/)
    const api = new HttpApi({ node: registry })
    const { host, port } = await api.start()
    try {
      assert.equal((await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).status, 404)
    } finally {
      await api.stop()
    }
  })
})
