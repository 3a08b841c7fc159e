/**
 * `npm run bench`: netget's discovery latency, registration → discoverable, fresh-client time and RSS per node,
 * side by side with HyperDHT (what a user would pick instead) in the same run, on 127.0.0.1 only.
 * Writes bench/results/latest.json and bench/results/latest.txt and prints the table.
 *
 * Environment: BENCH_QUICK=1 runs a few samples of everything (a smoke test of the harness, not figures);
 * BENCH_HYPERDHT=0 skips HyperDHT; BENCH_HYPERDHT_STORING=2,20 sets its testnet sizes (storing nodes).
 */
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { loadHyperdht, runHyperdht, runHyperdhtSeparate } from './hyperdht-scenarios.js'
import { runNetget, runNetgetSeparate } from './netget-scenarios.js'
import { updatePerformanceDoc } from './docs.js'
import type { HyperdhtConfig, HyperdhtResults, HyperdhtSeparateResults } from './hyperdht-scenarios.js'
import type { LatencyResult, NetgetConfig, NetgetResults, NetgetSeparateResults, SeparateConfig } from './netget-scenarios.js'
import { runEnvironment } from './stats.js'
import type { Summary } from './stats.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url))
const quick = process.env.BENCH_QUICK === '1'
const runStart = performance.now()

// Whatever hangs, the run ends by itself (the budget is ~3 minutes).
const watchdog = setTimeout(() => {
  process.stderr.write('bench: watchdog fired after 280 s; something did not finish\n')
  process.exit(2)
}, 280_000)
watchdog.unref()

const log = (line: string): void => { process.stderr.write(line + '\n') }

const netgetConfig: NetgetConfig = {
  names: 5,
  perName: 10,
  warmup: quick ? 5 : 50,
  samples: quick ? 20 : 1000,
  cachedSamples: quick ? 100 : 5000,
  freshSamples: quick ? 3 : 50,
  registerSamples: quick ? 3 : 50,
  pollMaxAttempts: 1000,
  pollMaxMs: 5000
}

const hyperdhtBase: Omit<HyperdhtConfig, 'storing'> = {
  names: 5,
  perName: 10,
  warmup: quick ? 5 : 50,
  samples: quick ? 20 : 1000,
  freshSamples: quick ? 3 : 50,
  announceSamples: quick ? 3 : 50,
  pollMaxAttempts: 1000,
  pollMaxMs: 5000
}
// a×: registries (HyperDHT: testnet nodes) in child processes; ≥ 1000 warm-up discoveries, the registries' JIT needs them.
const separateConfig: SeparateConfig = {
  perName: 10,
  warmup: quick ? 20 : 1000,
  samples: quick ? 20 : 1000,
  maxMs: 60_000,
  freshSamples: quick ? 3 : 50
}

const hyperdhtStoring = (process.env.BENCH_HYPERDHT_STORING ?? '2,20').split(',').map(Number).filter(n => Number.isInteger(n) && n > 0 && n <= 64)

// ---------------------------------------------------------------- RSS children

interface ChildReport {
  mode: string
  rssMb: number
  heapUsedMb: number
  startMs: number
  /** -many modes only. */
  nodes?: number
  beforeMb?: number
  afterMb?: number
  perNodeMb?: number
  heapPerNodeMb?: number
}

async function rssChild (mode: string, peers: string[], settleMs = 1000): Promise<ChildReport> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'bench/rss-child.ts', mode, String(settleMs), ...peers], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 45_000,
      killSignal: 'SIGKILL'
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => { out += b.toString() })
    child.stderr.on('data', (b: Buffer) => { err += b.toString() })
    child.on('error', reject)
    child.on('close', code => {
      const line = out.split('\n').find(l => l.startsWith('{'))
      if (code !== 0 || line === undefined) {
        reject(new Error(`rss-child ${mode} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))
        return
      }
      log(`  e. rss-child ${mode}: ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      resolve(JSON.parse(line) as ChildReport)
    })
  })
}

