/**
 * One netget process of `npm run bench:compare`: creates registries, services and clients on the coordinator's
 * command (public API only: `new Netget({...})`), runs their lookups and reports latency and the lookup's cost
 * from `getStats()` deltas. Exits when the IPC channel closes (bench/compare-ipc.ts).
 */
import { Netget } from '../src/index.js'
import { bounded, now, serveRequests, sleep } from './compare-ipc.js'

const NETWORK = 'bench-compare'
/** Headroom over the library's own deadlines: if one of these fires, the library failed to honour its timeout. */
const GUARD_MS = 3000
const START_BOUND_MS = 15_000
const STOP_BOUND_MS = 10_000
const DISCOVER_TIMEOUT_MS = 5000
const REGISTER_TIMEOUT_MS = 10_000

export type Role = 'registry' | 'service' | 'client'

export interface CreateArgs {
  key: string
  role: Role
  registry?: string
  name?: string
  replication: number
  /** Services: call registerWithNetwork() after start (up to `registerAttempts` times). */
  register: boolean
}

export interface CreateResult {
  peerId: string
  addrs: string[]
  startMs: number
  registerMs?: number
  registerAttempts?: number
  registerError?: string
  /** Registries that stored the record (RegistrationResult.registries). */
  acceptedBy?: string[]
}

/** Deltas of getStats() over one lookup. */
export interface Cost {
  lookups: number
  hops: number
  requests: number
  bytes: number
}

export interface DiscoverResult {
  ms: number
  peerIds: string[]
  cost: Cost
  error?: string
}

export interface FreshResult extends DiscoverResult {
  /** new Netget() + start(). */
  startMs: number
  /** new Netget() → first result (start + first discovery). */
  totalMs: number
}

export interface PollResult {
  foundAt?: number
  attempts: number
  firstPollAt: number
  error?: string
}

export interface RegisterResult {
  startedAt: number
  resolvedAt: number
  accepted: number
  error?: string
}

export interface TableReport {
  key: string
  knownRegistries: number
  verifiedRegistries: number
  records: number
  lookups: number
  requests: number
}

const nodes = new Map<string, { role: Role, netget: Netget }>()

function errorText (err: unknown): string {
  if (err instanceof Error) return `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}`.slice(0, 400)
  return String(err).slice(0, 400)
}

function make (role: Role, replication: number, registry?: string, name?: string): Netget {
  return new Netget({
    nodeType: role === 'registry' ? 'registry' : 'service',
    ...(name !== undefined ? { metadata: { name } } : {}),
    network: NETWORK,
    registryNodes: registry === undefined ? [] : [registry],
    listen: ['/ip4/127.0.0.1/tcp/0'],
    replicationFactor: replication,
    discoverTimeout: DISCOVER_TIMEOUT_MS,
    registerTimeout: REGISTER_TIMEOUT_MS
  })
}

function counters (netget: Netget): Cost {
  const s = netget.getStats()
  return { lookups: s.lookups, hops: s.lookupHops, requests: s.requests, bytes: s.requestBytes + s.responseBytes }
}

function minus (a: Cost, b: Cost): Cost {
  return { lookups: a.lookups - b.lookups, hops: a.hops - b.hops, requests: a.requests - b.requests, bytes: a.bytes - b.bytes }
}

function get (key: string): Netget {
  const node = nodes.get(key)
  if (node === undefined) throw new Error(`no node ${key}`)
  return node.netget
}

async function discoverOnce (netget: Netget, name: string): Promise<DiscoverResult> {
  const before = counters(netget)
  const t0 = performance.now()
  try {
    // maxAge 0 (the default): always asks the registries.
    const found = await bounded(netget.discoverServiceNode(name, { maxAge: 0 }), DISCOVER_TIMEOUT_MS + GUARD_MS, 'discoverServiceNode()')
    const ms = performance.now() - t0
    return { ms, peerIds: found.map(i => i.peerId), cost: minus(counters(netget), before) }
  } catch (err) {
    return { ms: performance.now() - t0, peerIds: [], cost: minus(counters(netget), before), error: errorText(err) }
  }
}

async function register (netget: Netget, attempts: number): Promise<{ ms: number, attempts: number, acceptedBy: string[], error?: string }> {
  let error: string | undefined
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const t0 = performance.now()
    try {
      const result = await bounded(netget.registerWithNetwork(), REGISTER_TIMEOUT_MS + GUARD_MS, 'registerWithNetwork()')
      return { ms: performance.now() - t0, attempts: attempt, acceptedBy: result.registries }
    } catch (err) {
      error = errorText(err)
      await sleep(300)
    }
  }
  return { ms: Number.NaN, attempts, acceptedBy: [], ...(error !== undefined ? { error } : {}) }
}

