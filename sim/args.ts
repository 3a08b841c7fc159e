/** The command line of `npm run sim -- …`: flags, defaults, and the checks that make a configuration runnable. */

export interface SimConfig {
  nodes: number
  processes: number
  registries: number
  services: number
  clients: number
  names: number
  replication: number
  durationS: number
  /** Seconds of lookups after warm-up that are reported as their own phase but not judged in the totals. */
  settleS: number
  churnPerMinute: number
  kill: boolean
  killRegistries: boolean
  partition: boolean
  lookupRate: number
  seed: number
  json?: string
  svg?: string
  minSuccess?: number
  healthInterval: number
  healthTimeout: number
  unhealthyThreshold: number
  recordTtl: number
  graceMs: number
}

export const USAGE = `Usage: npm run sim -- [flags]

  --nodes N            all netget nodes: registries + services + clients (default 60)
  --processes P        child processes the nodes are spread over (default 3)
  --registries R       registry nodes (default N/5)
  --services S         service nodes (default: 80 % of what is left after registries)
  --clients C          client nodes that run the lookups (default: the rest, at least 1)
  --names M            distinct service names (default services/3)
  --replication K      replicationFactor of every node (default 3)
  --duration SECONDS   measured time after warm-up, split evenly over the phases (default 60)
  --settle SECONDS     a settle phase first: lookups run and are reported, not counted in the totals (default 0)
  --lookup-rate L      lookups per second over all clients (default min(50, max(5, clients)))
  --churn SHARE        per minute, this share of services is stopped cleanly and replaced (churn phase)
  --kill               SIGKILL one whole process holding registries and services (kill phase)
  --kill-registries    SIGKILL every registry process but one (kill-registries phase)
  --partition          split the processes in two groups that refuse each other, then heal
  --seed S             PRNG seed for topology, names and fault choices (default 1)
  --json FILE          write the full results as JSON
  --svg FILE           chart path (default bench/results/sim-n<N>-p<P>-s<seed>.svg)
  --min-success X      exit 1 when the overall lookup success is below X (0..1)
  --health-interval MS, --health-timeout MS, --unhealthy-threshold N   (defaults 2000, 1000, 2)
  --record-ttl MS      recordTtl of every node (default 60000)
  --grace MS           registration/stop grace of the success rule (default 2000)
`

function number (flag: string, text: string | undefined, opts: { integer?: boolean, min?: number, max?: number } = {}): number {
  if (text === undefined || text.startsWith('--')) throw new Error(`${flag} needs a value`)
  const value = Number(text)
  if (!Number.isFinite(value) || (opts.integer === true && !Number.isInteger(value))) throw new Error(`${flag}: expected ${opts.integer === true ? 'an integer' : 'a number'}, got ${JSON.stringify(text)}`)
  if (opts.min !== undefined && value < opts.min) throw new Error(`${flag}: must be ≥ ${opts.min}`)
  if (opts.max !== undefined && value > opts.max) throw new Error(`${flag}: must be ≤ ${opts.max}`)
  return value
}

/** Parses argv (without node and script); throws an Error whose message is meant for the user. */
export function parseArgs (argv: readonly string[]): SimConfig | 'help' {
  const raw = new Map<string, string | undefined>()
  const booleans = new Set(['--kill', '--kill-registries', '--partition', '--help', '-h'])
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('-')) throw new Error(`unexpected argument ${JSON.stringify(arg)}`)
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (booleans.has(flag)) {
      raw.set(flag, 'true')
      continue
    }
    raw.set(flag, inline ?? argv[++i])
  }
  if (raw.has('--help') || raw.has('-h')) return 'help'
  const known = new Set([...booleans, '--nodes', '--processes', '--registries', '--services', '--clients', '--names', '--replication', '--duration',
    '--lookup-rate', '--churn', '--seed', '--json', '--svg', '--min-success', '--health-interval', '--health-timeout', '--unhealthy-threshold', '--record-ttl', '--grace', '--settle'])
  for (const flag of raw.keys()) if (!known.has(flag)) throw new Error(`unknown flag ${flag} (see --help)`)
  const opt = (flag: string, fallback: number, opts: { integer?: boolean, min?: number, max?: number } = {}): number =>
    raw.has(flag) ? number(flag, raw.get(flag), opts) : fallback
  const int = { integer: true, min: 1 }
  const nodes = opt('--nodes', 60, { ...int, min: 3, max: 5000 })
  const processes = opt('--processes', 3, { ...int, max: 64 })
  const registries = opt('--registries', Math.max(1, Math.round(nodes / 5)), int)
  const left = nodes - registries
  const services = opt('--services', raw.has('--clients') ? left - number('--clients', raw.get('--clients')) : Math.max(1, Math.round(left * 0.8)), int)
  const clients = opt('--clients', nodes - registries - services, int)
  if (registries + services + clients !== nodes) throw new Error(`--registries ${registries} + --services ${services} + --clients ${clients} must equal --nodes ${nodes}`)
  const killRegistries = raw.has('--kill-registries')
  const kill = raw.has('--kill')
  if ((kill || raw.has('--partition')) && processes < 2) throw new Error('--kill and --partition need --processes ≥ 2 (process 0 holds no registries and is never killed)')
  if (killRegistries && processes < 3) throw new Error('--kill-registries needs --processes ≥ 3 (at least two processes with registries)')
  const config: SimConfig = {
    nodes,
    processes,
    registries,
    services,
    clients,
    names: opt('--names', Math.max(1, Math.round(services / 3)), int),
    replication: opt('--replication', 3, { ...int, max: 64 }),
    durationS: opt('--duration', 60, { min: 5, max: 24 * 3600 }),
    settleS: opt('--settle', 0, { min: 0, max: 3600 }),
    churnPerMinute: opt('--churn', 0, { min: 0, max: 10 }),
    kill,
    killRegistries,
    partition: raw.has('--partition'),
    lookupRate: opt('--lookup-rate', Math.min(50, Math.max(5, clients)), { min: 0.1, max: 1000 }),
    seed: opt('--seed', 1, { integer: true, min: 0 }),
    healthInterval: opt('--health-interval', 2000, int),
    healthTimeout: opt('--health-timeout', 1000, int),
    unhealthyThreshold: opt('--unhealthy-threshold', 2, int),
    recordTtl: opt('--record-ttl', 60_000, { integer: true, min: 3000 }),
    graceMs: opt('--grace', 2000, { integer: true, min: 0 })
  }
  if (config.names > services) throw new Error(`--names ${config.names} exceeds --services ${services}: every name needs an instance at start`)
  const json = raw.get('--json')
  const svg = raw.get('--svg')
  if (raw.has('--json')) {
    if (json === undefined || json.startsWith('--')) throw new Error('--json needs a file')
    config.json = json
  }
  if (raw.has('--svg')) {
    if (svg === undefined || svg.startsWith('--')) throw new Error('--svg needs a file')
    config.svg = svg
  }
  if (raw.has('--min-success')) config.minSuccess = number('--min-success', raw.get('--min-success'), { min: 0, max: 1 })
  return config
}
