/** Turns a finished Simulation into the JSON result and the table printed on stdout. */
import { percentiles, round, summarise } from './metrics.js'
import { closest, keyPosition } from './placement.js'
import type { PhaseRecord, Simulation } from './coordinator.js'
import type { Bucket, LookupSummary, Percentiles } from './metrics.js'
import type { Placement } from './placement.js'
import type { SampleReply } from './protocol.js'

interface ProcessUsage {
  process: number
  nodes: { registry: number, service: number, client: number }
  /** CPU time over wall time, user + system, % of one core. */
  cpuPercent: number
  cpuSeconds: number
  /** cpuPercent divided by the nodes the process held: an average, not a per-node measurement. */
  cpuPercentPerNode: number
  rssMaxMB: number
  rssPerNodeMB: number
  /** RSS of the process before its first node (Node, tsx and the code loaded): what "above the bare process" is above. */
  rssBareMB: number
  eventLoopDelayMs: { p50: number, p99: number, max: number }
  /** peer:connect events per second over the process's nodes (a connection between two nodes counts at both ends). */
  peerConnectsPerSec: number
  killed: boolean
}

interface PhaseResult extends LookupSummary {
  name: string
  fault: boolean
  start: number
  end: number
  /** Seconds from the start of the run. */
  t: [number, number]
  failed: { error: number, missing: number, extra: number }
  placement?: Placement
  processes: ProcessUsage[]
  notes: string[]
}

interface FailedLookup {
  t: number
  phase: string
  client: string
  process: number
  name: string
  latencyMs: number
  error?: string
  returned: number
  required: number
  missing: string[]
  extra: string[]
  /** The K registries closest to the name among all ever started († = killed by then), and among the live ones. */
  closestRegistries: { all: string[], live: string[] }
}

export interface SimResult extends LookupSummary {
  nodes: number
  processes: number
  registries: number
  services: number
  clients: number
  names: number
  replication: number
  seed: number
  durationS: number
  lookupRatePerS: number
  rules: { graceMs: number, detectionBoundMs: number, healthInterval: number, healthTimeout: number, unhealthyThreshold: number, recordTtl: number }
  lostLookups: number
  skippedLookups: number
  failed: { error: number, missing: number, extra: number }
  phases: PhaseResult[]
  /** Placement at the end of the steady phase (no faults yet); each phase has its own at its end. */
  placement?: Placement
  registration: { registered: number, failed: number, latencyMs: Percentiles, failures: string[] }
  registerToDiscoverableMs: WatchSummary
  killToGoneMs: WatchSummary
  stopToGoneMs: WatchSummary
  cpu: { perProcess: Array<Pick<ProcessUsage, 'process' | 'cpuPercent' | 'cpuSeconds' | 'cpuPercentPerNode' | 'killed'>>, totalCpuSeconds: number }
  /** aboveBarePerNodeMB: (Σ largest RSS − Σ bare RSS) / Σ nodes, over the processes that had a bare sample. */
  /**
   * lastPhaseAboveBarePerNodeMB: the same with each process's median RSS over the last phase instead of its largest
   * (the network at rest, in a run whose last phase has no fault), over the processes alive at the end.
   */
  rss: { perProcess: Array<Pick<ProcessUsage, 'process' | 'rssMaxMB' | 'rssPerNodeMB' | 'rssBareMB'> & { rssLastPhaseMB?: number }>, totalMaxMB: number, aboveBarePerNodeMB: number, lastPhaseAboveBarePerNodeMB: number }
  eventLoopDelay: { perProcess: Array<{ process: number, p50: number, p99: number, max: number }> }
  problems: { unhandledRejections: number, uncaughtExceptions: number, warnings: number, nodeErrorEvents: number, nodeErrors: Record<string, number>, first: string[] }
  /** Registries' `instance:down` marks of instances that were live (not stopping, not killed) at the time. */
  falseDownMarks: { count: number, instances: number, first: string[] }
  /** Every sample of every process: CPU since the previous sample, RSS, event-loop delay, open connections, new peer connections per second since the previous sample. */
  processTimeline: Array<{ t: number, process: number, cpuPercent: number, rssMB: number, heapUsedMB: number, heapTotalMB: number, externalMB: number, eldP99: number, eldMax: number, connections: number, connectsPerSec: number, nodes: number }>
  unexpectedExits: string[]
  stopErrors: string[]
  partitions: Simulation['partitions']
  failures: FailedLookup[]
  /** Failed lookups counted by `<phase>/<name>`: one unlucky name and a general failure look different here. */
  failuresByName: Record<string, number>
  timeline: Array<{ t: number, lookups: number, success: number | null, latencyMs: Percentiles }>
  svg?: string
}

