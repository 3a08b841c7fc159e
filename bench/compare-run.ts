/**
 * The two runs of `npm run bench:compare` at one N: netget (registries, services and clients over P processes)
 * and HyperDHT (a testnet of N DHT nodes over P processes), measured with the same schedule of lookups and
 * judged against the same kind of ground truth (the set of instances the coordinator knows were published).
 */
import { loadavg } from 'node:os'
import { peerPosition, servicePosition, compareDistance } from '../src/routing/position.js'
import { Child, sleep } from './compare-ipc.js'
import { Rng, mapLimit, mean, nameOf, shapeOf, waves } from './compare-layout.js'
import { summarize } from './stats.js'
import type { CreateResult, DiscoverResult, FreshResult, PollResult, RegisterResult, TableReport } from './compare-netget-child.js'
import type { HLookupResult } from './compare-hyperdht-child.js'
import type { Shape } from './compare-layout.js'
import type { Summary } from './stats.js'

export const NETWORK = 'bench-compare'
const STOP_GRACE_MS = 40_000

export interface Config {
  processes: number
  seed: number
  /** Target number of cold (first-of-a-name) lookups by started clients per N. */
  coldTarget: number
  /** Warm repeats after each cold lookup. */
  warmRepeats: number
  freshSamples: number
  registerSamples: number
  pollMaxMs: number
  /** The cold/warm schedule stops after this long (ms) and the run says so (`truncated`). */
  phaseBudgetMs: number
}

type Log = (line: string) => void

/** One judged lookup. */
export interface Sample {
  client: string
  name: string
  ms: number
  hops: number
  requests: number
  bytes: number | null
  found: number
  expected: number
  missing: number
  /** Every instance the coordinator knows is live was returned. */
  ok: boolean
  /** netget: lookups the client counted over the sample (1 unless background work overlapped). */
  lookups?: number
  error?: string
  /** Fresh-client samples: start (new → started/bootstrapped) and the whole time to the first result. */
  startMs?: number
  totalMs?: number
}

export interface Stat {
  mean: number | null
  p50: number | null
  p95: number | null
  max: number | null
}

export interface PhaseStats {
  samples: number
  foundAllRate: number | null
  failures: number
  /** Latency (ms): the lookup itself; for `fresh`, `total` is new node → first result. */
  latency: Summary | null
  total?: Summary | null
  start?: Summary | null
  hops: Stat
  requests: Stat
  bytes: Stat
  /** netget: samples where the client counted more than one lookup (other work overlapped the sample). */
  overlapped?: number
}

export interface Failure {
  phase: string
  client: string
  name: string
  error?: string
  found: number
  expected: number
  hops: number
  requests: number
  ms: number
  /** The same client asked again right after: did it find them all then? */
  retryOk?: boolean
  retryFound?: number
  retryError?: string
}

export interface RegisterToDiscoverable {
  samples: number
  /** registerWithNetwork()/announce resolved → the warm client's poll returned the new instance. */
  afterResolved: Summary | null
  /** register/announce called → found. */
  afterStart: Summary | null
  /** register/announce call itself. */
  register: Summary | null
  attempts: Stat
  gaveUp: number
  errors: string[]
}

export interface RunResult {
  system: 'netget' | 'hyperdht'
  n: number
  replication?: number
  shape: Shape
  layout: string
  processes: number
  setupMs: number
  setup: Record<string, unknown>
  cold: PhaseStats
  warm: PhaseStats
  fresh: PhaseStats
  registerToDiscoverable: RegisterToDiscoverable
  failures: Failure[]
  loadavg: { start: number[], end: number[] }
  durationMs: number
  childExit: string[]
  /** The cold/warm schedule hit config.phaseBudgetMs: fewer samples than planned. */
  truncated?: { planned: number, done: number }
  error?: string
}

function stat (values: readonly number[]): Stat {
  const s = summarize(values)
  return { mean: mean(values), p50: s?.p50 ?? null, p95: s?.p95 ?? null, max: s?.max ?? null }
}

