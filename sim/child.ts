/**
 * One simulation process: creates and stops netget nodes on the coordinator's command, runs their lookups, and
 * reports what happened. Public API only. Exits when the IPC channel closes, so it never outlives the coordinator.
 */
import { appendFile, writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks'
import { Netget } from '../src/index.js'
import type {
  Command, CreateCommand, CreateReply, DiscoverReply, Envelope, NodeSettings, PartitionReply, ProblemMessage,
  RecordsReply, Role, SampleReply, StopReply, TrafficDelta, WatchCommand, WatchReply, ChildMessage
} from './protocol.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** Headroom over the library's own deadlines: if this fires, the library failed to honour its timeout. */
const GUARD_MARGIN_MS = 3000
const STOP_BOUND_MS = 10_000
const START_BOUND_MS = 15_000

interface SimNode {
  id: string
  role: Role
  name?: string
  netget: Netget
  connections: Set<string>
}

// Every node of a run shares these; the coordinator passes them at fork so that all processes agree.
const settings = loadSettings()
const nodes = new Map<string, SimNode>()
const deny = new Set<string>()
const nodeErrors: Record<string, number> = {}
const ELD_RESOLUTION_MS = 10
const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS })
eld.enable()

function loadSettings (): NodeSettings {
  const text = process.env.NETGET_SIM_SETTINGS
  if (text === undefined) throw new Error('NETGET_SIM_SETTINGS missing: start this through sim/run.ts')
  return JSON.parse(text) as NodeSettings
}

function send (message: ChildMessage): void {
  if (process.send === undefined || !process.connected) return
  try {
    process.send(message)
  } catch {
    // The channel closed under us: the disconnect handler exits.
  }
}

function problem (what: ProblemMessage['what'], err: unknown): void {
  const message = err instanceof Error ? `${err.name}: ${err.message}${err.stack !== undefined ? ` @ ${err.stack.split('\n').slice(1, 3).map(s => s.trim()).join(' < ')}` : ''}` : String(err)
  send({ kind: 'problem', what, message: message.slice(0, 600), at: Date.now() })
}

// Reported, not fatal: the count of these is a metric of the library, and the run must go on to measure it.
process.on('unhandledRejection', reason => { problem('unhandledRejection', reason) })
process.on('uncaughtException', err => { problem('uncaughtException', err) })
process.on('warning', warning => { problem('warning', warning) })
// The coordinator is gone (exit, crash, SIGKILL): nothing here is worth keeping.
process.on('disconnect', () => { process.exit(0) })

// NETGET_SIM_CPU_PROFILE_DIR=DIR: each child writes DIR/child-<pid>.cpuprofile, a V8 CPU profile from here to
// shutdown, with `wallStart` (ms since the epoch when it started) added so that a phase can be cut out of it.
const profileDir = process.env.NETGET_SIM_CPU_PROFILE_DIR
const profiler = profileDir === undefined ? undefined : await startProfile()
const profileWallStart = Date.now()

async function startProfile (): Promise<Session> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return session
}

// NETGET_SIM_HEAP_PROFILE_DIR=DIR: each child writes DIR/child-<pid>.heapprofile at shutdown, V8's sampling heap
// profile of what is still live then (allocation stacks of the memory a process holds at the end).
// NETGET_SIM_HEAP_PROFILE_AFTER_MS=T starts sampling T ms after the child starts, so that with
// NETGET_SIM_HEAP_PROFILE_GARBAGE=1 a later phase's allocations (at rest, say) are not drowned by the warm-up's.
const heapProfileDir = process.env.NETGET_SIM_HEAP_PROFILE_DIR
/** False until sampling runs (a child stopped before NETGET_SIM_HEAP_PROFILE_AFTER_MS writes no heap profile). */
let heapSamplingStarted = false
const heapProfiler = heapProfileDir === undefined ? undefined : await startHeapProfile()

async function startHeapProfile (): Promise<Session> {
  const session = new Session()
  session.connect()
  await session.post('HeapProfiler.enable')
  // `major`: what the young generation's collections freed is left out, so what was promoted to the old generation
  // and died there shows (what makes the old generation, and RSS, grow between major collections).
  const garbage = process.env.NETGET_SIM_HEAP_PROFILE_GARBAGE
  const start = async (): Promise<void> => {
    await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: garbage === '1' || garbage === 'major', includeObjectsCollectedByMinorGC: garbage === '1' })
  }
  const after = Number(process.env.NETGET_SIM_HEAP_PROFILE_AFTER_MS ?? 0)
  if (after > 0) {
    setTimeout(() => {
      start().then(() => { heapSamplingStarted = true }, (err: unknown) => { problem('warning', err) })
    }, after).unref()
  } else {
    await start()
    heapSamplingStarted = true
  }
  return session
}

