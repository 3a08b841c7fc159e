/**
 * The coordinator: lays the nodes out over the child processes, runs the phases (warm-up, steady, faults),
 * drives the lookups, keeps the ground truth, and collects everything the report needs. It never touches a
 * netget node itself: everything goes through the children, over IPC, with a deadline.
 */
import { reapAll, spawnChild } from './children.js'
import { buckets, summarise } from './metrics.js'
import { holdersOf, measurePlacement } from './placement.js'
import { eachLimited, settleWithin, sleep } from './pool.js'
import { Rng } from './rng.js'
import { Truth } from './truth.js'
import type { SimConfig } from './args.js'
import type { SimChild } from './children.js'
import type { JudgedLookup } from './metrics.js'
import type { Holders, Placement } from './placement.js'
import type { CreateReply, DiscoverReply, NodeSettings, PartitionReply, RecordsReply, Role, SampleReply, StopReply, WatchReply } from './protocol.js'

/** Libp2p start + dial, with room for a loaded machine. */
const CREATE_BOUND_MS = 20_000
const SAMPLE_EVERY_MS = 5000
const WATCH_INTERVAL_MS = 200
const WATCH_TIMEOUT_MS = 30_000
/** More concurrent watches would make the watcher node itself the bottleneck it is measuring. */
const MAX_WATCHES = 8
/** A watch that cannot start this soon after its event would measure the queue, not the network. */
const WATCH_START_SLACK_MS = 1000
const START_CONCURRENCY = 16
const JUDGE_DELAY_MS = 3000
export const BUCKET_MS = 5000

export interface NodeEntry {
  id: string
  role: Role | 'watcher'
  process: number
  name?: string
  peerId?: string
  multiaddr?: string
  state: 'starting' | 'live' | 'stopping' | 'stopped' | 'dead' | 'failed'
  busy: boolean
}

export interface PhaseRecord {
  name: string
  fault: boolean
  start: number
  end: number
  notes: string[]
  placement?: Placement
  samplesAtStart: Map<number, SampleReply>
  samplesAtEnd: Map<number, SampleReply>
}

export interface Problem { process: number, what: string, message: string, at: number }

type WatchKind = 'registerToDiscoverable' | 'killToGone' | 'stopToGone'

interface Unjudged { client: string, process: number, name: string, reply: DiscoverReply }

export class Simulation {
  readonly config: SimConfig
  readonly settings: NodeSettings
  readonly truth: Truth
  readonly detectionBoundMs: number
  readonly rng: Rng
  readonly nodes = new Map<string, NodeEntry>()
  readonly children: SimChild[] = []
  readonly phases: PhaseRecord[] = []
  readonly lookups: JudgedLookup[] = []
  readonly problems: Problem[] = []
  readonly samples = new Map<number, SampleReply[]>()
  readonly registerMs: number[] = []
  readonly registerFailures: string[] = []
  readonly stopErrors: string[] = []
  readonly watch: Record<WatchKind, { ms: number[], timedOut: number, skipped: number }> = {
    registerToDiscoverable: { ms: [], timedOut: 0, skipped: 0 },
    killToGone: { ms: [], timedOut: 0, skipped: 0 },
    stopToGone: { ms: [], timedOut: 0, skipped: 0 }
  }

  readonly partitions: Array<PartitionReply & { at: number, groups: number[][] }> = []
  readonly unexpectedExits: string[] = []
  /** What every registry held at each placement measurement, to say where a missing instance's record was. */
  readonly holderSnapshots: Array<{ at: number, holders: Holders }> = []
  /** Lookups whose client process was SIGKILLed before answering: not judged. */
  lostLookups = 0
  /** Ticks at which every client was still busy: the lookup rate was not reached. */
  skippedLookups = 0
  readonly startedAt = Date.now()
  private readonly unjudged: Unjudged[] = []
  private readonly inflight = new Set<Promise<unknown>>()
  private activeWatches = 0
  private counter = { registry: 0, service: 0, client: 0 }
  private partitionGroups?: number[][]
  private currentPhase = 'warm-up'
  private lookupTimer?: NodeJS.Timeout
  private sampleTimer?: NodeJS.Timeout
  private progressTimer?: NodeJS.Timeout
  private readonly log: (line: string) => void