export function phaseStats (samples: readonly Sample[]): PhaseStats {
  const answered = samples.filter(s => s.error === undefined)
  const withBytes = samples.filter(s => s.bytes !== null).map(s => s.bytes as number)
  const out: PhaseStats = {
    samples: samples.length,
    foundAllRate: samples.length === 0 ? null : samples.filter(s => s.ok).length / samples.length,
    failures: samples.filter(s => !s.ok).length,
    latency: summarize(answered.map(s => s.ms)),
    hops: stat(answered.map(s => s.hops)),
    requests: stat(samples.map(s => s.requests)),
    bytes: stat(withBytes)
  }
  if (samples.some(s => s.totalMs !== undefined)) {
    out.total = summarize(answered.filter(s => s.totalMs !== undefined && Number.isFinite(s.totalMs)).map(s => s.totalMs as number))
    out.start = summarize(answered.filter(s => s.startMs !== undefined && Number.isFinite(s.startMs)).map(s => s.startMs as number))
  }
  if (samples.some(s => s.lookups !== undefined)) out.overlapped = samples.filter(s => (s.lookups ?? 1) > 1).length
  return out
}

function judge (truth: Map<string, Set<string>>, name: string, found: readonly string[]): { expected: number, missing: number, ok: boolean } {
  const want = truth.get(name) ?? new Set<string>()
  const got = new Set(found)
  let missing = 0
  for (const id of want) if (!got.has(id)) missing++
  return { expected: want.size, missing, ok: missing === 0 }
}

function addTruth (truth: Map<string, Set<string>>, name: string, id: string): void {
  const set = truth.get(name) ?? new Set<string>()
  set.add(id)
  truth.set(name, set)
}

function registerStats (afterResolved: number[], afterStart: number[], register: number[], attempts: number[], gaveUp: number, errors: string[]): RegisterToDiscoverable {
  return {
    samples: afterResolved.length + gaveUp,
    afterResolved: summarize(afterResolved),
    afterStart: summarize(afterStart),
    register: summarize(register),
    attempts: stat(attempts),
    gaveUp,
    errors: errors.slice(0, 5)
  }
}

/** Pairs (client, name) for the cold/warm schedule: each client looks up names it never looked up. */
function schedule (rng: Rng, shape: Shape, clients: readonly string[], target: number): Array<{ client: string, name: string }> {
  const perClient = Math.min(shape.names, Math.max(1, Math.ceil(target / clients.length)))
  const pairs: Array<{ client: string, name: string }> = []
  for (const client of clients) {
    const names = rng.shuffle(Array.from({ length: shape.names }, (_, i) => nameOf(i))).slice(0, perClient)
    for (const name of names) pairs.push({ client, name })
  }
  return rng.shuffle(pairs)
}

async function stopAll (children: Child[], log: Log): Promise<string[]> {
  const out: string[] = []
  await Promise.all(children.map(async c => {
    const s = await c.stop(STOP_GRACE_MS)
    const text = `${c.label}: code ${s.code} signal ${s.signal}${s.killed ? ' (SIGKILLed after the grace period)' : ''}`
    if (s.killed || (s.code !== 0 && s.code !== null)) log(`  warning: ${text}; ${c.tail()}`)
    out.push(text)
  }))
  return out
}

// ------------------------------------------------------------------------------------------------ netget

interface NetgetNode { key: string, proc: number, peerId: string, addr: string }

