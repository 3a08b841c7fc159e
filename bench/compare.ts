/**
 * `npm run bench:compare`: how a lookup's cost grows with N, for netget and HyperDHT side by side, in one run.
 *
 *   npm run bench:compare -- [--sizes 50,100,200,400] [--processes 4] [--replication 3[,20]] [--quick] [--seed 1]
 *                            [--no-hyperdht] [--out bench/results/compare-latest]
 *
 * At each N: netget with N nodes over P child processes (N/5 registries, 60 % services over ~N/10 names, the rest
 * clients; public API only), then HyperDHT with a testnet of N nodes over P child processes (the same counts of
 * announcers and looking-up nodes). Per lookup: hops, requests, bytes, latency, found-all against the
 * coordinator's ground truth; cold, warm and fresh-client lookups; register → discoverable. Then fits against
 * log2 N and netget/HyperDHT ratios of median latency. Writes <out>.json and <out>.txt and prints the table.
 * 127.0.0.1 only. Every wait is bounded; every child is reaped (bench/compare-ipc.ts). See docs/performance.md.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, platform, arch } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { ratios, slopes, textReport } from './compare-report.js'
import { runHyperdht, runNetget } from './compare-run.js'
import type { Config, RunResult } from './compare-run.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const log = (line: string): void => { process.stderr.write(line + '\n') }

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    processes: { type: 'string', default: '4' },
    replication: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
    quick: { type: 'boolean', default: false },
    'no-hyperdht': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/compare-latest' },
    help: { type: 'boolean', default: false }
  }
})

if (values.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] + '*/\n')
  process.exit(0)
}

function intList (text: string, what: string, min: number, max: number): number[] {
  const out = text.split(',').map(s => Number(s.trim()))
  if (out.length === 0 || out.some(n => !Number.isInteger(n) || n < min || n > max)) {
    log(`bench:compare: --${what} expects integers in ${min}…${max}, got "${text}"`)
    process.exit(2)
  }
  return out
}

const quick = values.quick
const sizes = intList(values.sizes ?? (quick ? '50,100' : '50,100,200,400'), 'sizes', 20, 2000)
const processes = intList(values.processes, 'processes', 1, 16)[0]
const replications = intList(values.replication, 'replication', 1, 64)
const seed = intList(values.seed, 'seed', 0, 2 ** 31)[0]

const config: Config = {
  processes,
  seed,
  coldTarget: quick ? 30 : 120,
  warmRepeats: 3,
  freshSamples: quick ? 6 : 24,
  registerSamples: quick ? 4 : 12,
  pollMaxMs: 5000,
  phaseBudgetMs: quick ? 60_000 : 120_000
}

// Whatever hangs, the run ends by itself; the exit handler in compare-ipc.ts kills every child.
const hardDeadlineMs = (quick ? 10 : 45) * 60_000
const watchdog = setTimeout(() => {
  log(`bench:compare: hard deadline (${hardDeadlineMs / 60_000} min) reached; exiting`)
  process.exit(3)
}, hardDeadlineMs)
watchdog.unref()

function versionOf (pkg: string): string {
  try {
    return (JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function commit (): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 5000 }).trim()
  } catch {
    return 'unknown'
  }
}

async function main (): Promise<void> {
  const t0 = performance.now()
  const loadStart = loadavg()
  const startedAt = new Date().toISOString()
  log(`bench:compare: sizes ${sizes.join(',')}, ${processes} processes, replication ${replications.join(',')}${quick ? ' (quick)' : ''}; load ${loadStart.map(x => x.toFixed(2)).join(' ')}`)
  const runs: RunResult[] = []
  const out = values.out.startsWith('/') ? values.out : `${root}${values.out}`
  mkdirSync(dirname(out), { recursive: true })
  /** Written after every run, so that a run cut short (watchdog, Ctrl-C) still leaves what it measured. */
  const write = (complete: boolean): string => {
    const loadEnd = loadavg()
    const sl = slopes(runs)
    const ra = ratios(runs)
    const meta = {
      startedAt,
      node: process.version,
      platform: `${platform()} ${arch()}`,
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
      commit: commit(),
      libp2p: versionOf('libp2p'),
      hyperdht: versionOf('hyperdht'),
      dhtRpc: versionOf('dht-rpc'),
      loadStart: loadStart.map(x => x.toFixed(2)).join(','),
      loadEnd: loadEnd.map(x => x.toFixed(2)).join(','),
      durationS: ((performance.now() - t0) / 1000).toFixed(1),
      sizes: sizes.join(','),
      processes,
      replication: replications,
      seed,
      quick,
      complete
    }
    const text = textReport(meta, runs, sl, ra)
    writeFileSync(`${out}.json`, JSON.stringify({ meta: { ...meta, loadavg: { start: loadStart, end: loadEnd } }, config, runs, slopes: sl, ratios: ra }, null, 2) + '\n')
    writeFileSync(`${out}.txt`, complete ? text : `(partial: the run is still going or was cut short)\n${text}`)
    return text
  }
  // At each N: netget with the first replication factor, HyperDHT, then the other factors (the slowest last).
  for (const n of sizes) {
    runs.push(await runNetget(n, replications[0], config, log))
    write(false)
    if (!values['no-hyperdht']) {
      runs.push(await runHyperdht(n, config, log))
      write(false)
    }
    for (const k of replications.slice(1)) {
      runs.push(await runNetget(n, k, config, log))
      write(false)
    }
  }
  process.stdout.write(write(true))
  log(`bench:compare: wrote ${out}.json and ${out}.txt`)
}

main().then(() => {
  clearTimeout(watchdog)
  // Children are gone (each run stops its own); nothing should keep the loop alive, but do not wait on it.
  setTimeout(() => process.exit(0), 200).unref()
}, err => {
  log(`bench:compare: ${(err as Error).stack ?? String(err)}`)
  process.exit(1)
})