  constructor (config: SimConfig, log: (line: string) => void) {
    this.config = config
    this.log = log
    this.rng = new Rng(config.seed)
    this.settings = {
      network: 'sim',
      replicationFactor: config.replication,
      healthInterval: config.healthInterval,
      healthTimeout: config.healthTimeout,
      unhealthyThreshold: config.unhealthyThreshold,
      recordTtl: config.recordTtl,
      discoverTimeout: 5000,
      registerTimeout: 10_000
    }
    // A registry probes every healthInterval and hides an instance after unhealthyThreshold failed probes; the
    // first failure may come up to one interval late, and each probe may take healthTimeout. One more
    // interval and a second of margin cover the probe on connection close and loaded processes.
    this.detectionBoundMs = config.healthInterval * (config.unhealthyThreshold + 1) + config.healthTimeout + 1000
    this.truth = new Truth({ graceMs: config.graceMs, detectionBoundMs: this.detectionBoundMs })
  }

  /** Hard deadline for the whole run: warm-up grows with the node count, the rest is the duration plus margin. */
  hardDeadlineMs (): number {
    return (this.config.durationS + this.config.settleS) * 1000 + 120_000 + this.config.nodes * 300
  }

  // ---------------------------------------------------------------- processes and nodes

  async spawn (): Promise<void> {
    for (let i = 0; i < this.config.processes; i++) {
      this.children.push(spawnChild(i, this.settings, {
        problem: (index, m) => {
          this.problems.push({ process: index, what: m.what, message: m.message, at: m.at })
        },
        started: (_index, m) => { this.onServiceStarted(m.id, m.peerId, m.at) },
        health: (_index, m) => { this.truth.health(m.registry, m.peerId, m.down, m.at, m.reason) },
        renewal: (_index, m) => { this.truth.renewal(m.peerId, m.at, m.registries, m.error) },
        exit: (index, code, signal) => {
          if (this.children[index]?.killedAt === undefined && !this.finishing) {
            this.unexpectedExits.push(`process ${index} exited unexpectedly (${signal ?? code}): ${this.children[index]?.stderr() ?? ''}`)
          }
        }
      }))
    }
    await Promise.all(this.children.map(async c => { await c.ready() }))
    for (const c of this.children) {
      const major = Number(c.nodeVersion.replace(/^v/, '').split('.')[0])
      if (major < 22) throw new Error(`child ${c.index} runs Node ${c.nodeVersion}; libp2p 3 needs ≥ 22: run through npm run sim (Node 24)`)
    }
  }

  private finishing = false

  private childOf (entry: NodeEntry): SimChild {
    return this.children[entry.process]
  }

  private liveProcesses (): number[] {
    return this.children.filter(c => c.alive && c.killedAt === undefined).map(c => c.index)
  }

  private registryProcesses (): number[] {
    return this.liveProcesses().filter(p => [...this.nodes.values()].some(n => n.role === 'registry' && n.process === p && n.state === 'live'))
  }

  private liveRegistryAddrs (): string[] {
    return [...this.nodes.values()].filter(n => n.role === 'registry' && n.state === 'live' && n.multiaddr !== undefined).map(n => n.multiaddr!)
  }

  private pickRegistry (): string | undefined {
    const addrs = this.liveRegistryAddrs()
    return addrs.length === 0 ? undefined : this.rng.pick(addrs)
  }

  private onServiceStarted (id: string, peerId: string, at: number): void {
    const entry = this.nodes.get(id)
    if (entry === undefined || entry.role !== 'service' || entry.name === undefined) return
    entry.peerId = peerId
    this.truth.addInstance({ id, peerId, name: entry.name, process: entry.process, startedAt: at })
  }