export async function runNetget (n: number, replication: number, config: Config, log: Log): Promise<RunResult> {
  const t0 = performance.now()
  const load0 = loadavg()
  const shape = shapeOf(n)
  const rng = new Rng(config.seed * 1000 + n)
  const P = config.processes
  const children = Array.from({ length: P }, (_, i) => new Child(`netget-${n}-p${i}`, 'bench/compare-netget-child.ts'))
  const failures: Failure[] = []
  // Outside the try: a run that fails part-way still reports what it measured.
  const cold: Sample[] = []
  const warm: Sample[] = []
  const fresh: Sample[] = []
  const result: Partial<RunResult> = {
    system: 'netget',
    n,
    replication,
    shape,
    processes: P,
    layout: `${shape.registries} registries (each given one random earlier registry), ${shape.services} services over ${shape.names} names ` +
      `(each given one random registry), ${shape.clients} clients (each given one random registry); replicationFactor ${replication}; ` +
      `${P} child processes, round-robin; 127.0.0.1`
  }
  try {
    const call = async <T>(proc: number, cmd: string, args: unknown, ms: number): Promise<T> => children[proc].call<T>(cmd, args, ms)
    // Registries, in waves.
    const registries: NetgetNode[] = []
    const s0 = performance.now()
    for (const wave of waves(shape.registries)) {
      const earlier = [...registries]
      const made = await Promise.all(wave.map(async i => {
        const proc = i % P
        const boot = earlier.length === 0 ? undefined : rng.pick(earlier).addr
        const key = `r${i}`
        const r = await call<CreateResult>(proc, 'create', { key, role: 'registry', ...(boot !== undefined ? { registry: boot } : {}), replication, register: false }, 20_000)
        return { key, proc, peerId: r.peerId, addr: `${r.addrs[0]}` }
      }))
      registries.push(...made)
    }
    const registriesMs = performance.now() - s0
    // Let the registries' first self-lookups run (membership: one as soon as they know another registry).
    await sleep(Math.min(4000, 1000 + 20 * shape.registries))
    const tablesAfterRegistries = await tableSummary(children)
    log(`  netget N=${n} K=${replication}: ${shape.registries} registries up in ${registriesMs.toFixed(0)} ms; registry tables known ${fmtRange(tablesAfterRegistries.registryKnown)}`)

    // Services: each registers one name through one random registry.
    const truth = new Map<string, Set<string>>()
    const registerMs: number[] = []
    const registerErrors: string[] = []
    const placement = { exact: 0, overlap: [] as number[], accepted: [] as number[], misplaced: [] as string[] }
    const registryPos = registries.map(r => ({ id: r.peerId, pos: peerPosition(r.peerId) }))
    const closestOf = (name: string): Set<string> => {
      const target = servicePosition(NETWORK, name)
      return new Set([...registryPos].sort((a, b) => compareDistance(target, a.pos, b.pos)).slice(0, replication).map(r => r.id))
    }
    const services: NetgetNode[] = []
    const sv0 = performance.now()
    await mapLimit(shape.services, 4 * P, async j => {
      const proc = (j + 1) % P
      const key = `s${j}`
      const name = nameOf(j % shape.names)
      const r = await call<CreateResult>(proc, 'create', { key, role: 'service', name, registry: rng.pick(registries).addr, replication, register: true }, 60_000)
      services.push({ key, proc, peerId: r.peerId, addr: r.addrs[0] })
      if (r.registerError !== undefined) {
        registerErrors.push(`${key} (${name}): ${r.registerError}`)
        return
      }
      if (r.registerMs !== undefined) registerMs.push(r.registerMs)
      const by = new Set(r.acceptedBy ?? [])
      placement.accepted.push(by.size)
      const closest = closestOf(name)
      const overlap = [...closest].filter(id => by.has(id)).length
      placement.overlap.push(overlap)
      if (overlap === closest.size) placement.exact++
      else if (placement.misplaced.length < 10) placement.misplaced.push(`${key} (${name}): stored at ${overlap} of the ${closest.size} true closest registries (${by.size} accepted)`)
      addTruth(truth, name, r.peerId)
    })
    const servicesMs = performance.now() - sv0
    log(`  netget N=${n}: ${services.length} services in ${servicesMs.toFixed(0)} ms (register p50 ${summarize(registerMs)?.p50.toFixed(1)} ms, ${registerErrors.length} failed)`)

    const clients: NetgetNode[] = []
    await mapLimit(shape.clients, 4 * P, async c => {
      const proc = (c + 2) % P
      const key = `c${c}`
      const r = await call<CreateResult>(proc, 'create', { key, role: 'client', registry: rng.pick(registries).addr, replication, register: false }, 20_000)
      clients.push({ key, proc, peerId: r.peerId, addr: r.addrs[0] })
    })
    clients.sort((a, b) => Number(a.key.slice(1)) - Number(b.key.slice(1)))
    await sleep(1000)
    const setupMs = performance.now() - t0
    const tablesBefore = await tableSummary(children)
    const byKey = new Map(clients.map(c => [c.key, c]))

    // Cold (a started client's first lookup of a name), then warm repeats (the route is fresh: routeCacheTtl 30 s).
    const toSample = (client: string, name: string, r: DiscoverResult): Sample => {
      const j = judge(truth, name, r.peerIds)
      return { client, name, ms: r.ms, hops: r.cost.hops, requests: r.cost.requests, bytes: r.cost.bytes, found: r.peerIds.length, lookups: r.cost.lookups, ...j, ...(r.error !== undefined ? { error: r.error } : {}) }
    }
    const pairs = schedule(rng, shape, clients.map(c => c.key), config.coldTarget)
    const phaseEnd = performance.now() + config.phaseBudgetMs
    for (const { client, name } of pairs) {
      if (performance.now() > phaseEnd) {
        result.truncated = { planned: pairs.length, done: cold.length }
        log(`  netget N=${n}: cold/warm schedule stopped after ${config.phaseBudgetMs} ms (${cold.length} of ${pairs.length} pairs)`)
        break
      }
      const node = byKey.get(client)!
      const r = await call<DiscoverResult>(node.proc, 'discover', { key: client, name }, 15_000)
      const s = toSample(client, name, r)
      cold.push(s)
      if (!s.ok) failures.push(await retryNetget(call, node, 'cold', s, truth))
      for (let w = 0; w < config.warmRepeats; w++) {
        const rw = await call<DiscoverResult>(node.proc, 'discover', { key: client, name }, 15_000)
        const sw = toSample(client, name, rw)
        warm.push(sw)
        if (!sw.ok) failures.push(await retryNetget(call, node, 'warm', sw, truth))
      }
    }
    log(`  netget N=${n}: cold ${fmtPhase(cold)}; warm ${fmtPhase(warm)}`)

    // Fresh clients: new Netget → start → first discovery, one at a time.
    for (let i = 0; i < config.freshSamples; i++) {
      const name = nameOf(rng.int(shape.names))
      const proc = rng.int(P)
      const r = await call<FreshResult>(proc, 'fresh', { registry: rng.pick(registries).addr, name, replication }, 40_000)
      const j = judge(truth, name, r.peerIds)
      const s: Sample = { client: `fresh${i}`, name, ms: r.ms, hops: r.cost.hops, requests: r.cost.requests, bytes: r.cost.bytes, found: r.peerIds.length, lookups: r.cost.lookups, startMs: r.startMs, totalMs: r.totalMs, ...j, ...(r.error !== undefined ? { error: r.error } : {}) }
      fresh.push(s)
      if (!s.ok) failures.push({ phase: 'fresh', client: s.client, name, found: s.found, expected: s.expected, hops: s.hops, requests: s.requests, ms: s.ms, ...(s.error !== undefined ? { error: s.error } : {}) })
    }
    log(`  netget N=${n}: fresh ${fmtPhase(fresh, true)}`)

    // Register → discoverable: a new service joins an existing name; a client that looked that name up polls.
    const afterResolved: number[] = []
    const afterStart: number[] = []
    const regMs: number[] = []
    const attempts: number[] = []
    const regErrors: string[] = []
    let gaveUp = 0
    for (let i = 0; i < config.registerSamples; i++) {
      const name = nameOf(rng.int(shape.names))
      const client = rng.pick(clients)
      const proc = P > 1 ? (client.proc + 1 + rng.int(P - 1)) % P : 0
      const key = `new${i}`
      await call<DiscoverResult>(client.proc, 'discover', { key: client.key, name }, 15_000)
      const created = await call<CreateResult>(proc, 'create', { key, role: 'service', name, registry: rng.pick(registries).addr, replication, register: false }, 20_000)
      const polling = call<PollResult>(client.proc, 'poll', { key: client.key, name, peerId: created.peerId, maxMs: config.pollMaxMs }, config.pollMaxMs + 15_000)
      await sleep(20)
      const reg = await call<RegisterResult>(proc, 'register', { key }, 20_000)
      const poll = await polling
      if (reg.error !== undefined) regErrors.push(reg.error)
      else regMs.push(reg.resolvedAt - reg.startedAt)
      if (poll.error !== undefined) regErrors.push(`poll: ${poll.error}`)
      attempts.push(poll.attempts)
      if (poll.foundAt === undefined) gaveUp++
      else {
        afterResolved.push(poll.foundAt - reg.resolvedAt)
        afterStart.push(poll.foundAt - reg.startedAt)
        truth.get(name)?.add(created.peerId)
      }
    }
    const r2d = registerStats(afterResolved, afterStart, regMs, attempts, gaveUp, regErrors)
    log(`  netget N=${n}: register → discoverable p50 ${r2d.afterResolved?.p50.toFixed(2)} ms after resolve (${r2d.afterStart?.p50.toFixed(2)} ms after call), gave up ${gaveUp}`)

    const tablesAfter = await tableSummary(children)
    Object.assign(result, {
      setupMs,
      setup: {
        registriesMs,
        servicesMs,
        register: summarize(registerMs),
        registerFailures: registerErrors.length,
        registerErrors: registerErrors.slice(0, 5),
        acceptedPerRegistration: stat(placement.accepted),
        // Did each record reach the true K closest registries (computed here from every registry's peer id)?
        placement: { atAllTrueClosest: placement.exact, of: placement.overlap.length, overlap: stat(placement.overlap), misplaced: placement.misplaced },
        instancesPerName: stat([...truth.values()].map(s => s.size)),
        tablesAfterRegistries,
        tablesBeforeLookups: tablesBefore,
        tablesAtEnd: tablesAfter
      },
      cold: phaseStats(cold),
      warm: phaseStats(warm),
      fresh: phaseStats(fresh),
      registerToDiscoverable: r2d
    })
  } catch (err) {
    result.error = (err as Error).message
    log(`  netget N=${n}: ERROR ${(err as Error).message}`)
  } finally {
    result.childExit = await stopAll(children, log)
  }
  return {
    setupMs: 0,
    setup: {},
    cold: phaseStats(cold),
    warm: phaseStats(warm),
    fresh: phaseStats(fresh),
    registerToDiscoverable: registerStats([], [], [], [], 0, []),
    ...result,
    failures: failures.slice(0, 40),
    loadavg: { start: load0, end: loadavg() },
    durationMs: performance.now() - t0
  } as RunResult
}

