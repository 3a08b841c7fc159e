/**
 * Slopes, ratios and the text table of `npm run bench:compare`.
 */
import { fitLog2 } from './compare-layout.js'
import type { Fit } from './compare-layout.js'
import type { PhaseStats, RunResult } from './compare-run.js'

export interface Slope {
  system: string
  metric: string
  fit: Fit | null
}

export interface Ratio {
  n: number
  replication: number
  /** netget p50 / HyperDHT p50 (ms), per phase; < 1: netget faster. registerToDiscoverable: from the register/announce call. */
  warm: number | null
  cold: number | null
  freshTotal: number | null
  registerToDiscoverable: number | null
}

const label = (r: RunResult): string => r.system === 'netget' ? `netget K=${r.replication}` : 'HyperDHT'

const METRICS: Array<[string, (r: RunResult) => number | null | undefined]> = [
  ['cold hops (mean)', r => r.cold.hops.mean],
  ['warm hops (mean)', r => r.warm.hops.mean],
  ['fresh hops (mean)', r => r.fresh.hops.mean],
  ['cold requests (mean)', r => r.cold.requests.mean],
  ['warm requests (mean)', r => r.warm.requests.mean],
  ['fresh requests (mean)', r => r.fresh.requests.mean],
  ['cold bytes (mean)', r => r.cold.bytes.mean],
  ['warm bytes (mean)', r => r.warm.bytes.mean],
  ['cold latency p50 (ms)', r => r.cold.latency?.p50],
  ['warm latency p50 (ms)', r => r.warm.latency?.p50],
  ['fresh new→first result p50 (ms)', r => r.fresh.total?.p50],
  ['register call→discoverable p50 (ms)', r => r.registerToDiscoverable.afterStart?.p50]
]

export function slopes (runs: readonly RunResult[]): Slope[] {
  const out: Slope[] = []
  const groups = [...new Set(runs.map(label))]
  for (const system of groups) {
    const rs = runs.filter(r => label(r) === system && r.error === undefined)
    for (const [metric, get] of METRICS) {
      const points = rs.map(r => ({ n: r.n, y: get(r) ?? null }))
      const fit = fitLog2(points)
      if (fit !== null) out.push({ system, metric, fit })
    }
  }
  return out
}

export function ratios (runs: readonly RunResult[]): Ratio[] {
  const out: Ratio[] = []
  const div = (a: number | null | undefined, b: number | null | undefined): number | null => a == null || b == null || b === 0 ? null : a / b
  for (const ng of runs.filter(r => r.system === 'netget')) {
    const hd = runs.find(r => r.system === 'hyperdht' && r.n === ng.n)
    if (hd === undefined) continue
    out.push({
      n: ng.n,
      replication: ng.replication ?? 0,
      warm: div(ng.warm.latency?.p50, hd.warm.latency?.p50),
      cold: div(ng.cold.latency?.p50, hd.cold.latency?.p50),
      freshTotal: div(ng.fresh.total?.p50, hd.fresh.total?.p50),
      registerToDiscoverable: div(ng.registerToDiscoverable.afterStart?.p50, hd.registerToDiscoverable.afterStart?.p50)
    })
  }
  return out
}

function f (x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—'
  if (Math.abs(x) >= 1000) return x.toFixed(0)
  if (Math.abs(x) >= 100) return x.toFixed(1)
  return x.toFixed(digits)
}