  private async create (entry: NodeEntry, registry: string | undefined): Promise<CreateReply | undefined> {
    this.nodes.set(entry.id, entry)
    const child = this.childOf(entry)
    try {
      const reply = await child.request<CreateReply>({
        type: 'create',
        id: entry.id,
        role: entry.role === 'watcher' ? 'client' : entry.role,
        ...(entry.name !== undefined ? { name: entry.name } : {}),
        ...(registry !== undefined ? { registry } : {}),
        registerAttempts: 3
      }, CREATE_BOUND_MS + 3 * (this.settings.registerTimeout + 4000))
      if (entry.state === 'dead') return undefined
      entry.peerId = reply.peerId
      entry.multiaddr = reply.multiaddrs[0]
      entry.state = 'live'
      if (entry.role === 'registry') this.truth.addRegistry(entry.id, reply.peerId, entry.process, reply.startedAt)
      if (entry.role === 'service') this.onRegistered(entry, reply)
      if (this.partitionGroups !== undefined) void this.applyPartition(this.partitionGroups).catch(() => {})
      return reply
    } catch (err) {
      if (entry.state !== 'dead') {
        entry.state = 'failed'
        this.registerFailures.push(`${entry.id}@p${entry.process}: create failed: ${(err as Error).message}`)
      }
      return undefined
    }
  }

  private onRegistered (entry: NodeEntry, reply: CreateReply): void {
    const instance = this.truth.instances.get(reply.peerId)
    if (instance === undefined) return
    if (reply.registeredAt === undefined) {
      instance.registerFailed = true
      this.registerFailures.push(`${entry.id}@p${entry.process} ${entry.name}: ${reply.registerError ?? 'register failed'} (${reply.registerAttempts} attempts)`)
      return
    }
    instance.registeredAt = reply.registeredAt
    if (reply.registerMs !== undefined) this.registerMs.push(reply.registerMs)
    this.startWatch('registerToDiscoverable', entry.name!, [reply.peerId], 'present', reply.registeredAt)
  }

  private newEntry (role: Role, process: number, name?: string): NodeEntry {
    const id = `${role[0]}${this.counter[role]++}`
    return { id, role, process, state: 'starting', busy: false, ...(name !== undefined ? { name } : {}) }
  }

  // ---------------------------------------------------------------- warm-up

  /**
   * Registries first, in doubling waves: registry i bootstraps from one random registry of an earlier wave
   * (all started), so the overlay grows as a tree of random joins. Then the watcher, services and clients.
   */
  async warmUp (): Promise<void> {
    const { processes, registries, services, clients, names } = this.config
    const registryProcess = (j: number): number => processes === 1 ? 0 : 1 + (j % (processes - 1))
    const entries = Array.from({ length: registries }, (_, j) => this.newEntry('registry', registryProcess(j)))
    let started = 0
    while (started < entries.length) {
      const wave = entries.slice(started, Math.max(started + 1, Math.min(entries.length, started * 2)))
      const earlier = this.liveRegistryAddrs()
      await Promise.all(wave.map(async e => this.create(e, earlier.length === 0 ? undefined : this.rng.pick(earlier))))
      started += wave.length
      if (this.liveRegistryAddrs().length === 0) throw new Error(`the first registry did not start: ${this.registerFailures.join('; ')}`)
    }
    const watcher: NodeEntry = { id: 'w0', role: 'watcher', process: 0, state: 'starting', busy: false }
    await this.create(watcher, this.pickRegistry())
    const svc = Array.from({ length: services }, (_, j) => this.newEntry('service', j % processes, `svc-${j % names}`))
    await eachLimited(svc, START_CONCURRENCY, async e => { await this.create(e, this.pickRegistry()) })
    const cli = Array.from({ length: clients }, (_, j) => this.newEntry('client', j % processes))
    await eachLimited(cli, START_CONCURRENCY, async e => { await this.create(e, this.pickRegistry()) })
    // Let the last registrations pass the grace period so that steady starts with every instance settled.
    await sleep(this.config.graceMs)
  }

  // ---------------------------------------------------------------- lookups

  startBackground (): void {
    let credit = 0
    let last = performance.now()
    this.lookupTimer = setInterval(() => {
      const now = performance.now()
      credit += (now - last) / 1000 * this.config.lookupRate
      last = now
      while (credit >= 1) {
        credit--
        this.issueLookup()
      }
      this.judgeDue(false)
    }, 20)
    this.sampleTimer = setInterval(() => { void this.sampleAll() }, SAMPLE_EVERY_MS)
    this.progressTimer = setInterval(() => { this.progress() }, SAMPLE_EVERY_MS)
  }