serveRequests({
  create: async (a: CreateArgs): Promise<CreateResult> => {
    if (nodes.has(a.key)) throw new Error(`node ${a.key} exists`)
    const netget = make(a.role, a.replication, a.registry, a.name)
    nodes.set(a.key, { role: a.role, netget })
    const t0 = performance.now()
    try {
      await bounded(netget.start(), START_BOUND_MS, 'start()')
    } catch (err) {
      nodes.delete(a.key)
      await bounded(netget.stop(), STOP_BOUND_MS, 'stop()').catch(() => {})
      throw err
    }
    const out: CreateResult = { peerId: netget.peerId, addrs: netget.getMultiaddrs(), startMs: performance.now() - t0 }
    if (a.role !== 'service' || !a.register) return out
    const r = await register(netget, 3)
    return { ...out, registerMs: r.ms, registerAttempts: r.attempts, acceptedBy: r.acceptedBy, ...(r.error !== undefined ? { registerError: r.error } : {}) }
  },

  discover: async (a: { key: string, name: string }): Promise<DiscoverResult> => discoverOnce(get(a.key), a.name),

  /** A client that never ran: new Netget → start → first discovery; stopped afterwards (not timed). */
  fresh: async (a: { registry: string, name: string, replication: number }): Promise<FreshResult> => {
    const t0 = performance.now()
    const netget = make('client', a.replication, a.registry)
    try {
      await bounded(netget.start(), START_BOUND_MS, 'start()')
      const startMs = performance.now() - t0
      const r = await discoverOnce(netget, a.name)
      // The whole node's traffic is this lookup's: nothing else ran on it.
      const all = counters(netget)
      return { ...r, cost: { ...r.cost, requests: all.requests, bytes: all.bytes }, startMs, totalMs: performance.now() - t0 }
    } catch (err) {
      return { ms: Number.NaN, peerIds: [], cost: { lookups: 0, hops: 0, requests: 0, bytes: 0 }, startMs: Number.NaN, totalMs: Number.NaN, error: errorText(err) }
    } finally {
      await bounded(netget.stop(), STOP_BOUND_MS, 'stop()').catch(() => {})
    }
  },

  /** Discovers `name` again and again until `peerId` is among the instances, or `maxMs` passed. */
  poll: async (a: { key: string, name: string, peerId: string, maxMs: number }): Promise<PollResult> => {
    const netget = get(a.key)
    const firstPollAt = now()
    const end = performance.now() + a.maxMs
    let attempts = 0
    let error: string | undefined
    while (performance.now() < end) {
      attempts++
      const r = await discoverOnce(netget, a.name)
      if (r.peerIds.includes(a.peerId)) return { foundAt: now(), attempts, firstPollAt }
      if (r.error !== undefined) error ??= r.error
      // Yield a little so the process's other nodes (the registries and the publisher) get the CPU.
      await sleep(1)
    }
    return { attempts, firstPollAt, ...(error !== undefined ? { error } : {}) }
  },

  /** registerWithNetwork() of a started service, once; hi-res wall-clock times of its start and resolution. */
  register: async (a: { key: string }): Promise<RegisterResult> => {
    const netget = get(a.key)
    const startedAt = now()
    try {
      const result = await bounded(netget.registerWithNetwork(), REGISTER_TIMEOUT_MS + GUARD_MS, 'registerWithNetwork()')
      return { startedAt, resolvedAt: now(), accepted: result.registries.length }
    } catch (err) {
      return { startedAt, resolvedAt: now(), accepted: 0, error: errorText(err) }
    }
  },

  tables: async (): Promise<TableReport[]> => {
    const out: TableReport[] = []
    for (const [key, { netget }] of nodes) {
      const s = netget.getStats()
      out.push({ key, knownRegistries: s.knownRegistries, verifiedRegistries: s.verifiedRegistries, records: s.records, lookups: s.lookups, requests: s.requests })
    }
    return out
  },

  stopAll: async (): Promise<{ stopped: number, errors: number }> => {
    let errors = 0
    const all = [...nodes.values()]
    nodes.clear()
    // Services first (they withdraw their records), then clients and registries.
    for (const phase of [all.filter(n => n.role === 'service'), all.filter(n => n.role !== 'service')]) {
      await Promise.all(phase.map(async n => {
        await bounded(n.netget.stop(), STOP_BOUND_MS, 'stop()').catch(() => { errors++ })
      }))
    }
    return { stopped: all.length, errors }
  }
}, 3_600_000)