interface WatchSummary extends Percentiles { n: number, timedOut: number, notMeasured: number }

const MB = 1024 * 1024

/** (Σ largest RSS − Σ bare RSS) / Σ nodes, over the processes with a sample taken before their first node. */
function aboveBare (processes: readonly ProcessUsage[]): number {
  const measured = processes.filter(u => u.rssBareMB > 0)
  const nodes = measured.reduce((a, u) => a + u.nodes.registry + u.nodes.service + u.nodes.client, 0)
  return nodes === 0 ? 0 : round(measured.reduce((a, u) => a + u.rssMaxMB - u.rssBareMB, 0) / nodes, 2)
}

/** (Σ median RSS over the last phase − Σ bare RSS) / Σ nodes, over the processes alive then with a bare sample. */
function lastPhaseAboveBare (processes: readonly ProcessUsage[], samples: (index: number) => readonly SampleReply[], from: number): { perProcess: Map<number, number>, aboveBare: number } {
  const perProcess = new Map<number, number>()
  let above = 0
  let nodes = 0
  for (const u of processes) {
    const rss = samples(u.process).filter(s => s.at >= from).map(s => s.rss).sort((a, b) => a - b)
    if (u.killed || u.rssBareMB <= 0 || rss.length === 0) continue
    const median = rss[Math.floor(rss.length / 2)] / MB
    perProcess.set(u.process, round(median, 1))
    above += median - u.rssBareMB
    nodes += u.nodes.registry + u.nodes.service + u.nodes.client
  }
  return { perProcess, aboveBare: nodes === 0 ? 0 : round(above / nodes, 2) }
}

function usage (index: number, samples: readonly SampleReply[], killed: boolean): ProcessUsage {
  const first = samples[0]
  const last = samples.at(-1)
  const nodes = { registry: 0, service: 0, client: 0 }
  for (const s of samples) {
    nodes.registry = Math.max(nodes.registry, s.nodes.registry)
    nodes.service = Math.max(nodes.service, s.nodes.service)
    nodes.client = Math.max(nodes.client, s.nodes.client)
  }
  const count = Math.max(1, nodes.registry + nodes.service + nodes.client)
  const cpuUs = first === undefined || last === undefined ? 0 : (last.cpuUser + last.cpuSystem) - (first.cpuUser + first.cpuSystem)
  const wallMs = first === undefined || last === undefined ? 0 : last.at - first.at
  const cpuPercent = wallMs <= 0 ? 0 : cpuUs / 1000 / wallMs * 100
  const rssMax = Math.max(0, ...samples.map(s => s.rss))
  const bare = samples.find(s => s.nodes.registry + s.nodes.service + s.nodes.client === 0)?.rss ?? 0
  // The first sample's delay covers the time since the child started: it is skipped as warm-up noise only if there are others.
  const eld = samples.length > 1 ? samples.slice(1) : samples
  return {
    process: index,
    nodes,
    cpuPercent: round(cpuPercent, 1),
    cpuSeconds: round(cpuUs / 1e6, 1),
    cpuPercentPerNode: round(cpuPercent / count, 2),
    rssMaxMB: round(rssMax / MB, 1),
    rssPerNodeMB: round(rssMax / MB / count, 2),
    rssBareMB: round(bare / MB, 1),
    eventLoopDelayMs: {
      p50: round(percentiles(eld.map(s => s.eld.p50)).p50),
      p99: round(Math.max(0, ...eld.map(s => s.eld.p99))),
      max: round(Math.max(0, ...eld.map(s => s.eld.max)))
    },
    peerConnectsPerSec: wallMs <= 0 || first === undefined || last === undefined ? 0 : round((last.peerConnects - first.peerConnects) / (wallMs / 1000), 1),
    killed
  }
}