async function retryNetget (call: <T>(proc: number, cmd: string, args: unknown, ms: number) => Promise<T>, node: NetgetNode, phase: string, s: Sample,
  truth: Map<string, Set<string>>): Promise<Failure> {
  const f: Failure = { phase, client: s.client, name: s.name, found: s.found, expected: s.expected, hops: s.hops, requests: s.requests, ms: s.ms, ...(s.error !== undefined ? { error: s.error } : {}) }
  try {
    const r = await call<DiscoverResult>(node.proc, 'discover', { key: node.key, name: s.name }, 15_000)
    const j = judge(truth, s.name, r.peerIds)
    f.retryOk = j.ok
    f.retryFound = r.peerIds.length
    if (r.error !== undefined) f.retryError = r.error
  } catch (err) {
    f.retryError = (err as Error).message
  }
  return f
}

interface TableSummary { registryKnown: Stat, registryVerified: Stat, clientKnown: Stat, records: Stat }

async function tableSummary (children: Child[]): Promise<TableSummary> {
  const all = (await Promise.all(children.map(async c => c.call<TableReport[]>('tables', null, 10_000).catch(() => [] as TableReport[])))).flat()
  const reg = all.filter(t => t.key.startsWith('r'))
  const cli = all.filter(t => !t.key.startsWith('r'))
  return {
    registryKnown: stat(reg.map(t => t.knownRegistries)),
    registryVerified: stat(reg.map(t => t.verifiedRegistries)),
    clientKnown: stat(cli.map(t => t.knownRegistries)),
    records: stat(reg.map(t => t.records))
  }
}