async function writeProfile (): Promise<void> {
  if (profiler !== undefined && profileDir !== undefined) {
    const { profile } = await profiler.post('Profiler.stop')
    await writeFile(join(profileDir, `child-${process.pid}.cpuprofile`), JSON.stringify({ ...profile, wallStart: profileWallStart }))
  }
  if (heapProfiler !== undefined && heapProfileDir !== undefined && heapSamplingStarted) {
    const { profile } = await heapProfiler.post('HeapProfiler.getSamplingProfile')
    await writeFile(join(heapProfileDir, `child-${process.pid}.heapprofile`), JSON.stringify(profile))
  }
}

// NETGET_SIM_GC_LOG=DIR: each child appends every garbage collection of 20 ms or more to DIR/child-<pid>.gc.jsonl
// (time, kind, duration), to tell a major collection's pause from other event-loop stalls.
const gcLogDir = process.env.NETGET_SIM_GC_LOG
if (gcLogDir !== undefined) {
  const lines: string[] = []
  const kinds: Record<number, string> = { [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' }
  const observer = new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      if (entry.duration < 20) continue
      const kind = ((entry as unknown as { detail?: { kind?: number } }).detail)?.kind ?? -1
      lines.push(JSON.stringify({ at: Date.now(), kind: kinds[kind] ?? String(kind), ms: Math.round(entry.duration) }))
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  process.once('beforeExit', () => { observer.disconnect() })
  const flush = setInterval(() => {
    if (lines.length > 0) void appendFile(join(gcLogDir, `child-${process.pid}.gc.jsonl`), lines.splice(0).join('\n') + '\n').catch(() => {})
  }, 1000)
  flush.unref()
}

const denied = (peerId: PeerId): boolean => deny.has(peerId.toString())

// One gater for every node of this process: a partition puts whole processes on either side.
const gater: ConnectionGater = {
  denyDialPeer: denied,
  denyInboundEncryptedConnection: denied,
  denyOutboundEncryptedConnection: denied,
  denyInboundUpgradedConnection: denied,
  denyOutboundUpgradedConnection: denied
}

async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`harness bound: ${what} still pending after ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function errorText (err: unknown): string {
  if (err instanceof Error) return `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}`.slice(0, 300)
  return String(err).slice(0, 300)
}

/** peer:connect events over this process's nodes since it started (a first connection to a peer with none open). */
let peerConnects = 0

function track (node: SimNode): void {
  node.netget.addEventListener('peer:connect', evt => { node.connections.add(evt.detail); peerConnects++ })
  node.netget.addEventListener('peer:disconnect', evt => { node.connections.delete(evt.detail) })
  if (node.role === 'registry') {
    // Lets the coordinator tell a failed lookup caused by a false "down" from one caused by routing.
    node.netget.addEventListener('instance:down', evt => {
      send({ kind: 'health', registry: node.id, peerId: evt.detail.peerId, down: true, reason: evt.detail.reason.slice(0, 120), at: Date.now() })
    })
    node.netget.addEventListener('instance:up', evt => {
      send({ kind: 'health', registry: node.id, peerId: evt.detail.peerId, down: false, at: Date.now() })
    })
  }
  if (node.role === 'service') {
    // Which registries stored each renewal: a failed lookup can then tell a renewal that went astray.
    node.netget.addEventListener('republished', evt => {
      send({ kind: 'renewal', peerId: node.netget.peerId, registries: evt.detail.registries, at: Date.now() })
    })
    node.netget.addEventListener('republish:error', evt => {
      send({ kind: 'renewal', peerId: node.netget.peerId, registries: [], error: errorText(evt.detail).slice(0, 120), at: Date.now() })
    })
  }
  node.netget.addEventListener('error', evt => {
    const head = errorText(evt.detail).slice(0, 80)
    nodeErrors[head] = (nodeErrors[head] ?? 0) + 1
  })
}

function makeNetget (cmd: CreateCommand): Netget {
  return new Netget({
    nodeType: cmd.role === 'registry' ? 'registry' : 'service',
    ...(cmd.role === 'service' ? { metadata: { name: cmd.name } } : {}),
    network: settings.network,
    registryNodes: cmd.registry === undefined ? [] : [cmd.registry],
    listen: ['/ip4/127.0.0.1/tcp/0'],
    replicationFactor: settings.replicationFactor,
    healthInterval: settings.healthInterval,
    healthTimeout: settings.healthTimeout,
    unhealthyThreshold: settings.unhealthyThreshold,
    recordTtl: settings.recordTtl,
    discoverTimeout: settings.discoverTimeout,
    registerTimeout: settings.registerTimeout,
    connectionGater: gater
  })
}

async function create (cmd: CreateCommand): Promise<CreateReply> {
  if (nodes.has(cmd.id)) throw new Error(`node ${cmd.id} exists`)
  const netget = makeNetget(cmd)
  const node: SimNode = { id: cmd.id, role: cmd.role, netget, connections: new Set(), ...(cmd.name !== undefined ? { name: cmd.name } : {}) }
  track(node)
  nodes.set(cmd.id, node)
  try {
    await bounded(netget.start(), START_BOUND_MS, 'start()')
  } catch (err) {
    nodes.delete(cmd.id)
    await bounded(netget.stop(), STOP_BOUND_MS, 'stop()').catch(() => {})
    throw err
  }
  const reply: CreateReply = { peerId: netget.peerId, multiaddrs: netget.getMultiaddrs(), startedAt: Date.now() }
  if (cmd.role !== 'service') return reply
  // The peer id must reach the coordinator before the record can: a lookup may return it at once.
  send({ kind: 'started', id: cmd.id, peerId: reply.peerId, at: reply.startedAt })
  let lastError: string | undefined
  for (let attempt = 1; attempt <= cmd.registerAttempts; attempt++) {
    const t0 = performance.now()
    try {
      await bounded(netget.registerWithNetwork(), settings.registerTimeout + GUARD_MARGIN_MS, 'registerWithNetwork()')
      return { ...reply, registeredAt: Date.now(), registerMs: performance.now() - t0, registerAttempts: attempt }
    } catch (err) {
      lastError = errorText(err)
      if (!netget.isRunning()) break
      await sleep(500)
    }
  }
  return { ...reply, registerAttempts: cmd.registerAttempts, ...(lastError !== undefined ? { registerError: lastError } : {}) }
}

async function stop (id: string): Promise<StopReply> {
  const node = nodes.get(id)
  if (node === undefined) throw new Error(`no node ${id}`)
  nodes.delete(id)
  const stopRequestedAt = Date.now()
  try {
    await bounded(node.netget.stop(), STOP_BOUND_MS, 'stop()')
    return { stopRequestedAt, stoppedAt: Date.now() }
  } catch (err) {
    return { stopRequestedAt, stoppedAt: Date.now(), error: errorText(err) }
  }
}

function counters (netget: Netget): TrafficDelta {
  // These counters are being added to NetgetStats; read them if this version has them.
  const stats = netget.getStats() as unknown as Record<string, unknown>
  const read = (key: string): number | null => typeof stats[key] === 'number' ? stats[key] as number : null
  return { requests: read('requests'), requestBytes: read('requestBytes'), responseBytes: read('responseBytes'), lookups: read('lookups') }
}

function delta (before: TrafficDelta, after: TrafficDelta): TrafficDelta {
  const d = (a: number | null, b: number | null): number | null => a === null || b === null ? null : b - a
  return {
    requests: d(before.requests, after.requests),
    requestBytes: d(before.requestBytes, after.requestBytes),
    responseBytes: d(before.responseBytes, after.responseBytes),
    lookups: d(before.lookups, after.lookups)
  }
}

async function discover (id: string, name: string): Promise<DiscoverReply> {
  const node = nodes.get(id)
  if (node === undefined) throw new Error(`no node ${id}`)
  const before = counters(node.netget)
  const start = Date.now()
  const t0 = performance.now()
  let peerIds: string[] = []
  let error: string | undefined
  try {
    // maxAge 0 (the default) always asks registries: the harness measures the network, not the cache.
    const found = await bounded(node.netget.discoverServiceNode(name, { maxAge: 0 }), settings.discoverTimeout + GUARD_MARGIN_MS, 'discoverServiceNode()')
    peerIds = found.map(i => i.peerId)
  } catch (err) {
    error = errorText(err)
  }
  const latencyMs = performance.now() - t0
  const end = Date.now()
  return { start, end, latencyMs, peerIds, ...(error !== undefined ? { error } : {}), traffic: delta(before, counters(node.netget)) }
}

async function watch (cmd: WatchCommand): Promise<WatchReply> {
  const node = nodes.get(cmd.id)
  if (node === undefined) throw new Error(`no node ${cmd.id}`)
  const deadline = Date.now() + cmd.timeoutMs
  let polls = 0
  let lastError: string | undefined
  while (Date.now() < deadline && node.netget.isRunning()) {
    polls++
    try {
      const found = new Set((await bounded(node.netget.discoverServiceNode(cmd.name, { maxAge: 0 }), settings.discoverTimeout + GUARD_MARGIN_MS, 'watch discover')).map(i => i.peerId))
      const satisfied = cmd.want === 'present' ? cmd.peerIds.every(p => found.has(p)) : cmd.peerIds.every(p => !found.has(p))
      if (satisfied) return { satisfiedAt: Date.now(), polls }
    } catch (err) {
      lastError = errorText(err)
    }
    await sleep(cmd.intervalMs)
  }
  return { polls, ...(lastError !== undefined ? { lastError } : {}) }
}

function partition (ids: string[]): PartitionReply {
  deny.clear()
  for (const id of ids) deny.add(id)
  let openToDenied = 0
  let hungUp = 0
  // Netget has no public way to close a connection to a given peer (as of this harness); use one if it appears.
  let hangUpSupported = false
  for (const node of nodes.values()) {
    const hangUp = (node.netget as unknown as { hangUp?: (peerId: string) => Promise<void> }).hangUp
    if (typeof hangUp === 'function') hangUpSupported = true
    for (const peer of node.connections) {
      if (!deny.has(peer)) continue
      openToDenied++
      if (typeof hangUp === 'function') {
        hungUp++
        void hangUp.call(node.netget, peer).catch(() => {})
      }
    }
  }
  return { openToDenied, hungUp, hangUpSupported }
}

function sample (): SampleReply {
  const cpu = process.cpuUsage()
  const mem = process.memoryUsage()
  // The histogram records the whole timer period: the delay is what exceeds the sampling resolution.
  const ms = (ns: number): number => Number.isFinite(ns) ? Math.max(0, ns / 1e6 - ELD_RESOLUTION_MS) : 0
  const reply: SampleReply = {
    at: Date.now(),
    cpuUser: cpu.user,
    cpuSystem: cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    eld: { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), mean: ms(eld.mean) },
    nodes: { registry: 0, service: 0, client: 0 },
    connections: 0,
    peerConnects,
    nodeErrors: { ...nodeErrors }
  }
  eld.reset()
  for (const node of nodes.values()) {
    reply.nodes[node.role]++
    reply.connections += node.connections.size
  }
  return reply
}

function records (): RecordsReply {
  const out: RecordsReply = { registries: [] }
  for (const node of nodes.values()) {
    if (node.role !== 'registry' || !node.netget.isRunning()) continue
    out.registries.push({ id: node.id, peerId: node.netget.peerId, verified: node.netget.getStats().verifiedRegistries, known: node.netget.getStats().knownRegistries, records: node.netget.listRecords().map(r => ({ peerId: r.peerId, name: r.name, down: r.down })) })
  }
  return out
}

async function shutdown (graceMs: number): Promise<{ stopped: number, failed: number }> {
  const all = [...nodes.values()]
  nodes.clear()
  const results = await Promise.allSettled(all.map(async n => bounded(n.netget.stop(), graceMs, 'stop()')))
  return { stopped: results.filter(r => r.status === 'fulfilled').length, failed: results.filter(r => r.status === 'rejected').length }
}

async function handle (command: Command): Promise<unknown> {
  switch (command.type) {
    case 'create': return create(command)
    case 'stop': return stop(command.id)
    case 'discover': return discover(command.id, command.name)
    case 'watch': return watch(command)
    case 'partition': return partition(command.deny)
    case 'sample': return sample()
    case 'records': return records()
    case 'shutdown': {
      // Before the nodes stop: the heap profile is of what a running process holds.
      await writeProfile().catch(err => { problem('warning', err) })
      const result = await shutdown(command.graceMs)
      // Exit after the reply is flushed; the coordinator SIGKILLs us if this does not happen in time.
      setTimeout(() => { process.exit(0) }, 100).unref()
      return result
    }
  }
}

process.on('message', (raw: Envelope) => {
  const { seq, command } = raw
  handle(command).then(
    value => { send({ kind: 'reply', seq, ok: true, value }) },
    err => { send({ kind: 'reply', seq, ok: false, error: errorText(err) }) }
  )
})

send({ kind: 'ready', pid: process.pid, node: process.version })