function phaseUsage (sim: Simulation, phase: PhaseRecord): ProcessUsage[] {
  return sim.children.map(c => {
    const all = sim.samples.get(c.index) ?? []
    const inside = all.filter(s => s.at >= phase.start - 50 && s.at <= phase.end + 5000)
    const bounded = [phase.samplesAtStart.get(c.index), ...inside.filter(s => s.at <= phase.end), phase.samplesAtEnd.get(c.index)].filter((s): s is SampleReply => s !== undefined)
    const unique = [...new Set(bounded)].sort((a, b) => a.at - b.at)
    return usage(c.index, unique, c.killedAt !== undefined && c.killedAt <= phase.end)
  })
}

function watchSummary (w: { ms: number[], timedOut: number, skipped: number }): WatchSummary {
  return { ...percentiles(w.ms), n: w.ms.length, timedOut: w.timedOut, notMeasured: w.skipped }
}

function failedBreakdown (lookups: Simulation['lookups']): { error: number, missing: number, extra: number } {
  return {
    error: lookups.filter(l => l.error !== undefined).length,
    missing: lookups.filter(l => l.error === undefined && l.missing.length > 0).length,
    extra: lookups.filter(l => l.error === undefined && l.extra.length > 0).length
  }
}

/** Where the record was at the registry snapshot nearest to `at` (snapshots are taken at phase ends). */
function heldBy (sim: Simulation, name: string, peerId: string, at: number): string {
  const snap = sim.holderSnapshots.reduce<Simulation['holderSnapshots'][number] | undefined>((best, s) => best === undefined || Math.abs(s.at - at) < Math.abs(best.at - at) ? s : best, undefined)
  if (snap === undefined) return 'no registry snapshot'
  const h = snap.holders.get(`${name}\n${peerId}`)
  const list = [...h?.up ?? []].map(p => sim.truth.registryAt(p, snap.at)).concat([...h?.down ?? []].map(p => `${sim.truth.registryAt(p, snap.at)}(down)`))
  const when = `${(Math.abs(snap.at - at) / 1000).toFixed(1)}s ${snap.at >= at ? 'after' : 'before'} the lookup`
  return list.length === 0 ? `held by no registry ${when}` : `held by ${list.join(' ')} ${when}`
}

async function closestNote (sim: Simulation, name: string, at: number): Promise<FailedLookup['closestRegistries']> {
  const target = await keyPosition(sim.settings.network, name)
  const k = sim.config.replication
  const all = await closest(target, [...sim.truth.registries.keys()], k)
  const live = await closest(target, sim.truth.liveRegistries(at), k)
  return { all: all.map(p => sim.truth.registryAt(p, at)), live: live.map(p => sim.truth.registryAt(p, at)) }
}

