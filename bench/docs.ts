/**
 * Writes the latest `npm run bench` figures into docs/performance.md, between the markers
 * `<!-- bench:latest:begin -->` and `<!-- bench:latest:end -->`: the table a reader sees is always the one the
 * results file holds. Run by `npm run bench` after a full run (not with BENCH_QUICK), or alone:
 * `npx tsx bench/docs.ts` (reads bench/results/latest.json).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Summary } from './stats.js'

const BEGIN = '<!-- bench:latest:begin -->'
const END = '<!-- bench:latest:end -->'

type Result = { summary: Summary | null } | undefined
// The results file's shape, as far as this page reads it (bench/run.ts writes it).
interface Latest {
  meta: { date: string, commit: string, srcDirty?: boolean, loadAvgAtStart: number[], loadAvgAtEnd: number[], node: string, quick?: boolean }
  netget: { discover10?: Result, cached10?: Result, fresh?: Result, registerToDiscoverable?: Result & { register: Summary | null }, newToRegistered?: Summary | null, serviceReady?: Summary | null } | { error: string }
  hyperdht: Array<{ label: string, lookup10: Result, fresh: Result, announceToDiscoverable: Result & { announce: Summary | null } }> | { skipped: string }
  rss: { many: Array<{ mode: string, perNodeMb?: number, error?: string }> }
  separate: {
    netget: { fanout1?: Result, fanout2?: Result, fresh?: Result, requestsPerDiscovery?: { fanout1: number, fanout2: number } } | { error: string }
    hyperdht: { label: string, lookup10: Result, fresh: Result } | { error: string } | { skipped: string }
  }
}

const ms = (x: number | undefined | null): string => x === undefined || x === null || !Number.isFinite(x) ? '—' : x < 0.01 ? x.toFixed(4) : x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0)
const p50 = (r: Result | Summary | null | undefined): number | undefined => r === undefined || r === null ? undefined : 'p50' in r ? r.p50 : r.summary?.p50
const p99 = (r: Result | Summary | null | undefined): number | undefined => r === undefined || r === null ? undefined : 'p99' in r ? r.p99 : r.summary?.p99
const ratio = (a: number | undefined, b: number | undefined): string => a === undefined || b === undefined || b === 0 ? '—' : (a / b).toFixed(2)
const met = (ok: boolean | undefined): string => ok === undefined ? '—' : ok ? 'met' : '**missed**'

/** The generated block (markers included) for one results file. */
export function renderBenchDocs (latest: Latest): string {
  const m = latest.meta
  const ng = 'error' in latest.netget ? undefined : latest.netget
  const sn = 'error' in latest.separate.netget ? undefined : latest.separate.netget
  const sh = 'label' in latest.separate.hyperdht ? latest.separate.hyperdht : undefined
  const h2 = Array.isArray(latest.hyperdht) ? latest.hyperdht.find(h => h.label === 'HyperDHT 2n') : undefined
  const many = latest.rss.many.find(x => x.mode === 'netget-many')
  const hmany = latest.rss.many.find(x => x.mode === 'hyperdht-many')
  const rows: string[][] = [
    ['discover 10, connected client, registries in their own processes (a×)', `${ms(p50(sn?.fanout1))} (p99 ${ms(p99(sn?.fanout1))})`, ms(p50(sh?.lookup10)), ratio(p50(sn?.fanout1), p50(sh?.lookup10)), 'p50 ≤ HyperDHT, p99 ≤ 2',
      met(p50(sn?.fanout1) === undefined || p50(sh?.lookup10) === undefined ? undefined : (p50(sn?.fanout1) ?? 0) <= (p50(sh?.lookup10) ?? 0) && (p99(sn?.fanout1) ?? Infinity) <= 2)],
    ['the same with queryFanout 2 (both registries asked)', `${ms(p50(sn?.fanout2))} (p99 ${ms(p99(sn?.fanout2))})`, ms(p50(sh?.lookup10)), ratio(p50(sn?.fanout2), p50(sh?.lookup10)), '', ''],
    ['discover 10, all in one process (a)', `${ms(p50(ng?.discover10))} (p99 ${ms(p99(ng?.discover10))})`, ms(p50(h2?.lookup10)), ratio(p50(ng?.discover10), p50(h2?.lookup10)), '', ''],
    ['discover 10, cached (`maxAge`)', ms(p50(ng?.cached10)), 'no cache', '', 'p50 ≤ 0.005', met(p50(ng?.cached10) === undefined ? undefined : (p50(ng?.cached10) ?? 0) <= 0.005)],
    ['fresh client → first result, registries in their own processes (c×)', ms(p50(sn?.fresh)), ms(p50(sh?.fresh)), ratio(p50(sn?.fresh), p50(sh?.fresh)), 'p50 ≤ 10', met(p50(sn?.fresh) === undefined ? undefined : (p50(sn?.fresh) ?? 0) <= 10)],
    ['fresh client → first result, one process (c)', ms(p50(ng?.fresh)), ms(p50(h2?.fresh)), ratio(p50(ng?.fresh), p50(h2?.fresh)), '', ''],
    ['`registerWithNetwork()` after `ready()` / HyperDHT announce', ms(p50(ng?.registerToDiscoverable?.register)), ms(p50(h2?.announceToDiscoverable.announce)), ratio(p50(ng?.registerToDiscoverable?.register), p50(h2?.announceToDiscoverable.announce)), 'p50 ≤ 3',
      met(p50(ng?.registerToDiscoverable?.register) === undefined ? undefined : (p50(ng?.registerToDiscoverable?.register) ?? 0) <= 3)],
    ['registered → discoverable from a connected client', ms(p50(ng?.registerToDiscoverable)), ms(p50(h2?.announceToDiscoverable)), ratio(p50(ng?.registerToDiscoverable), p50(h2?.announceToDiscoverable)), 'p50 ≤ 2',
      met(p50(ng?.registerToDiscoverable) === undefined ? undefined : (p50(ng?.registerToDiscoverable) ?? 0) <= 2)],
    ['new Netget → `start()` → `ready()` → registered', ms(p50(ng?.newToRegistered)), '', '', '', ''],
    ['RSS per extra service node in one process (MB)', many?.perNodeMb === undefined ? '—' : many.perNodeMb.toFixed(2), hmany?.perNodeMb === undefined ? '—' : hmany.perNodeMb.toFixed(2), ratio(many?.perNodeMb, hmany?.perNodeMb), '≤ 1',
      met(many?.perNodeMb === undefined ? undefined : many.perNodeMb <= 1)]
  ]
  const lines = [
    BEGIN,
    `<!-- generated by bench/docs.ts from bench/results/latest.json; edit that script, not this block -->`,
    `Latest \`npm run bench\`: ${m.date}, netget ${m.commit}${m.srcDirty === true ? ' (with uncommitted changes under src/)' : ''}, Node ${m.node}, ` +
      `load average ${m.loadAvgAtStart.join(' / ')} at start, ${m.loadAvgAtEnd.join(' / ')} at end. Milliseconds, p50 unless said; ratio = netget / HyperDHT (< 1: netget faster); ` +
      `HyperDHT is its 2-storing-node testnet (a× and c×: nodes in processes of their own). Full table: \`bench/results/latest.txt\`.`,
    '',
    '| Scenario | netget | HyperDHT | ratio | issue 9 target | |',
    '|---|---|---|---|---|---|',
    ...rows.map(r => `| ${r.join(' | ')} |`),
    '',
    `Requests per discovery in a×: ${sn?.requestsPerDiscovery?.fanout1.toFixed(2) ?? '—'} with the default (queryFanout 1, hedged), ${sn?.requestsPerDiscovery?.fanout2.toFixed(2) ?? '—'} with queryFanout 2.`,
    END
  ]
  return lines.join('\n')
}

/** Replaces the generated block of `doc` (the file's text) with `block`; throws when the markers are missing. */
export function replaceBlock (doc: string, block: string): string {
  const begin = doc.indexOf(BEGIN)
  const end = doc.indexOf(END)
  if (begin < 0 || end < begin) throw new Error(`docs/performance.md has no ${BEGIN} … ${END} block`)
  return doc.slice(0, begin) + block + doc.slice(end + END.length)
}

export function updatePerformanceDoc (root: string): void {
  const latest = JSON.parse(readFileSync(`${root}bench/results/latest.json`, 'utf8')) as Latest
  if (latest.meta.quick === true) throw new Error('bench/results/latest.json is a BENCH_QUICK run: too few samples to publish')
  const path = `${root}docs/performance.md`
  writeFileSync(path, replaceBlock(readFileSync(path, 'utf8'), renderBenchDocs(latest)))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  updatePerformanceDoc(fileURLToPath(new URL('../', import.meta.url)))
  process.stdout.write('docs/performance.md: the bench block regenerated from bench/results/latest.json\n')
}