  private issueLookup (): void {
    const idle = [...this.nodes.values()].filter(n => n.role === 'client' && n.state === 'live' && !n.busy)
    if (idle.length === 0) {
      this.skippedLookups++
      return
    }
    const client = this.rng.pick(idle)
    const name = `svc-${this.rng.int(this.config.names)}`
    client.busy = true
    const sentAt = Date.now()
    const bound = this.settings.discoverTimeout + 10_000
    const task = this.childOf(client).request<DiscoverReply>({ type: 'discover', id: client.id, name }, bound).then(
      reply => { this.unjudged.push({ client: client.id, process: client.process, name, reply }) },
      err => {
        if (this.childOf(client).killedAt !== undefined) {
          this.lostLookups++
          return
        }
        // The child did not answer in time: a failure of the system as the application would see it.
        this.unjudged.push({ client: client.id, process: client.process, name, reply: { start: sentAt, end: Date.now(), latencyMs: Date.now() - sentAt, peerIds: [], error: `harness: ${(err as Error).message}`, traffic: { requests: null, requestBytes: null, responseBytes: null, lookups: null } } })
      }
    ).finally(() => { client.busy = false })
    this.track(task)
  }

  private track (task: Promise<unknown>): void {
    this.inflight.add(task)
    void task.finally(() => { this.inflight.delete(task) })
  }

  /** Judges lookups old enough that every truth event before them has reached the coordinator. */
  private judgeDue (all: boolean): void {
    const limit = Date.now() - JUDGE_DELAY_MS
    for (let i = 0; i < this.unjudged.length;) {
      const u = this.unjudged[i]
      if (!all && u.reply.end > limit) {
        i++
        continue
      }
      this.unjudged.splice(i, 1)
      const verdict = this.truth.judge({ name: u.name, start: u.reply.start, end: u.reply.end, peerIds: u.reply.peerIds, ...(u.reply.error !== undefined ? { error: u.reply.error } : {}) })
      this.lookups.push({
        client: u.client,
        process: u.process,
        name: u.name,
        start: u.reply.start,
        end: u.reply.end,
        latencyMs: u.reply.latencyMs,
        ok: verdict.ok,
        ...(u.reply.error !== undefined ? { error: u.reply.error } : {}),
        returned: u.reply.peerIds.length,
        required: verdict.required,
        missing: verdict.missing,
        extra: verdict.extra,
        requests: u.reply.traffic.requests,
        requestBytes: u.reply.traffic.requestBytes,
        responseBytes: u.reply.traffic.responseBytes,
        dhtLookups: u.reply.traffic.lookups
      })
    }
  }

  private progress (): void {
    const since = Date.now() - SAMPLE_EVERY_MS - JUDGE_DELAY_MS
    const recent = this.lookups.filter(l => l.start >= since)
    const s = summarise(recent)
    const t = ((Date.now() - this.startedAt) / 1000).toFixed(0).padStart(4)
    this.log(`  t=${t}s ${this.currentPhase.padEnd(15)} judged=${String(this.lookups.length).padStart(5)} recent ok=${(s.lookupSuccess * 100).toFixed(1)}% p50=${s.latencyMs.p50}ms p99=${s.latencyMs.p99}ms inflight=${this.inflight.size} skipped=${this.skippedLookups} lost=${this.lostLookups} problems=${this.problems.filter(p => p.what !== 'warning').length}`)
  }

  // ---------------------------------------------------------------- watches (time-to-visible / time-to-gone)