function fmtRange (s: Stat): string {
  return `mean ${s.mean?.toFixed(1)} (p50 ${s.p50}, max ${s.max})`
}

function fmtPhase (samples: Sample[], total = false): string {
  const p = phaseStats(samples)
  const lat = total ? p.total : p.latency
  return `${p.samples} samples, p50 ${lat?.p50.toFixed(2)} ms, hops ${p.hops.mean?.toFixed(2)}, requests ${p.requests.mean?.toFixed(1)}, found all ${((p.foundAllRate ?? 0) * 100).toFixed(1)} %`
}

// ------------------------------------------------------------------------------------------------ HyperDHT

interface DhtNode { key: string, proc: number, address: string }

export async function runHyperdht (n: number, config: Config, log: Log): Promise<RunResult> {
  const t0 = performance.now()
  const load0 = loadavg()
  const shape = shapeOf(n)
  const rng = new Rng(config.seed * 1000 + n + 7)
  const P = config.processes
  const children = Array.from({ length: P }, (_, i) => new Child(`hyperdht-${n}-p${i}`, 'bench/compare-hyperdht-child.ts'))
  const failures: Failure[] = []
  // Outside the try: a run that fails part-way still reports what it measured.
  const cold: Sample[] = []
  const warm: Sample[] = []
  const fresh: Sample[] = []
  const result: Partial<RunResult> = {
    system: 'hyperdht',
    n,
    shape,
    processes: P,
    layout: `testnet of ${n} DHT nodes built as hyperdht/testnet.js builds them (ephemeral: false, firewalled: false), each bootstrapped ` +
      `from one random earlier node; ${shape.services} of them announce one key pair each over ${shape.names} topics, ${shape.clients} others ` +
      `look up; ${P} child processes, round-robin; 127.0.0.1 (UDP)`
  }
  try {
    const call = async <T>(proc: number, cmd: string, args: unknown, ms: number): Promise<T> => children[proc].call<T>(cmd, args, ms)
    const all: DhtNode[] = []
    const s0 = performance.now()
    for (const wave of waves(n)) {
      const earlier = [...all]
      const made = await Promise.all(wave.map(async i => {
        const proc = i % P
        const boot = earlier.length === 0 ? undefined : rng.pick(earlier).address
        const key = `h${i}`
        const r = await call<{ address: string }>(proc, 'create', { key, ...(boot !== undefined ? { bootstrap: boot } : {}) }, 20_000)
        return { key, proc, address: r.address }
      }))
      all.push(...made)
    }
    const nodesMs = performance.now() - s0
    const announcers = all.slice(shape.registries, shape.registries + shape.services)
    const clients = all.slice(shape.registries + shape.services)
    const truth = new Map<string, Set<string>>()
    const announceMs: number[] = []
    const announceErrors: string[] = []
    const a0 = performance.now()
    await mapLimit(announcers.length, 4 * P, async j => {
      const node = announcers[j]
      const name = nameOf(j % shape.names)
      const r = await call<{ publicKey: string, startedAt: number, resolvedAt: number, error?: string }>(node.proc, 'announce', { key: node.key, name, seed: rng.hex(32) }, 20_000)
      if (r.error !== undefined) {
        announceErrors.push(`${node.key} (${name}): ${r.error}`)
        return
      }
      announceMs.push(r.resolvedAt - r.startedAt)
      addTruth(truth, name, r.publicKey)
    })
    const announcedMs = performance.now() - a0
    await sleep(1000)
    const setupMs = performance.now() - t0
    log(`  hyperdht N=${n}: ${n} nodes in ${nodesMs.toFixed(0)} ms; ${announcers.length} announces in ${announcedMs.toFixed(0)} ms (p50 ${summarize(announceMs)?.p50.toFixed(1)} ms, ${announceErrors.length} failed)`)

    const byKey = new Map(clients.map(c => [c.key, c]))
    const toSample = (client: string, name: string, r: HLookupResult): Sample => {
      const j = judge(truth, name, r.peerIds)
      return { client, name, ms: r.ms, hops: r.hops, requests: r.requests, bytes: null, found: r.peerIds.length, ...j, ...(r.error !== undefined ? { error: r.error } : {}) }
    }
    const retry = async (node: DhtNode, phase: string, s: Sample): Promise<Failure> => {
      const f: Failure = { phase, client: s.client, name: s.name, found: s.found, expected: s.expected, hops: s.hops, requests: s.requests, ms: s.ms, ...(s.error !== undefined ? { error: s.error } : {}) }
      try {
        const r = await call<HLookupResult>(node.proc, 'lookup', { key: node.key, name: s.name }, 15_000)
        f.retryOk = judge(truth, s.name, r.peerIds).ok
        f.retryFound = r.peerIds.length
      } catch (err) {
        f.retryError = (err as Error).message
      }
      return f
    }
    const pairs = schedule(rng, shape, clients.map(c => c.key), config.coldTarget)
    const phaseEnd = performance.now() + config.phaseBudgetMs
    for (const { client, name } of pairs) {
      if (performance.now() > phaseEnd) {
        result.truncated = { planned: pairs.length, done: cold.length }
        log(`  hyperdht N=${n}: cold/warm schedule stopped after ${config.phaseBudgetMs} ms (${cold.length} of ${pairs.length} pairs)`)
        break
      }
      const node = byKey.get(client)!
      const s = toSample(client, name, await call<HLookupResult>(node.proc, 'lookup', { key: client, name }, 15_000))
      cold.push(s)
      if (!s.ok) failures.push(await retry(node, 'cold', s))
      for (let w = 0; w < config.warmRepeats; w++) {
        const sw = toSample(client, name, await call<HLookupResult>(node.proc, 'lookup', { key: client, name }, 15_000))
        warm.push(sw)
        if (!sw.ok) failures.push(await retry(node, 'warm', sw))
      }
    }
    log(`  hyperdht N=${n}: cold ${fmtPhase(cold)}; warm ${fmtPhase(warm)}`)

    // Fresh clients: a new ephemeral node bootstrapped from a random node (not the announcers' bootstrap) → first lookup.
    for (let i = 0; i < config.freshSamples; i++) {
      const name = nameOf(rng.int(shape.names))
      const proc = rng.int(P)
      const r = await call<HLookupResult & { startMs: number, totalMs: number }>(proc, 'fresh', { bootstrap: rng.pick(all).address, name }, 40_000)
      const s = { ...toSample(`fresh${i}`, name, r), startMs: r.startMs, totalMs: r.totalMs }
      fresh.push(s)
      if (!s.ok) failures.push({ phase: 'fresh', client: s.client, name, found: s.found, expected: s.expected, hops: s.hops, requests: s.requests, ms: s.ms, ...(s.error !== undefined ? { error: s.error } : {}) })
    }
    log(`  hyperdht N=${n}: fresh ${fmtPhase(fresh, true)}`)

    // Announce → discoverable: an announcer node announces a new key pair under an existing topic; a client polls.
    const afterResolved: number[] = []
    const afterStart: number[] = []
    const regMs: number[] = []
    const attempts: number[] = []
    const regErrors: string[] = []
    let gaveUp = 0
    for (let i = 0; i < config.registerSamples; i++) {
      const name = nameOf(rng.int(shape.names))
      const client = rng.pick(clients)
      const others = announcers.filter(a => a.proc !== client.proc)
      const announcer = rng.pick(others.length > 0 ? others : announcers)
      const seed = rng.hex(32)
      const { default: DHT } = await import('hyperdht')
      const publicKey = DHT.keyPair(Buffer.from(seed, 'hex')).publicKey.toString('hex')
      const polling = call<PollResult>(client.proc, 'poll', { key: client.key, name, publicKey, maxMs: config.pollMaxMs }, config.pollMaxMs + 15_000)
      await sleep(20)
      const reg = await call<{ startedAt: number, resolvedAt: number, error?: string }>(announcer.proc, 'announce', { key: announcer.key, name, seed }, 20_000)
      const poll = await polling
      if (reg.error !== undefined) regErrors.push(reg.error)
      else regMs.push(reg.resolvedAt - reg.startedAt)
      if (poll.error !== undefined) regErrors.push(`poll: ${poll.error}`)
      attempts.push(poll.attempts)
      if (poll.foundAt === undefined) gaveUp++
      else {
        afterResolved.push(poll.foundAt - reg.resolvedAt)
        afterStart.push(poll.foundAt - reg.startedAt)
        truth.get(name)?.add(publicKey)
      }
    }
    const r2d = registerStats(afterResolved, afterStart, regMs, attempts, gaveUp, regErrors)
    log(`  hyperdht N=${n}: announce → discoverable p50 ${r2d.afterResolved?.p50.toFixed(2)} ms after resolve (${r2d.afterStart?.p50.toFixed(2)} ms after call), gave up ${gaveUp}`)
    Object.assign(result, {
      setupMs,
      setup: { nodesMs, announcedMs, announce: summarize(announceMs), announceFailures: announceErrors.length, announceErrors: announceErrors.slice(0, 5), instancesPerName: stat([...truth.values()].map(s => s.size)) },
      cold: phaseStats(cold),
      warm: phaseStats(warm),
      fresh: phaseStats(fresh),
      registerToDiscoverable: r2d
    })
  } catch (err) {
    result.error = (err as Error).message
    log(`  hyperdht N=${n}: ERROR ${(err as Error).message}`)
  } finally {
    result.childExit = await stopAll(children, log)
  }
  return {
    setupMs: 0,
    setup: {},
    cold: phaseStats(cold),
    warm: phaseStats(warm),
    fresh: phaseStats(fresh),
    registerToDiscoverable: registerStats([], [], [], [], 0, []),
    ...result,
    failures: failures.slice(0, 40),
    loadavg: { start: load0, end: loadavg() },
    durationMs: performance.now() - t0
  } as RunResult
}