function pct (x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`
}

function row (cells: Array<[string, number]>): string {
  return cells.map(([text, width]) => width < 0 ? text.padEnd(-width) : text.padStart(width)).join(' ')
}

function phaseRows (runs: readonly RunResult[], phase: 'cold' | 'warm' | 'fresh'): string[] {
  const lines: string[] = []
  const head: Array<[string, number]> = [['system', -12], ['N', 4], ['n', 5], ['found-all', 9], ['hops', 5], ['h-p95', 5], ['msgs', 6], ['m-p95', 5], ['bytes', 7], ['p50', 8], ['p95', 8], ['p99', 8]]
  if (phase === 'fresh') head.push(['start p50', 9], ['total p50', 9], ['total p95', 9])
  lines.push(row(head))
  lines.push('-'.repeat(lines[0].length))
  for (const r of runs) {
    const p: PhaseStats = r[phase]
    const cells: Array<[string, number]> = [
      [label(r), -12], [String(r.n), 4], [String(p.samples), 5], [pct(p.foundAllRate), 9], [f(p.hops.mean), 5], [f(p.hops.p95, 0), 5],
      [f(p.requests.mean, 1), 6], [f(p.requests.p95, 0), 5], [f(p.bytes.mean, 0), 7],
      [f(p.latency?.p50), 8], [f(p.latency?.p95), 8], [f(p.latency?.p99), 8]
    ]
    if (phase === 'fresh') cells.push([f(p.start?.p50), 9], [f(p.total?.p50), 9], [f(p.total?.p95), 9])
    lines.push(row(cells))
  }
  return lines
}

export function textReport (meta: Record<string, unknown>, runs: readonly RunResult[], sl: readonly Slope[], ra: readonly Ratio[]): string {
  const out: string[] = []
  const sorted = [...runs].sort((a, b) => label(a).localeCompare(label(b)) || a.n - b.n)
  out.push(`netget vs HyperDHT as N grows — ${String(meta.startedAt)}`)
  out.push(`Node ${String(meta.node)} on ${String(meta.platform)}, ${String(meta.cpus)}; netget ${String(meta.commit)}; hyperdht ${String(meta.hyperdht)}`)
  out.push(`load average (1/5/15 min) at start ${String(meta.loadStart)}, at end ${String(meta.loadEnd)}; run took ${String(meta.durationS)} s`)
  out.push(`sizes ${String(meta.sizes)}; ${String(meta.processes)} child processes; seed ${String(meta.seed)}`)
  for (const r of sorted) out.push(`  ${label(r)} N=${r.n}: ${r.layout}${r.error !== undefined ? `  ERROR: ${r.error}` : ''}`)
  out.push('')
  out.push('Per lookup: hops = Kademlia hops to the farthest of the closest nodes that answered (netget: getStats().lookupHops delta;')
  out.push('HyperDHT: observed from its query\'s closerNodes); msgs = requests the looking-up node sent (netget: getStats().requests delta;')
  out.push('HyperDHT: the query\'s successes + errors); bytes = request + response bytes (netget only); latency in ms.')
  out.push('found-all = the lookup returned every instance the coordinator knows is published under that name.')
  out.push('')
  out.push('Cold: a started client\'s first lookup of a name')
  out.push(...phaseRows(sorted, 'cold'))
  out.push('')
  out.push('Warm: the same client repeats the lookup at once (netget: maxAge 0, route fresh; HyperDHT: no cache)')
  out.push(...phaseRows(sorted, 'warm'))
  out.push('')
  out.push('Fresh: new node → started/bootstrapped → first lookup (latency = the lookup alone; total = from new)')
  out.push(...phaseRows(sorted, 'fresh'))
  out.push('')
  out.push('Register → discoverable: a new instance joins a name; a warm client in another process polls (ms).')
  out.push('"after resolve" < 0: the poll found it before registerWithNetwork()/announce resolved (it waits for every holder).')
  const rh: Array<[string, number]> = [['system', -12], ['N', 4], ['n', 3], ['after resolve p50', 17], ['p95', 8], ['after call p50', 14], ['register p50', 12], ['polls', 6], ['gave up', 7]]
  out.push(row(rh))
  out.push('-'.repeat(row(rh).length))
  for (const r of sorted) {
    const d = r.registerToDiscoverable
    out.push(row([[label(r), -12], [String(r.n), 4], [String(d.samples), 3], [f(d.afterResolved?.p50), 17], [f(d.afterResolved?.p95), 8], [f(d.afterStart?.p50), 14],
      [f(d.register?.p50), 12], [f(d.attempts.mean, 1), 6], [String(d.gaveUp), 7]]))
  }
  out.push('')
  if (sl.length === 0) out.push('Growth against log2 N: needs two sizes or more')
  else out.push('Growth against log2 N (least squares y = a + b·log2 N; b = added per doubling of N)')
  const sh: Array<[string, number]> = [['system', -12], ['metric', -32], ['a', 9], ['b/doubling', 10], ['R²', 5], ['values by N', -40]]
  if (sl.length > 0) {
    out.push(row(sh))
    out.push('-'.repeat(row(sh).length))
  }
  for (const s of sl) {
    const pts = s.fit?.points.map(p => `${p.n}:${f(p.y)}`).join(' ') ?? '—'
    out.push(row([[s.system, -12], [s.metric, -32], [f(s.fit?.intercept), 9], [f(s.fit?.slope), 10], [f(s.fit?.r2), 5], [pts, -40]]))
  }
  out.push('')
  out.push('netget / HyperDHT, ratio of median latencies (< 1: netget faster)')
  const qh: Array<[string, number]> = [['K', 3], ['N', 4], ['warm', 7], ['cold', 7], ['fresh total', 11], ['reg call→disc', 13]]
  out.push(row(qh))
  out.push('-'.repeat(row(qh).length))
  for (const q of ra) out.push(row([[String(q.replication), 3], [String(q.n), 4], [f(q.warm), 7], [f(q.cold), 7], [f(q.freshTotal), 11], [f(q.registerToDiscoverable), 13]]))
  out.push('')
  out.push('Setup and failures')
  for (const r of sorted) {
    const s = r.setup as Record<string, unknown>
    const pl = s.placement as { atAllTrueClosest: number, of: number } | undefined
    const parts = [`setup ${f(r.setupMs / 1000, 1)} s`, `run ${f(r.durationMs / 1000, 1)} s`]
    if (r.system === 'netget') {
      parts.push(`register failures ${String(s.registerFailures)}`)
      if (pl !== undefined) parts.push(`records at all ${r.replication} true closest registries: ${pl.atAllTrueClosest}/${pl.of}`)
      const t = s.tablesBeforeLookups as { registryKnown?: { mean: number | null, max: number | null }, clientKnown?: { mean: number | null } } | undefined
      if (t !== undefined) parts.push(`registry tables mean ${f(t.registryKnown?.mean, 1)} of ${r.shape.registries}, client tables mean ${f(t.clientKnown?.mean, 1)}`)
    } else {
      parts.push(`announce failures ${String(s.announceFailures)}`)
    }
    if (r.truncated !== undefined) parts.push(`cold/warm schedule cut at its time budget: ${r.truncated.done} of ${r.truncated.planned} pairs`)
    const failed = r.cold.failures + r.warm.failures + r.fresh.failures
    parts.push(`lookups not finding all: ${failed} (cold ${r.cold.failures}, warm ${r.warm.failures}, fresh ${r.fresh.failures})`)
    out.push(`  ${label(r)} N=${r.n}: ${parts.join('; ')}`)
    for (const fl of r.failures.slice(0, 6)) {
      out.push(`    ${fl.phase} ${fl.client} ${fl.name}: found ${fl.found}/${fl.expected}, ${fl.requests} requests, ${fl.hops} hops, ${f(fl.ms)} ms` +
        `${fl.error !== undefined ? `, error ${fl.error}` : ''}${fl.retryOk !== undefined ? `; retry ${fl.retryOk ? 'found all' : `found ${fl.retryFound}`}` : ''}${fl.retryError !== undefined ? ` (${fl.retryError})` : ''}`)
    }
  }
  return out.join('\n') + '\n'
}