  private startWatch (kind: WatchKind, name: string, peerIds: string[], want: 'present' | 'absent', eventAt: number): void {
    const watcher = this.nodes.get('w0')
    // A kill is a one-off burst of a few names: watching all of them is bounded, and each one counts.
    const full = kind !== 'killToGone' && this.activeWatches >= MAX_WATCHES
    if (watcher === undefined || watcher.state !== 'live' || full || Date.now() - eventAt > WATCH_START_SLACK_MS || this.finishing) {
      this.watch[kind].skipped++
      return
    }
    this.activeWatches++
    const task = this.childOf(watcher).request<WatchReply>({ type: 'watch', id: watcher.id, name, peerIds, want, intervalMs: WATCH_INTERVAL_MS, timeoutMs: WATCH_TIMEOUT_MS }, WATCH_TIMEOUT_MS + this.settings.discoverTimeout + 10_000).then(
      reply => {
        if (reply.satisfiedAt === undefined) this.watch[kind].timedOut++
        else this.watch[kind].ms.push(Math.max(0, reply.satisfiedAt - eventAt))
      },
      () => { this.watch[kind].timedOut++ }
    ).finally(() => { this.activeWatches-- })
    this.track(task)
  }

  // ---------------------------------------------------------------- sampling

  async sampleAll (): Promise<Map<number, SampleReply>> {
    const out = new Map<number, SampleReply>()
    await Promise.all(this.children.filter(c => c.alive).map(async c => {
      try {
        const s = await c.request<SampleReply>({ type: 'sample' }, 5000)
        out.set(c.index, s)
        let list = this.samples.get(c.index)
        if (list === undefined) {
          list = []
          this.samples.set(c.index, list)
        }
        list.push(s)
      } catch {
        // A process that cannot answer a sample in 5 s shows as a gap; its event-loop delay will say why.
      }
    }))
    return out
  }

  async placement (): Promise<Placement> {
    const at = Date.now()
    const replies = (await Promise.all(this.children.filter(c => c.alive && c.killedAt === undefined).map(async c => c.request<RecordsReply>({ type: 'records' }, 10_000).catch(() => undefined))))
      .filter((r): r is RecordsReply => r !== undefined)
    this.holderSnapshots.push({ at, holders: holdersOf(replies) })
    return measurePlacement(this.truth, replies, this.settings.network, this.config.replication, at)
  }

  // ---------------------------------------------------------------- phases and faults

  async phase (name: string, fault: boolean, durationMs: number, begin?: (p: PhaseRecord) => Promise<void>, during?: (p: PhaseRecord, until: number) => Promise<void>): Promise<void> {
    this.currentPhase = name
    const record: PhaseRecord = { name, fault, start: Date.now(), end: 0, notes: [], samplesAtStart: await this.sampleAll(), samplesAtEnd: new Map() }
    record.start = Date.now()
    this.phases.push(record)
    this.log(`phase ${name} (${(durationMs / 1000).toFixed(0)} s)`)
    const until = record.start + durationMs
    if (begin !== undefined) await begin(record)
    if (during !== undefined) await during(record, until)
    const left = until - Date.now()
    if (left > 0) await sleep(left)
    record.end = Date.now()
    record.samplesAtEnd = await this.sampleAll()
    record.placement = await this.placement()
    for (const note of record.notes) this.log(`  ${note}`)
  }

  /** Warm-up is a phase without lookups; this records it after the fact. */
  recordWarmUp (start: number, samplesAtStart: Map<number, SampleReply>, samplesAtEnd: Map<number, SampleReply>, placement: Placement): void {
    const notes = [`registries ${[...this.nodes.values()].filter(n => n.role === 'registry' && n.state === 'live').length}/${this.config.registries} started; services registered ${this.registerMs.length}/${this.config.services}; clients ${[...this.nodes.values()].filter(n => n.role === 'client' && n.state === 'live').length}/${this.config.clients}`]
    this.phases.push({ name: 'warm-up', fault: false, start, end: Date.now(), notes, placement, samplesAtStart, samplesAtEnd })
    for (const note of notes) this.log(`  ${note}`)
  }