interface RssMode { mode: string, samples: number, medianMb: number | null, minMb: number | null, maxMb: number | null, startMs: number | null, error?: string }

async function measureModes (modes: string[], peers: string[], samples: number): Promise<RssMode[]> {
  const out: RssMode[] = []
  for (const mode of modes) {
    const reports: ChildReport[] = []
    let error: string | undefined
    // Two children at a time (2 cores); each settles 1 s before its reading.
    for (let i = 0; i < samples; i += 2) {
      const batch = await Promise.allSettled(Array.from({ length: Math.min(2, samples - i) }, async () => rssChild(mode, peers)))
      for (const r of batch) {
        if (r.status === 'fulfilled') reports.push(r.value)
        else error ??= (r.reason as Error).message
      }
    }
    const rss = reports.map(r => r.rssMb).sort((a, b) => a - b)
    const starts = reports.map(r => r.startMs).sort((a, b) => a - b)
    out.push({
      mode,
      samples: reports.length,
      medianMb: rss.length > 0 ? rss[Math.floor((rss.length - 1) / 2)] : null,
      minMb: rss.length > 0 ? rss[0] : null,
      maxMb: rss.length > 0 ? rss[rss.length - 1] : null,
      startMs: starts.length > 0 ? starts[Math.floor((starts.length - 1) / 2)] : null,
      ...(error !== undefined ? { error } : {})
    })
    log(`  e. rss-child ${mode}: median ${out[out.length - 1].medianMb?.toFixed(1)} MB over ${reports.length}${error !== undefined ? ` (error: ${error})` : ''}`)
  }
  return out
}

interface ManyResult { mode: string, nodes: number, perNodeMb: number, heapPerNodeMb: number, beforeMb: number, afterMb: number, startMs: number }

/** n nodes in one child process: RSS increment per node (one run; the child builds its own small network). */
async function measureMany (mode: string, nodes: number): Promise<ManyResult | { mode: string, error: string }> {
  try {
    const r = await rssChild(mode, [String(nodes)])
    return { mode, nodes: r.nodes ?? nodes, perNodeMb: r.perNodeMb ?? Number.NaN, heapPerNodeMb: r.heapPerNodeMb ?? Number.NaN, beforeMb: r.beforeMb ?? Number.NaN, afterMb: r.afterMb ?? Number.NaN, startMs: r.startMs }
  } catch (err) {
    log(`  e. ${mode} failed: ${(err as Error).message}`)
    return { mode, error: (err as Error).message }
  }
}

// ---------------------------------------------------------------- environment


