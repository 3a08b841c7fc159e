/**
 * `npm run sim -- …`: the multi-process simulation of a netget network (docs/simulation.md). Parses the flags,
 * runs the coordinator under a hard deadline, prints the table, writes the JSON and the SVG chart, and sets the
 * exit code: 0; 1 when --min-success is not met; 2 when the harness itself failed; 3 at the hard deadline.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, USAGE } from './args.js'
import { BUCKET_MS, Simulation } from './coordinator.js'
import { buildResult, renderTable } from './report.js'
import { renderChart } from './svg.js'
import type { SimConfig } from './args.js'

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))

function log (line: string): void {
  process.stdout.write(line + '\n')
}

function write (path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

async function main (config: SimConfig): Promise<number> {
  const sim = new Simulation(config, log)
  // The `exit` handler of sim/children.ts SIGKILLs every child on the way out, so exiting here reaps them too.
  const deadline = setTimeout(() => {
    process.stderr.write(`sim: hard deadline of ${Math.round(sim.hardDeadlineMs() / 1000)} s reached; killing every child\n`)
    process.exit(3)
  }, sim.hardDeadlineMs())
  deadline.unref()
  try {
    await sim.run()
  } finally {
    clearTimeout(deadline)
  }
  const timeline = sim.timeline()
  const result = await buildResult(sim, timeline)
  const svgPath = resolve(config.svg ?? `${REPO_ROOT}/bench/results/sim-n${config.nodes}-p${config.processes}-s${config.seed}.svg`)
  const first = sim.phases[0]?.start ?? sim.startedAt
  const last = sim.phases.at(-1)?.end ?? Date.now()
  const subtitle = `${config.nodes} nodes (${config.registries} registries, ${config.services} services, ${config.clients} clients), ${config.processes} processes, K=${config.replication}, ${config.lookupRate} lookups/s; overall success ${(result.lookupSuccess * 100).toFixed(1)}%, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms`
  write(svgPath, renderChart('netget simulation: lookup latency and success', subtitle,
    timeline, sim.phases.map(p => ({ name: p.name, start: p.start, end: p.end, fault: p.fault })), first, last, BUCKET_MS))
  const rel = relative(process.cwd(), svgPath)
  result.svg = rel.startsWith('..') ? svgPath : rel
  process.stdout.write(renderTable(result))
  log(`chart: ${result.svg}`)
  if (config.json !== undefined) {
    write(resolve(config.json), JSON.stringify(result, null, 2) + '\n')
    log(`json: ${config.json}`)
  }
  if (config.minSuccess !== undefined && result.lookupSuccess < config.minSuccess) {
    log(`FAIL: lookup success ${(result.lookupSuccess * 100).toFixed(2)}% < --min-success ${(config.minSuccess * 100).toFixed(2)}%`)
    return 1
  }
  if (config.minSuccess !== undefined && result.lookups === 0) {
    log('FAIL: no lookup was judged')
    return 1
  }
  return 0
}

let config: SimConfig | 'help'
try {
  config = parseArgs(process.argv.slice(2))
} catch (err) {
  process.stderr.write(`sim: ${(err as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (config === 'help') {
  process.stdout.write(USAGE)
  process.exit(0)
}
main(config).then(code => { process.exit(code) }, err => {
  process.stderr.write(`sim: harness failure: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(2)
})