  /** Stops a random settled service cleanly and starts a new one (new identity, same name) in its place. */
  async churnOnce (): Promise<void> {
    const candidates = [...this.nodes.values()].filter(n => n.role === 'service' && n.state === 'live')
    if (candidates.length === 0) return
    const victim = this.rng.pick(candidates)
    victim.state = 'stopping'
    const instance = victim.peerId === undefined ? undefined : this.truth.instances.get(victim.peerId)
    // Marked before the command leaves: a lookup judged meanwhile must not require this instance.
    const stopRequestedAt = Date.now()
    if (instance !== undefined) {
      instance.stopRequestedAt = stopRequestedAt
      this.startWatch('stopToGone', victim.name!, [instance.peerId], 'absent', stopRequestedAt)
    }
    const replacement = this.newEntry('service', this.childOf(victim).killedAt === undefined ? victim.process : this.rng.pick(this.liveProcesses()), victim.name)
    await Promise.all([
      this.childOf(victim).request<StopReply>({ type: 'stop', id: victim.id }, 15_000).then(reply => {
        victim.state = 'stopped'
        if (instance !== undefined) instance.stoppedAt = reply.stoppedAt
        if (reply.error !== undefined) this.stopErrors.push(`${victim.id}: ${reply.error}`)
      }, err => {
        victim.state = 'stopped'
        // Unknown when it really stopped: judge it as stopped at the end of the bound, the latest it could be.
        if (instance !== undefined) instance.stoppedAt = Date.now()
        this.stopErrors.push(`${victim.id}: ${(err as Error).message}`)
      }),
      this.create(replacement, this.pickRegistry())
    ])
  }

  async churn (until: number, record: PhaseRecord): Promise<void> {
    const perMinute = this.config.churnPerMinute * this.config.services
    if (perMinute <= 0) return
    // Evenly spaced replacements rather than a burst each minute: the same share, a steadier load.
    const every = 60_000 / perMinute
    let done = 0
    for (let next = Date.now() + every / 2; next < until; next += every) {
      await sleep(Math.max(0, next - Date.now()))
      // Not awaited: a slow registration must not stretch the phase; finish() drains what is still running.
      this.track(this.churnOnce())
      done++
    }
    record.notes.push(`churn: ${done} services stopped cleanly and replaced (one every ${(every / 1000).toFixed(1)} s); stop errors so far ${this.stopErrors.length}`)
  }

  killTarget (): number | undefined {
    const withBoth = this.registryProcesses().filter(p => p !== 0 && [...this.nodes.values()].some(n => n.role === 'service' && n.process === p && n.state === 'live'))
    return withBoth.length === 0 ? undefined : this.rng.pick(withBoth)
  }

  /** SIGKILLs whole processes; every instance in them died at the moment the signal was sent. */
  async killProcesses (indices: number[], record: PhaseRecord): Promise<void> {
    for (const index of indices) {
      const child = this.children[index]
      const at = child.kill()
      const { instances, registries } = this.truth.killProcess(index, at)
      for (const n of this.nodes.values()) if (n.process === index) n.state = 'dead'
      const byName = new Map<string, string[]>()
      for (const i of instances) {
        if (i.registeredAt === undefined) continue
        byName.set(i.name, [...byName.get(i.name) ?? [], i.peerId])
      }
      for (const [name, peerIds] of byName) this.startWatch('killToGone', name, peerIds, 'absent', at)
      record.notes.push(`SIGKILL process ${index}: ${instances.length} services and ${registries} registries died at t=${((at - this.startedAt) / 1000).toFixed(1)} s`)
      await settleWithin(child.exited, 5000)
    }
  }

  /** Process 0 (no registries) and half of the registry processes against the rest. */
  splitGroups (): number[][] {
    const reg = this.registryProcesses().filter(p => p !== 0)
    const others = this.liveProcesses().filter(p => p !== 0 && !reg.includes(p))
    const half = Math.floor(reg.length / 2)
    return [[0, ...reg.slice(0, half)], [...reg.slice(half), ...others]]
  }

  async applyPartition (groups: number[][] | undefined): Promise<PartitionReply & { at: number, groups: number[][] }> {
    this.partitionGroups = groups
    const total = { openToDenied: 0, hungUp: 0, hangUpSupported: false, at: Date.now(), groups: groups ?? [] }
    const peersOf = (group: number[]): string[] => [...this.nodes.values()].filter(n => group.includes(n.process) && n.peerId !== undefined && (n.state === 'live' || n.state === 'starting')).map(n => n.peerId!)
    await Promise.all(this.liveProcesses().map(async p => {
      const other = groups === undefined ? [] : peersOf(groups.find(g => !g.includes(p)) ?? [])
      const reply = await this.children[p].request<PartitionReply>({ type: 'partition', deny: other }, 5000).catch(() => undefined)
      if (reply === undefined) return
      total.openToDenied += reply.openToDenied
      total.hungUp += reply.hungUp
      total.hangUpSupported ||= reply.hangUpSupported
    }))
    return total
  }