function packageVersion (name: string): string {
  try {
    return (JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

// ---------------------------------------------------------------- table

// Issue 9's targets. Where the target is HyperDHT's own p50 in the same run, the verdict compares with that row.
const TARGETS = {
  uncachedSeparate: 'p50 ≤ HyperDHT, p99 ≤ 2',
  cached: 'p50 ≤ 0.005',
  registerVisible: 'p50 ≤ 2',
  register: 'p50 ≤ 3',
  fresh: 'p50 ≤ 10'
}

function fmt (x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—'
  if (x < 0.1) return x.toFixed(4)
  if (x < 100) return x.toFixed(3)
  return x.toFixed(1)
}

function verdict (s: Summary | null, p50Max: number | undefined, p99Max?: number): string {
  if (s === null || p50Max === undefined) return 'no data'
  const ok = s.p50 <= p50Max && (p99Max === undefined || s.p99 <= p99Max)
  return ok ? 'met' : 'MISSED'
}

/** netget p50 / the other system's p50 (< 1: netget faster). */
function ratio (netget: Summary | null | undefined, other: Summary | null | undefined): string {
  if (netget === null || netget === undefined || other === null || other === undefined || other.p50 === 0) return '—'
  return (netget.p50 / other.p50).toFixed(2)
}

const HEADER = ['scenario', 'system', 'n', 'p50', 'p95', 'p99', 'mean', 'min', 'max', 'found', 'target', 'verdict']
const WIDTHS = [36, 12, 5, 8, 8, 8, 8, 8, 8, 7, 17, 7]

function row (cells: string[]): string {
  return cells.map((c, i) => i < 2 || i >= 10 ? c.padEnd(WIDTHS[i]) : c.padStart(WIDTHS[i])).join(' ').trimEnd()
}

function latencyRow (scenario: string, system: string, r: LatencyResult | undefined, target = '', judged = ''): string {
  const s = r?.summary ?? null
  const found = r?.found === null || r?.found === undefined ? '—' : r.found.min === r.found.max ? String(r.found.min) : `${r.found.min}–${r.found.max}`
  return row([scenario, system, s === null ? '0' : String(s.n), fmt(s?.p50), fmt(s?.p95), fmt(s?.p99), fmt(s?.mean), fmt(s?.min), fmt(s?.max), found, target, judged])
}

function summaryCells (s: Summary | null): string[] {
  return [s === null ? '0' : String(s.n), fmt(s?.p50), fmt(s?.p95), fmt(s?.p99), fmt(s?.mean), fmt(s?.min), fmt(s?.max)]
}

function summaryRow (scenario: string, system: string, s: Summary | null): string {
  return row([scenario, system, ...summaryCells(s), '', '', ''])
}

interface Output {
  meta: Record<string, unknown>
  netget: NetgetResults | { error: string }
  hyperdht: HyperdhtResults[] | { skipped: string }
  hyperdhtErrors: string[]
  rss: { netgetChildren: RssMode[], hyperdhtChildren: RssMode[], many: Array<ManyResult | { mode: string, error: string }> }
  /** a×: the registries (HyperDHT: the testnet's nodes) in child processes of their own. */
  separate: {
    netget: NetgetSeparateResults | { error: string }
    hyperdht: HyperdhtSeparateResults | { error: string } | { skipped: string }
  }
  notes: string[]
}

function render (o: Output): string {
  const lines: string[] = []
  const m = o.meta
  lines.push(`netget benchmark — ${String(m.date)}${quick ? '  (BENCH_QUICK: too few samples to quote)' : ''}`)
  lines.push(`Node ${String(m.node)} on ${String(m.platform)}, ${String(m.cpus)}; netget ${String(m.commit)}${m.srcDirty === true ? ' + uncommitted changes under src/' : ''}; ` +
    `libp2p ${String(m.libp2p)}, @libp2p/kad-dht ${String(m.kadDht)}; hyperdht ${String(m.hyperdht)}`)
  const ng = 'error' in o.netget ? undefined : o.netget
  const hs = Array.isArray(o.hyperdht) ? o.hyperdht : []
  if (ng !== undefined) lines.push(`netget:  ${ng.layout}`)
  else if ('error' in o.netget) lines.push(`netget:  FAILED: ${o.netget.error}`)
  for (const h of hs) lines.push(`${h.label}: ${h.layout}`)
  if (!Array.isArray(o.hyperdht)) lines.push(`HyperDHT: skipped: ${o.hyperdht.skipped}`)
  for (const e of o.hyperdhtErrors) lines.push(`HyperDHT: ${e}`)
  const sn = 'error' in o.separate.netget ? undefined : o.separate.netget
  const sh = 'layout' in o.separate.hyperdht ? o.separate.hyperdht : undefined
  if (sn !== undefined) lines.push(`netget a×: ${sn.layout}`)
  else if ('error' in o.separate.netget) lines.push(`netget a×: FAILED: ${o.separate.netget.error.split('\n')[0]}`)
  if (sh !== undefined) lines.push(`${sh.label} a×: ${sh.layout}`)
  else if ('error' in o.separate.hyperdht) lines.push(`HyperDHT a×: FAILED: ${o.separate.hyperdht.error.split('\n')[0]}`)
  else if ('skipped' in o.separate.hyperdht && Array.isArray(o.hyperdht)) lines.push(`HyperDHT a×: skipped: ${o.separate.hyperdht.skipped}`)
  lines.push('Times in ms (nearest-rank percentiles); n = samples; found = instances returned per call (min–max). Verdicts judge netget against the issue\'s targets.')
  lines.push('')
  lines.push(row(HEADER))
  lines.push(row(WIDTHS.map(w => '-'.repeat(w))))
  const n10 = ng?.discover10.found?.max ?? 10
  const n50 = ng?.discover50.found?.max ?? 50
  const a10 = `a. discover ${10} (uncached)`
  lines.push(latencyRow(a10, 'netget', ng?.discover10))
  for (const h of hs) lines.push(latencyRow('', h.label, h.lookup10))
  lines.push(`a×. discover ${separateConfig.perName} (uncached), registries in their own processes`)
  lines.push(latencyRow('   queryFanout 1 (default, hedged)', 'netget', sn?.fanout1, TARGETS.uncachedSeparate, verdict(sn?.fanout1.summary ?? null, sh?.lookup10.summary?.p50, 2)))
  lines.push(latencyRow('   queryFanout 2, 2 registries asked', 'netget', sn?.fanout2))
  if (sh !== undefined) lines.push(latencyRow('', sh.label, sh.lookup10))
  lines.push(latencyRow(`a. discover ${50} (uncached)`, 'netget', ng?.discover50))
  for (const h of hs) lines.push(latencyRow('', h.label, h.lookup50))
  lines.push(latencyRow(`b. discover ${10} (maxAge 60 s)`, 'netget', ng?.cached10, TARGETS.cached, verdict(ng?.cached10.summary ?? null, 0.005)))
  lines.push(latencyRow(`b. discover ${50} (maxAge 60 s)`, 'netget', ng?.cached50))
  if (hs.length > 0) lines.push(row(['', 'HyperDHT', '', '', '', '', '', '', '', '', 'no result cache', '']))
  lines.push(latencyRow('c. fresh client → first result', 'netget', ng?.fresh))
  for (const h of hs) lines.push(latencyRow('', h.label, h.fresh))
  lines.push('c×. the same, registries in their own processes')
  lines.push(latencyRow('', 'netget', sn?.fresh, TARGETS.fresh, verdict(sn?.fresh.summary ?? null, 10)))
  if (sh !== undefined) lines.push(latencyRow('', sh.label, sh.fresh))
  lines.push(latencyRow('d. registered → discoverable', 'netget', ng?.registerToDiscoverable, TARGETS.registerVisible, verdict(ng?.registerToDiscoverable.summary ?? null, 2)))
  for (const h of hs) lines.push(latencyRow('', h.label, h.announceToDiscoverable))
  lines.push(row(['   registerWithNetwork() after ready()', 'netget', ...summaryCells(ng?.registerToDiscoverable.register ?? null), '', TARGETS.register, verdict(ng?.registerToDiscoverable.register ?? null, 3)]))
  for (const h of hs) lines.push(summaryRow('   announce', h.label, h.announceToDiscoverable.announce))
  lines.push(summaryRow('   new Netget → start() resolved', 'netget', ng?.serviceStart ?? null))
  lines.push(summaryRow('   start() → ready() resolved', 'netget', ng?.serviceReady ?? null))
  lines.push(summaryRow('   new Netget → registered', 'netget', ng?.newToRegistered ?? null))
  lines.push(summaryRow('   stop() / destroy() of fresh client', 'netget', ng?.fresh.stop ?? null))
  for (const h of hs) lines.push(summaryRow('', h.label, h.fresh.destroy))
  lines.push('')
  const att = (a: { min: number, max: number, mean: number } | null | undefined): string => a === null || a === undefined ? '—' : `${a.min}–${a.max} (mean ${a.mean})`
  lines.push(`d. polling attempts until found: netget ${att(ng?.registerToDiscoverable.attempts)}, gave up ${ng?.registerToDiscoverable.gaveUp ?? '—'}` +
    hs.map(h => `; ${h.label} ${att(h.announceToDiscoverable.attempts)}, gave up ${h.announceToDiscoverable.gaveUp}`).join(''))
  const failures: string[] = []
  const fail = (what: string, r: LatencyResult | undefined, expected: number): void => {
    if (r !== undefined && r.failures > 0) failures.push(`${what}: ${r.failures} samples failed or found < ${expected}${r.firstError !== undefined ? ` (${r.firstError})` : ''}`)
  }
  if (ng !== undefined) {
    fail('netget a10', ng.discover10, n10)
    fail('netget a50', ng.discover50, n50)
    fail('netget c', ng.fresh, n10)
    fail('netget d', ng.registerToDiscoverable, 1)
  }
  if (sn !== undefined) {
    fail('netget a× queryFanout 1', sn.fanout1, separateConfig.perName)
    fail('netget a× queryFanout 2', sn.fanout2, separateConfig.perName)
    fail('netget c×', sn.fresh, separateConfig.perName)
  }
  if (sh !== undefined) {
    fail(`${sh.label} a×`, sh.lookup10, separateConfig.perName)
    fail(`${sh.label} c×`, sh.fresh, separateConfig.perName)
  }
  for (const h of hs) {
    fail(`${h.label} a10`, h.lookup10, 10)
    fail(`${h.label} a50${h.storing * 20 < 50 ? ` (expected: ≤ 20 records per storing node, ${h.storing * 20} at most)` : ''}`, h.lookup50, 50)
    fail(`${h.label} c`, h.fresh, 10)
    fail(`${h.label} d`, h.announceToDiscoverable, 1)
  }
  if (failures.length > 0) lines.push(`Shortfalls: ${failures.join('; ')}`)
  lines.push('')
  lines.push('e. RSS per node (MB)')
  const child = (list: RssMode[], mode: string): string => {
    const r = list.find(x => x.mode === mode)
    if (r === undefined || r.medianMb === null) return `— ${r?.error ?? ''}`.trim()
    return `${r.medianMb.toFixed(1)} (min ${r.minMb?.toFixed(1)}, max ${r.maxMb?.toFixed(1)}, n ${r.samples})`
  }
  lines.push(`   own process, whole RSS:   Node+tsx only ${child(o.rss.netgetChildren, 'bare')}; netget imported, no node ${child(o.rss.netgetChildren, 'netget-loaded')}`)
  lines.push(`                             netget registry ${child(o.rss.netgetChildren, 'registry')}; netget service (registered) ${child(o.rss.netgetChildren, 'service')}`)
  if (o.rss.hyperdhtChildren.length > 0) lines.push(`                             HyperDHT node (bootstrapped, announced) ${child(o.rss.hyperdhtChildren, 'hyperdht')}`)
  const inc = (mode: string): string => {
    const r = o.rss.many.find(x => x.mode === mode)
    if (r === undefined) return '—'
    if ('error' in r) return `failed (${r.error})`
    return `${r.perNodeMb.toFixed(2)} per node (heap ${r.heapPerNodeMb.toFixed(2)}; ${r.beforeMb.toFixed(0)} → ${r.afterMb.toFixed(0)} MB for ${r.nodes} nodes)`
  }
  const many = o.rss.many.find(x => x.mode === 'netget-many')
  const manyVerdict = many === undefined || 'error' in many ? '' : `  [target ≤ 1 MB per node: ${many.perNodeMb <= 1 ? 'met' : 'MISSED'}]`
  lines.push(`   n nodes in one process:   netget service ${inc('netget-many')}${manyVerdict}`)
  if (o.rss.many.some(x => x.mode === 'hyperdht-many')) lines.push(`                             HyperDHT announcing node ${inc('hyperdht-many')}`)
  lines.push('')
  lines.push('Ratios, netget p50 / HyperDHT p50 in this run (< 1: netget faster):')
  if (sn !== undefined) {
    lines.push(`   a× discover 10, registries in their own processes: ${ratio(sn.fanout1.summary, sh?.lookup10.summary)} ` +
      `(queryFanout 2: ${ratio(sn.fanout2.summary, sh?.lookup10.summary)}); requests per discovery ${sn.requestsPerDiscovery.fanout1.toFixed(2)} (queryFanout 2: ${sn.requestsPerDiscovery.fanout2.toFixed(2)})`)
    lines.push(`   c× fresh client → first result, registries in their own processes: ${ratio(sn.fresh.summary, sh?.fresh.summary)}`)
  }
  for (const h of hs) {
    lines.push(`   one process, vs ${h.label}: discover 10 ${ratio(ng?.discover10.summary, h.lookup10.summary)}, fresh client ${ratio(ng?.fresh.summary, h.fresh.summary)}, ` +
      `registered → discoverable ${ratio(ng?.registerToDiscoverable.summary, h.announceToDiscoverable.summary)}, register / announce ${ratio(ng?.registerToDiscoverable.register, h.announceToDiscoverable.announce)}`)
  }
  lines.push('')
  for (const note of o.notes) lines.push(`Note: ${note}`)
  lines.push(`Run took ${String(m.runSeconds)} s; load average (1/5/15 min) ${String(m.loadAvgAtStart)} at start, ${String(m.loadAvgAtEnd)} at end: anything else running on these cores shows in the tails.`)
  return lines.join('\n') + '\n'
}

// ---------------------------------------------------------------- main

async function main (): Promise<number> {
  const notes: string[] = []
  const meta: Record<string, unknown> = {
    ...runEnvironment(root),
    libp2p: packageVersion('libp2p'),
    kadDht: packageVersion('@libp2p/kad-dht'),
    hyperdht: 'not installed',
    quick,
    config: { netget: netgetConfig, hyperdht: { ...hyperdhtBase, storing: hyperdhtStoring }, separate: separateConfig }
  }
  let netgetChildren: RssMode[] = []
  let hyperdhtChildren: RssMode[] = []
  const many: Array<ManyResult | { mode: string, error: string }> = []
  const rssSamples = quick ? 1 : 3

  log('netget …')
  let netget: Output['netget']
  try {
    netget = await runNetget(netgetConfig, log, async registries => {
      netgetChildren = await measureModes(['bare', 'netget-loaded', 'registry', 'service'], registries, rssSamples)
    })
  } catch (err) {
    netget = { error: (err as Error).stack ?? String(err) }
    log(`netget failed: ${(err as Error).stack ?? String(err)}`)
  }

  let hyperdht: Output['hyperdht']
  const hyperdhtErrors: string[] = []
  const lib = process.env.BENCH_HYPERDHT === '0' ? { error: 'BENCH_HYPERDHT=0' } : await loadHyperdht()
  if ('error' in lib) {
    hyperdht = { skipped: lib.error }
  } else {
    meta.hyperdht = lib.version
    const list: HyperdhtResults[] = []
    for (const storing of hyperdhtStoring) {
      log(`HyperDHT, ${storing} storing nodes …`)
      try {
        list.push(await runHyperdht(lib, { ...hyperdhtBase, storing }, log, list.length > 0
          ? undefined
          : async bootstrap => { hyperdhtChildren = await measureModes(['hyperdht'], bootstrap, rssSamples) }))
      } catch (err) {
        hyperdhtErrors.push(`${storing} storing nodes: skipped: ${(err as Error).message}`)
        log(`HyperDHT (${storing}) failed: ${(err as Error).stack ?? String(err)}`)
      }
    }
    hyperdht = list
  }

  log('a×. registries in their own processes …')
  const separate: Output['separate'] = { netget: { error: 'not run' }, hyperdht: { skipped: 'error' in lib ? lib.error : 'not run' } }
  try {
    separate.netget = await runNetgetSeparate(separateConfig, log)
  } catch (err) {
    separate.netget = { error: (err as Error).stack ?? String(err) }
    log(`netget a× failed: ${(err as Error).stack ?? String(err)}`)
  }
  if (!('error' in lib)) {
    try {
      separate.hyperdht = await runHyperdhtSeparate(lib, separateConfig, log)
    } catch (err) {
      separate.hyperdht = { error: (err as Error).stack ?? String(err) }
      log(`HyperDHT a× failed: ${(err as Error).stack ?? String(err)}`)
    }
  }

  log('RSS, many nodes in one process …')
  many.push(await measureMany('netget-many', 50))
  if (!('error' in lib)) many.push(await measureMany('hyperdht-many', 50))

  notes.push('netget a/b/d use one client that stays connected to both registries; its Kademlia route for a name is reused for 30 s (routeCacheTtl), so a sample now and then includes a route refresh.')
  notes.push('Except in a×, each system runs all its nodes in this one process (one JS thread): a discovery\'s latency includes the registries\' (storing nodes\') work, serialised with the client\'s. The same holds for both systems.')
  notes.push(`a×: the registries run in child processes of their own (netget: the CLI, \`netget registry\`; HyperDHT: the 3 nodes of its 2-storing-node testnet, built as testnet.js builds them), so their work runs in parallel with the client's (the processes share this machine's ${cpus().length} cores) and each request crosses processes over loopback TCP (HyperDHT: UDP); the ${separateConfig.perName} service instances (announcers) and the clients stay in this process. ` +
    `Each client made ${separateConfig.warmup} untimed discoveries first (the registries' JIT warms up); the two netget clients then took turns, one discovery each, so drift falls on both rows alike. ` +
    'With queryFanout 1 (the default) a discovery asks the registry closest to the name (both hold every record), and the other one only when the first is slower than the client\'s recent p95 (a hedge); with 2 it waits for both answers. ' +
    'c× times fresh clients (new Netget → first discovery with every instance) against the same registry processes, and HyperDHT\'s fresh ephemeral nodes (new DHT → bootstrapped → lookup) against its node processes.')
  notes.push('Registries say `settling` for 10 s after they join (clients then confirm an answer with a second registry): the timed discoveries start once that has passed, as against registries that have been up a while.')
  notes.push('netget d: a new service instance joins an existing name (svc-new): new Netget, start(), ready() (a registry session is open), registerWithNetwork() timed from there; registerWithNetwork() resolves once the registries stored the record, so the first poll normally finds it. "new Netget → registered" is the whole set-up.')
  notes.push('HyperDHT lookups are iterative queries with no result cache; each storing node returns at most 20 random records per topic, so with 2 storing nodes a lookup of 50 returns ≤ 40 (see found).')
  notes.push('HyperDHT d uses a new topic per sample (a lookup of a topic with > 20 records returns a random 20 per node).')
  notes.push('RSS "own process" is the whole process (Node + tsx + modules + one node); subtract "Node+tsx only" / "netget imported" for the node itself. "n nodes in one process" runs in a child of its own: (RSS after − before adding the nodes, each after GC) / n, so it includes the registries\' (testnet\'s) state for their connections and records.')

  meta.loadAvgAtEnd = loadavg().map(x => Number(x.toFixed(2)))
  meta.runSeconds = Number(((performance.now() - runStart) / 1000).toFixed(1))
  const output: Output = { meta, netget, hyperdht, hyperdhtErrors, rss: { netgetChildren, hyperdhtChildren, many }, separate, notes }
  const text = render(output)
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(`${resultsDir}latest.json`, JSON.stringify(output, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(4)) : v, 2) + '\n')
  writeFileSync(`${resultsDir}latest.txt`, text)
  process.stdout.write(text)
  if (!quick) {
    updatePerformanceDoc(root)
    log('docs/performance.md: the bench block regenerated from these results')
  }
  return 'error' in netget ? 1 : 0
}

main().then(code => {
  process.exitCode = code
  clearTimeout(watchdog)
  // Every node was stopped; if a stray libp2p/hyperdht timer still holds the loop, do not wait for it long.
  setTimeout(() => {
    process.stderr.write('bench: handles still open 5 s after the end; exiting\n')
    process.exit(code)
  }, 5000).unref()
}, err => {
  process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
