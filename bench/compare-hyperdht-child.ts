/**
 * One HyperDHT process of `npm run bench:compare`: DHT nodes built as hyperdht's testnet builds them
 * (`ephemeral: false, firewalled: false`, 127.0.0.1), on the coordinator's command; announces and lookups with
 * their latency, the query's requests and its hops. Exits when the IPC channel closes (bench/compare-ipc.ts).
 *
 * Hops are observed, not guessed: the query's `map` (called with every successful reply, before hyperdht's own
 * mapping) is wrapped to see which node named which (`closerNodes`); a node's hop is 1 + the hop of the first
 * node that named it (0 for those taken from the routing table or the bootstrap list), and a lookup's hops are
 * the largest hop among the query's `closestReplies` (the k = 20 closest that answered), as netget's
 * `lookupHops` counts the farthest of its closest registries. Requests are the query's `successes + errors`.
 */
import DHT from 'hyperdht'
import { bounded, now, serveRequests, sleep } from './compare-ipc.js'
import type { HostPort, KeyPair, LookupReply } from 'hyperdht'

const OP_MS = 10_000

interface RawReply {
  from: { host: string, port: number }
  closerNodes: Array<{ host: string, port: number }> | null
}

/** The parts of dht-rpc's Query (hyperdht's lookup returns one) read here. */
interface TrackedQuery extends AsyncIterable<LookupReply> {
  map: (m: RawReply) => unknown
  closestReplies: RawReply[]
  successes: number
  errors: number
  destroy (err?: Error): void
}

export interface HLookupResult {
  ms: number
  peerIds: string[]
  hops: number
  requests: number
  error?: string
}

const nodes = new Map<string, DHT>()

const topic = (name: string): Buffer => DHT.hash(Buffer.from(`netget-bench-compare/${name}`))

function parse (address: string): HostPort {
  const [host, port] = address.split(':')
  if (host !== '127.0.0.1') throw new Error(`loopback only, got ${address}`)
  return { host, port: Number(port) }
}

function get (key: string): DHT {
  const dht = nodes.get(key)
  if (dht === undefined) throw new Error(`no node ${key}`)
  return dht
}

function errorText (err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300)
}

async function lookup (dht: DHT, name: string): Promise<HLookupResult> {
  const q = dht.lookup(topic(name)) as unknown as TrackedQuery
  const hop = new Map<string, number>()
  const inner = q.map
  q.map = (m: RawReply) => {
    const from = `${m.from.host}:${m.from.port}`
    const h = hop.get(from) ?? 0
    if (!hop.has(from)) hop.set(from, 0)
    for (const n of m.closerNodes ?? []) {
      const a = `${n.host}:${n.port}`
      const known = hop.get(a)
      if (known === undefined || known > h + 1) hop.set(a, h + 1)
    }
    return inner(m)
  }
  const seen = new Set<string>()
  const t0 = performance.now()
  const run = async (): Promise<void> => {
    for await (const reply of q) for (const p of reply.peers) seen.add(p.publicKey.toString('hex'))
  }
  try {
    await bounded(run(), OP_MS, 'lookup')
    const ms = performance.now() - t0
    let hops = 0
    for (const r of q.closestReplies) hops = Math.max(hops, hop.get(`${r.from.host}:${r.from.port}`) ?? 0)
    return { ms, peerIds: [...seen], hops, requests: q.successes + q.errors }
  } catch (err) {
    q.destroy()
    return { ms: performance.now() - t0, peerIds: [...seen], hops: 0, requests: q.successes + q.errors, error: errorText(err) }
  }
}

async function create (bootstrap: string | undefined, ephemeral: boolean): Promise<DHT> {
  const dht = new DHT({ ephemeral, firewalled: false, bootstrap: bootstrap === undefined ? [] : [parse(bootstrap)], port: 0, host: '127.0.0.1' })
  try {
    await bounded(dht.fullyBootstrapped(), OP_MS, 'fullyBootstrapped()')
  } catch (err) {
    await bounded(dht.destroy(), OP_MS, 'destroy()').catch(() => {})
    throw err
  }
  const { host } = dht.address()
  if (host !== '127.0.0.1') {
    await dht.destroy()
    throw new Error(`bound to ${host}, not loopback`)
  }
  return dht
}

async function announce (dht: DHT, name: string, keyPair: KeyPair): Promise<void> {
  await bounded(dht.announce(topic(name), keyPair).finished(), OP_MS, 'announce')
}

serveRequests({
  create: async (a: { key: string, bootstrap?: string }): Promise<{ address: string, startMs: number }> => {
    const t0 = performance.now()
    const dht = await create(a.bootstrap, false)
    nodes.set(a.key, dht)
    const { host, port } = dht.address()
    return { address: `${host}:${port}`, startMs: performance.now() - t0 }
  },

  /** Announces a new key pair (from `seed`, hex) under `name`; hi-res wall-clock times of start and end. */
  announce: async (a: { key: string, name: string, seed: string }): Promise<{ publicKey: string, startedAt: number, resolvedAt: number, error?: string }> => {
    const keyPair = DHT.keyPair(Buffer.from(a.seed, 'hex'))
    const startedAt = now()
    try {
      await announce(get(a.key), a.name, keyPair)
      return { publicKey: keyPair.publicKey.toString('hex'), startedAt, resolvedAt: now() }
    } catch (err) {
      return { publicKey: keyPair.publicKey.toString('hex'), startedAt, resolvedAt: now(), error: errorText(err) }
    }
  },

  lookup: async (a: { key: string, name: string }): Promise<HLookupResult> => lookup(get(a.key), a.name),

  /** A node that never ran: new ephemeral DHT (a client) → bootstrapped → first lookup to the end; destroyed after. */
  fresh: async (a: { bootstrap: string, name: string }): Promise<HLookupResult & { startMs: number, totalMs: number }> => {
    const t0 = performance.now()
    let dht: DHT | undefined
    try {
      dht = await create(a.bootstrap, true)
      const startMs = performance.now() - t0
      const r = await lookup(dht, a.name)
      return { ...r, startMs, totalMs: performance.now() - t0 }
    } catch (err) {
      return { ms: Number.NaN, peerIds: [], hops: 0, requests: 0, startMs: Number.NaN, totalMs: Number.NaN, error: errorText(err) }
    } finally {
      if (dht !== undefined) await bounded(dht.destroy(), OP_MS, 'destroy()').catch(() => {})
    }
  },

  poll: async (a: { key: string, name: string, publicKey: string, maxMs: number }): Promise<{ foundAt?: number, attempts: number, firstPollAt: number, error?: string }> => {
    const dht = get(a.key)
    const firstPollAt = now()
    const end = performance.now() + a.maxMs
    let attempts = 0
    let error: string | undefined
    while (performance.now() < end) {
      attempts++
      const r = await lookup(dht, a.name)
      if (r.peerIds.includes(a.publicKey)) return { foundAt: now(), attempts, firstPollAt }
      if (r.error !== undefined) error ??= r.error
      await sleep(1)
    }
    return { attempts, firstPollAt, ...(error !== undefined ? { error } : {}) }
  },

  stopAll: async (): Promise<{ stopped: number, errors: number }> => {
    let errors = 0
    const all = [...nodes.values()].reverse()
    nodes.clear()
    await Promise.all(all.map(async dht => {
      await bounded(dht.destroy(), OP_MS, 'destroy()').catch(() => { errors++ })
    }))
    return { stopped: all.length, errors }
  }
}, 3_600_000)