  // ---------------------------------------------------------------- the run

  async run (): Promise<void> {
    const { config } = this
    const warmStart = Date.now()
    this.log(`sim: ${config.nodes} nodes (${config.registries} registries, ${config.services} services, ${config.clients} clients, ${config.names} names) over ${config.processes} processes; K=${config.replication}; seed ${config.seed}`)
    await this.spawn()
    this.log(`phase warm-up (children on Node ${this.children[0].nodeVersion})`)
    const s0 = await this.sampleAll()
    await this.warmUp()
    this.recordWarmUp(warmStart, s0, await this.sampleAll(), await this.placement())
    this.startBackground()

    if (config.settleS > 0) await this.phase('settle', false, config.settleS * 1000)
    const plan: Array<{ name: string, fault: boolean }> = [{ name: 'steady', fault: false }]
    if (config.churnPerMinute > 0) plan.push({ name: 'churn', fault: true })
    if (config.kill) plan.push({ name: 'kill', fault: true })
    if (config.killRegistries) plan.push({ name: 'kill-registries', fault: true })
    if (config.partition) plan.push({ name: 'partition', fault: true }, { name: 'healed', fault: false })
    const slot = config.durationS * 1000 / plan.length
    for (const step of plan) {
      switch (step.name) {
        case 'steady':
          await this.phase('steady', false, slot)
          break
        case 'churn':
          await this.phase('churn', true, slot, undefined, async (record, until) => { await this.churn(until, record) })
          break
        case 'kill':
          await this.phase('kill', true, slot, async record => {
            const target = this.killTarget()
            if (target === undefined) record.notes.push('kill: no live process holds both registries and services; nothing killed')
            else await this.killProcesses([target], record)
          })
          break
        case 'kill-registries':
          await this.phase('kill-registries', true, slot, async record => {
            const reg = this.registryProcesses()
            const survivor = this.rng.pick(reg)
            await this.killProcesses(reg.filter(p => p !== survivor), record)
            record.notes.push(`kill-registries: process ${survivor} holds the only surviving registries (${[...this.nodes.values()].filter(n => n.role === 'registry' && n.state === 'live').length})`)
          })
          break
        case 'partition':
          await this.phase('partition', true, slot, async record => {
            const groups = this.splitGroups()
            const result = await this.applyPartition(groups)
            this.partitions.push(result)
            record.notes.push(`partition: processes [${groups[0].join(',')}] | [${groups[1].join(',')}]; ${result.openToDenied} open connections across the cut ${result.hangUpSupported ? `(${result.hungUp} hung up)` : 'stay open: Netget has no public hang-up, the gater only refuses new connections'}`)
          })
          break
        case 'healed':
          await this.phase('healed', false, slot, async record => {
            const result = await this.applyPartition(undefined)
            this.partitions.push(result)
            record.notes.push('healed: every gater allows every peer again')
          })
          break
      }
    }
    await this.finish()
  }

  private async finish (): Promise<void> {
    this.finishing = true
    clearInterval(this.lookupTimer)
    clearInterval(this.sampleTimer)
    clearInterval(this.progressTimer)
    const drained = await settleWithin(Promise.all([...this.inflight]), this.settings.discoverTimeout + WATCH_TIMEOUT_MS + 12_000)
    if (!drained) this.log(`  warning: ${this.inflight.size} requests still pending at the end; not judged`)
    this.judgeDue(true)
    await this.sampleAll()
    const reaped = await reapAll(this.children, 5000, 15_000)
    this.log(`children reaped: ${reaped.graceful} exited on request, ${reaped.killed} SIGKILLed after the bound`)
  }

  /** Buckets of every judged lookup, for the chart and the JSON. */
  timeline (): ReturnType<typeof buckets> {
    const from = this.phases[0]?.start ?? this.startedAt
    const to = this.phases.at(-1)?.end ?? Date.now()
    return buckets(this.lookups, from, to, BUCKET_MS)
  }
}