export async function buildResult (sim: Simulation, timeline: Bucket[]): Promise<SimResult> {
  const { config } = sim
  const t = (ms: number): number => round((ms - sim.startedAt) / 1000, 1)
  const phaseOf = (at: number): string => sim.phases.find(p => at >= p.start && at < p.end)?.name ?? 'after'
  const phases: PhaseResult[] = sim.phases.map(p => {
    const inside = sim.lookups.filter(l => l.start >= p.start && l.start < p.end)
    return {
      name: p.name,
      fault: p.fault,
      start: p.start,
      end: p.end,
      t: [t(p.start), t(p.end)],
      ...summarise(inside),
      failed: failedBreakdown(inside),
      ...(p.placement !== undefined ? { placement: p.placement } : {}),
      processes: phaseUsage(sim, p),
      notes: p.notes
    }
  })
  // Lookups issued while the last phase's samples were taken belong to no phase: left out of the totals too.
  // The settle phase is reported, not judged: it lets clients warm and the network's start-up work pass.
  const inPhases = sim.lookups.filter(l => sim.phases.some(p => p.name !== 'settle' && l.start >= p.start && l.start < p.end))
  const whole = sim.children.map(c => usage(c.index, sim.samples.get(c.index) ?? [], c.killedAt !== undefined))
  const atRest = lastPhaseAboveBare(whole, i => sim.samples.get(i) ?? [], sim.phases.at(-1)?.start ?? 0)
  const problemsOf = (what: string): number => sim.problems.filter(p => p.what === what).length
  const nodeErrors: Record<string, number> = {}
  for (const list of sim.samples.values()) {
    const last = list.at(-1)
    for (const [k, v] of Object.entries(last?.nodeErrors ?? {})) nodeErrors[k] = (nodeErrors[k] ?? 0) + v
  }
  const failures = await Promise.all(inPhases.filter(l => !l.ok).slice(0, 20).map(async l => ({
    t: t(l.start),
    phase: phaseOf(l.start),
    client: l.client,
    process: l.process,
    name: l.name,
    latencyMs: round(l.latencyMs),
    ...(l.error !== undefined ? { error: l.error } : {}),
    returned: l.returned,
    required: l.required,
    missing: l.missing.map(id => `${sim.truth.describe(id, l.start)}; ${heldBy(sim, l.name, id, l.start)}`),
    extra: l.extra.map(id => sim.truth.describe(id, l.start)),
    closestRegistries: await closestNote(sim, l.name, l.start)
  })))
  const steady = sim.phases.find(p => p.name === 'steady')?.placement
  const falseDown = sim.truth.falseDownMarks()
  const processTimeline: SimResult['processTimeline'] = []
  for (const [index, list] of sim.samples) {
    list.forEach((s, j) => {
      const prev = list[j - 1]
      // Seconds since the previous sample (0 for the first, or one taken at the same instant: no rate then).
      const dt = prev === undefined || s.at <= prev.at ? 0 : (s.at - prev.at) / 1000
      const cpu = dt === 0 ? 0 : ((s.cpuUser + s.cpuSystem) - (prev.cpuUser + prev.cpuSystem)) / 1e6 / dt * 100
      const connectsPerSec = dt === 0 ? 0 : (s.peerConnects - prev.peerConnects) / dt
      processTimeline.push({ t: t(s.at), process: index, cpuPercent: round(cpu, 1), rssMB: round(s.rss / MB, 1), heapUsedMB: round(s.heapUsed / MB, 1), heapTotalMB: round(s.heapTotal / MB, 1), externalMB: round(s.external / MB, 1), eldP99: round(s.eld.p99), eldMax: round(s.eld.max), connections: s.connections, connectsPerSec: round(connectsPerSec, 1), nodes: s.nodes.registry + s.nodes.service + s.nodes.client })
    })
  }
  processTimeline.sort((a, b) => a.t - b.t || a.process - b.process)
  return {
    nodes: config.nodes,
    processes: config.processes,
    registries: config.registries,
    services: config.services,
    clients: config.clients,
    names: config.names,
    replication: config.replication,
    seed: config.seed,
    durationS: config.durationS,
    lookupRatePerS: config.lookupRate,
    rules: { graceMs: config.graceMs, detectionBoundMs: sim.detectionBoundMs, healthInterval: config.healthInterval, healthTimeout: config.healthTimeout, unhealthyThreshold: config.unhealthyThreshold, recordTtl: config.recordTtl },
    ...summarise(inPhases),
    lostLookups: sim.lostLookups,
    skippedLookups: sim.skippedLookups,
    failed: failedBreakdown(inPhases),
    phases,
    ...(steady !== undefined ? { placement: steady } : {}),
    registration: { registered: sim.registerMs.length, failed: sim.registerFailures.length, latencyMs: percentiles(sim.registerMs), failures: sim.registerFailures.slice(0, 10) },
    registerToDiscoverableMs: watchSummary(sim.watch.registerToDiscoverable),
    killToGoneMs: watchSummary(sim.watch.killToGone),
    stopToGoneMs: watchSummary(sim.watch.stopToGone),
    cpu: { perProcess: whole.map(u => ({ process: u.process, cpuPercent: u.cpuPercent, cpuSeconds: u.cpuSeconds, cpuPercentPerNode: u.cpuPercentPerNode, killed: u.killed })), totalCpuSeconds: round(whole.reduce((a, u) => a + u.cpuSeconds, 0), 1) },
    rss: {
      perProcess: whole.map(u => ({ process: u.process, rssMaxMB: u.rssMaxMB, rssPerNodeMB: u.rssPerNodeMB, rssBareMB: u.rssBareMB, ...(atRest.perProcess.has(u.process) ? { rssLastPhaseMB: atRest.perProcess.get(u.process) } : {}) })),
      totalMaxMB: round(whole.reduce((a, u) => a + u.rssMaxMB, 0), 1),
      aboveBarePerNodeMB: aboveBare(whole),
      lastPhaseAboveBarePerNodeMB: atRest.aboveBare
    },
    eventLoopDelay: { perProcess: whole.map(u => ({ process: u.process, ...u.eventLoopDelayMs })) },
    problems: {
      unhandledRejections: problemsOf('unhandledRejection'),
      uncaughtExceptions: problemsOf('uncaughtException'),
      warnings: problemsOf('warning'),
      nodeErrorEvents: Object.values(nodeErrors).reduce((a, b) => a + b, 0),
      nodeErrors,
      first: sim.problems.slice(0, 10).map(p => `p${p.process} ${p.what}: ${p.message}`)
    },
    falseDownMarks: {
      count: falseDown.length,
      instances: new Set(falseDown.map(m => m.peerId)).size,
      first: falseDown.slice(0, 10).map(m => `t=${t(m.at)}s ${m.registry} marked ${sim.truth.describe(m.peerId, m.at)} down${m.up !== undefined ? `, up again after ${((m.up - m.at) / 1000).toFixed(1)}s` : ''}: ${m.reason ?? ''}`)
    },
    processTimeline,
    unexpectedExits: sim.unexpectedExits,
    stopErrors: sim.stopErrors.slice(0, 10),
    partitions: sim.partitions,
    failures,
    failuresByName: inPhases.filter(l => !l.ok).reduce<Record<string, number>>((acc, l) => {
      const key = `${phaseOf(l.start)}/${l.name}`
      acc[key] = (acc[key] ?? 0) + 1
      return acc
    }, {}),
    timeline: timeline.map(b => ({ t: t(b.start), lookups: b.lookups, success: Number.isNaN(b.success) ? null : round(b.success, 4), latencyMs: b.latencyMs }))
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(x === 1 ? 0 : 1)}%`
const ms = (x: number): string => x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(1)}ms`
const opt = (x: number | null, f: (v: number) => string = v => v.toFixed(1)): string => x === null ? 'n/a' : f(x)

function row (cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i])).join(' ')
}

export function renderTable (r: SimResult): string {
  const out: string[] = []
  out.push('')
  out.push(`netget simulation: ${r.nodes} nodes (${r.registries} registries, ${r.services} services, ${r.clients} clients), ${r.processes} processes, K=${r.replication}, seed ${r.seed}`)
  out.push(`success rule: required = registered ≥ ${r.rules.graceMs} ms before the lookup and live through it; forbidden = stopped ≥ ${r.rules.graceMs} ms before, or SIGKILLed > ${r.rules.detectionBoundMs} ms before`)
  out.push('')
  const w = [16, 9, 8, 8, 6, 9, 9, 9, 7, 9, 10, 6, 7]
  out.push(row(['phase', 'time', 'lookups', 'success', 'errors', 'p50', 'p95', 'p99', 'req/lk', 'bytes/lk', 'placement', 'cpu%', 'conn/s'], w))
  for (const p of r.phases) {
    out.push(row([
      `${p.name}${p.fault ? ' *' : ''}`, `${p.t[0].toFixed(0)}-${p.t[1].toFixed(0)}s`, p.lookups, p.lookups === 0 ? '-' : pct(p.lookupSuccess), p.errors,
      p.lookups === 0 ? '-' : ms(p.latencyMs.p50), p.lookups === 0 ? '-' : ms(p.latencyMs.p95), p.lookups === 0 ? '-' : ms(p.latencyMs.p99),
      opt(p.requestsPerLookup), opt(p.bytesPerLookup, v => v.toFixed(0)), p.placement === undefined ? '-' : pct(p.placement.placement),
      p.processes.reduce((a, u) => a + u.cpuPercent, 0).toFixed(0),
      p.processes.reduce((a, u) => a + u.peerConnectsPerSec, 0).toFixed(1)
    ], w))
  }
  out.push(row(['all', '', r.lookups, pct(r.lookupSuccess), r.errors, ms(r.latencyMs.p50), ms(r.latencyMs.p95), ms(r.latencyMs.p99), opt(r.requestsPerLookup), opt(r.bytesPerLookup, v => v.toFixed(0)), ''], w))
  out.push('  (* fault phase; placement = share of live settled instances held by their K closest live registries, at the phase end;')
  out.push('   cpu% = CPU of all processes during the phase, % of one core; conn/s = new peer connections per second, each counted at both ends)')
  out.push(`failed lookups: ${r.failed.error} with an error, ${r.failed.missing} missing a required instance, ${r.failed.extra} returning a forbidden one; lost to a kill ${r.lostLookups}; rate shortfall ticks ${r.skippedLookups}`)
  out.push('')
  const wsum = (label: string, s: WatchSummary): string => `${label.padEnd(24)} n=${s.n} p50=${ms(s.p50)} p95=${ms(s.p95)} max=${ms(s.max)} timed out ${s.timedOut}, not measured ${s.notMeasured}`
  out.push(`registration             ${r.registration.registered} ok, ${r.registration.failed} failed; register() p50=${ms(r.registration.latencyMs.p50)} p95=${ms(r.registration.latencyMs.p95)} p99=${ms(r.registration.latencyMs.p99)}`)
  out.push(wsum('register → discoverable', r.registerToDiscoverableMs))
  out.push(wsum('stop() → gone', r.stopToGoneMs))
  out.push(wsum('SIGKILL → gone', r.killToGoneMs))
  if (r.placement !== undefined) {
    const p = r.placement
    out.push(`placement (end of steady)  ${pct(p.placement)} of closest-K slots filled; ${pct(p.fullyPlaced)} of ${p.instances} instances fully placed; ${pct(p.lost)} held nowhere; ${p.copies} copies each (${p.strayCopies} outside the K closest); ${p.markedDown} copies marked down${p.mostLacking.length > 0 ? `; slots lacked most by ${p.mostLacking.map(l => `${l.registry} (${l.slots})`).join(', ')}` : ''}`)
    out.push(`  registry tables: fewest ${p.tableSizes.min} verified registries, median ${p.tableSizes.median} (of ${p.registriesLive - 1} others live; known, verified or not: median ${p.tableSizes.knownMedian})`)
    for (const example of p.examples) out.push(`  ${example}`)
  }
  out.push('')
  const pw = [8, 12, 7, 9, 9, 8, 9, 9, 9]
  out.push(row(['process', 'r/s/c', 'cpu%', 'cpu%/node', 'rss MB', 'MB/node', 'eld p50', 'eld p99', 'eld max'], pw))
  for (const [i, c] of r.cpu.perProcess.entries()) {
    const phaseNodes = r.phases.map(p => p.processes[i]?.nodes).filter(n => n !== undefined)
    const n = phaseNodes.reduce((a, b) => ({ registry: Math.max(a.registry, b.registry), service: Math.max(a.service, b.service), client: Math.max(a.client, b.client) }), { registry: 0, service: 0, client: 0 })
    const e = r.eventLoopDelay.perProcess[i]
    out.push(row([`p${c.process}${c.killed ? ' †' : ''}`, `${n.registry}/${n.service}/${n.client}`, c.cpuPercent.toFixed(0), c.cpuPercentPerNode.toFixed(2), r.rss.perProcess[i].rssMaxMB.toFixed(0), r.rss.perProcess[i].rssPerNodeMB.toFixed(1), ms(e.p50), ms(e.p99), ms(e.max)], pw))
  }
  out.push(`  († SIGKILLed; r/s/c = most registries/services/clients held at once; eld = event-loop delay; total CPU ${r.cpu.totalCpuSeconds} s)`)
  out.push(`  RSS above the bare processes (each one's RSS before its first node): ${r.rss.aboveBarePerNodeMB} MB per node at the largest; ${r.rss.lastPhaseAboveBarePerNodeMB} MB over the last phase (median; processes alive then)`)
  out.push('')
  const pr = r.problems
  out.push(`false down marks: ${r.falseDownMarks.count} (registries hid ${r.falseDownMarks.instances} live instances at some point)`)
  for (const line of r.falseDownMarks.first.slice(0, 3)) out.push(`  ${line.slice(0, 240)}`)
  out.push(`problems: unhandled rejections ${pr.unhandledRejections}, uncaught exceptions ${pr.uncaughtExceptions}, process warnings ${pr.warnings}, node 'error' events ${pr.nodeErrorEvents}; unexpected process exits ${r.unexpectedExits.length}`)
  for (const line of pr.first.slice(0, 5)) out.push(`  ${line.slice(0, 240)}`)
  for (const [k, v] of Object.entries(pr.nodeErrors).sort((a, b) => b[1] - a[1]).slice(0, 5)) out.push(`  ${v}× error event: ${k}`)
  for (const line of r.unexpectedExits) out.push(`  ${line}`)
  if (r.failures.length > 0) {
    out.push('')
    out.push(`failed lookups by phase and name: ${Object.entries(r.failuresByName).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ×${v}`).join(', ')}`)
    out.push('first failed lookup of each phase and name (all of the first 20 are in the JSON):')
    const seen = new Set<string>()
    const shown = r.failures.filter(f => {
      const key = `${f.phase}/${f.name}`
      if (seen.has(key)) return false
      seen.add(key)
      return true
    })
    for (const f of shown.slice(0, 6)) {
      out.push(`  t=${f.t}s ${f.phase} ${f.client}@p${f.process} ${f.name}: ${ms(f.latencyMs)}, returned ${f.returned}, required ${f.required}${f.error !== undefined ? `, error ${f.error.slice(0, 160)}` : ''}`)
      for (const m of f.missing.slice(0, 3)) out.push(`      missing ${m}`)
      if (f.missing.length > 3) out.push(`      … ${f.missing.length - 3} more missing`)
      for (const x of f.extra.slice(0, 3)) out.push(`      extra   ${x}`)
      if (f.extra.length > 3) out.push(`      … ${f.extra.length - 3} more extra`)
      out.push(`      K closest registries: ${f.closestRegistries.all.join(' ')}${f.closestRegistries.all.join() === f.closestRegistries.live.join() ? '' : `; K closest live: ${f.closestRegistries.live.join(' ')}`}`)
    }
  }
  return out.join('\n') + '\n'
}
