/**
 * `npm run bench:health`: the failure detector with the default health options (healthInterval 5000, healthTimeout
 * 2000, unhealthyThreshold 2, healthCheckInterval 5000) unless flags say otherwise. Registries and one client run
 * in this process; service instances run in child processes of their own (bench/health-child.ts), except the one
 * whose named check is flipped (2.).
 *   1. detection after SIGKILL: a fresh instance, seen `passing`, SIGKILLed at a random moment of the probe
 *      cycle → the first registry's 'instance:down', and → the client's discoverServiceNode() no longer returns it;
 *   2. recovery: a named check flipped failing → 'instance:down' and gone from discovery; flipped passing →
 *      'instance:up' and back in discovery;
 *   3. false removals: instances whose event loop stalls 1–2 s at random moments (every 3–8 s), for minutes:
 *      'instance:down' events (goal 0), suspect episodes, and discoveries that missed one of them;
 *   4. probe traffic per instance per minute, on quiet instances (no stalls) running alongside 3.: answered probes
 *      counted from the registries' `health.lastSeen` changes, bytes estimated from the message sizes.
 * Prints a table, writes JSON to bench/results/health.json (--quick: health-quick.json; --json FILE).
 *
 * Flags: --quick (5 kills, 3 rounds, 4 stalling instances for 1 minute), --kills N (20), --rounds N (10),
 * --registries N (1), --stall-services N (10), --quiet-services N (2), --stall-minutes M (10),
 * --stall-ms MIN-MAX (1000-2000), --gap-ms MIN-MAX (3000-8000), --stall-mode sleep|busy (sleep),
 * --health-interval MS, --health-timeout MS, --unhealthy-threshold N, --check-interval MS (library defaults),
 * --poll-ms MS (25: discovery polling while a transition is awaited), --only kills,recovery,stalls, --json FILE.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { encodingLength } from 'uint8-varint'
import { HealthRequest, HealthResponse } from '../protocols/health.js'
import { CONFIRM_TIMEOUTS, SUSPECT_RETRY_MS } from '../src/health/prober.js'
import { silentDetectionBound, toleratedStall } from '../src/health/timing.js'
import { loadToWire } from '../src/health/model.js'
import { DEFAULTS, Netget } from '../src/index.js'
import { CHILD_READY_TIMEOUT_MS, spawnChild, stopChildren } from './children.js'
import { runEnvironment, sleep, summarize, withTimeout } from './stats.js'
import type { CliChild } from '../scripts/lib/cli-child.js'
import type { LoadFigures, NetgetOptions } from '../src/index.js'
import type { Summary } from './stats.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const CHILD_ENTRY = 'bench/health-child.ts'
const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']
const runStart = performance.now()
const log = (line: string): void => { process.stderr.write(`${line}\n`) }

// ---------------------------------------------------------------- flags

interface HealthConfig { healthInterval: number, healthTimeout: number, unhealthyThreshold: number, healthCheckInterval: number }
type StallMode = 'sleep' | 'busy'
type Scenario = 'kills' | 'recovery' | 'stalls'

interface Config {
  quick: boolean
  kills: number
  rounds: number
  registries: number
  stallServices: number
  quietServices: number
  stallMinutes: number
  stallMs: [number, number]
  gapMs: [number, number]
  stallMode: StallMode
  pollMs: number
  only: Scenario[]
  /** The health options in effect (library defaults, unless overridden). */
  health: HealthConfig
  /** Only the options given as flags: what the nodes are constructed with. */
  overrides: Partial<HealthConfig>
  json: string
}

const USAGE = 'usage: bench/health.ts [--quick] [--kills N] [--rounds N] [--registries N] [--stall-services N] [--quiet-services N] ' +
  '[--stall-minutes M] [--stall-ms MIN-MAX] [--gap-ms MIN-MAX] [--stall-mode sleep|busy] [--health-interval MS] [--health-timeout MS] ' +
  '[--unhealthy-threshold N] [--check-interval MS] [--poll-ms MS] [--only kills,recovery,stalls] [--json FILE]'

class UsageError extends Error {}

const KNOWN_FLAGS = new Set(['quick', 'help', 'kills', 'rounds', 'registries', 'stall-services', 'quiet-services', 'stall-minutes', 'stall-ms', 'gap-ms',
  'stall-mode', 'health-interval', 'health-timeout', 'unhealthy-threshold', 'check-interval', 'poll-ms', 'only', 'json'])

function parseFlags (argv: string[]): Config {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}\n${USAGE}`)
    const eq = arg.indexOf('=')
    const key = eq > 0 ? arg.slice(2, eq) : arg.slice(2)
    if (!KNOWN_FLAGS.has(key)) throw new UsageError(`unknown flag --${key}\n${USAGE}`)
    if (eq > 0) {
      flags.set(arg.slice(2, eq), arg.slice(eq + 1))
    } else if (arg === '--quick' || arg === '--help') {
      flags.set(arg.slice(2), 'true')
    } else {
      const value = argv[++i]
      if (value === undefined) throw new UsageError(`${arg} needs a value\n${USAGE}`)
      flags.set(arg.slice(2), value)
    }
  }
  if (flags.has('help')) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const quick = flags.get('quick') === 'true'
  const int = (key: string, fallback: number, min = 1): number => {
    const raw = flags.get(key)
    if (raw === undefined) return fallback
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${key}: expected an integer ≥ ${min}, got ${JSON.stringify(raw)}`)
    return n
  }
  const range = (key: string, fallback: [number, number]): [number, number] => {
    const raw = flags.get(key)
    if (raw === undefined) return fallback
    const m = /^(\d+)-(\d+)$/.exec(raw)
    if (m === null || Number(m[1]) > Number(m[2])) throw new UsageError(`--${key}: expected MIN-MAX in ms, got ${JSON.stringify(raw)}`)
    return [Number(m[1]), Number(m[2])]
  }
  const stallMinutesRaw = flags.get('stall-minutes')
  const stallMinutes = stallMinutesRaw === undefined ? (quick ? 1 : 10) : Number(stallMinutesRaw)
  if (!Number.isFinite(stallMinutes) || stallMinutes <= 0) throw new UsageError(`--stall-minutes: expected a positive number, got ${JSON.stringify(stallMinutesRaw)}`)
  const stallMode = flags.get('stall-mode') ?? 'sleep'
  if (stallMode !== 'sleep' && stallMode !== 'busy') throw new UsageError(`--stall-mode: expected sleep or busy, got ${JSON.stringify(stallMode)}`)
  const allScenarios: Scenario[] = ['kills', 'recovery', 'stalls']
  const only = (flags.get('only') ?? allScenarios.join(',')).split(',').map(s => s.trim()).filter(s => s !== '')
  for (const s of only) if (!allScenarios.includes(s as Scenario)) throw new UsageError(`--only: unknown scenario ${JSON.stringify(s)} (kills, recovery, stalls)`)
  const overrides: Partial<HealthConfig> = {}
  if (flags.has('health-interval')) overrides.healthInterval = int('health-interval', DEFAULTS.healthInterval)
  if (flags.has('health-timeout')) overrides.healthTimeout = int('health-timeout', DEFAULTS.healthTimeout)
  if (flags.has('unhealthy-threshold')) overrides.unhealthyThreshold = int('unhealthy-threshold', DEFAULTS.unhealthyThreshold)
  if (flags.has('check-interval')) overrides.healthCheckInterval = int('check-interval', DEFAULTS.healthCheckInterval)
  return {
    quick,
    kills: int('kills', quick ? 5 : 20, 0),
    rounds: int('rounds', quick ? 3 : 10, 0),
    registries: int('registries', 1),
    stallServices: int('stall-services', quick ? 4 : 10, 0),
    quietServices: int('quiet-services', quick ? 1 : 2, 0),
    stallMinutes,
    stallMs: range('stall-ms', [1000, 2000]),
    gapMs: range('gap-ms', [3000, 8000]),
    stallMode,
    pollMs: int('poll-ms', 25),
    only: only as Scenario[],
    health: {
      healthInterval: DEFAULTS.healthInterval,
      healthTimeout: DEFAULTS.healthTimeout,
      unhealthyThreshold: DEFAULTS.unhealthyThreshold,
      healthCheckInterval: DEFAULTS.healthCheckInterval,
      ...overrides
    },
    overrides,
    json: resolve(flags.get('json') ?? `${root}bench/results/${quick ? 'health-quick' : 'health'}.json`)
  }
}

// ---------------------------------------------------------------- children and exit

/** Every child this run spawned: SIGKILLed on any exit (bench/children.ts does the same while any is live). */
const spawned = new Set<CliChild>()
process.on('exit', () => { for (const child of spawned) child.killNow() })
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`bench:health: ${signal} received; killing ${[...spawned].filter(c => c.running).length} child process(es)`)
    for (const child of spawned) child.killNow()
    process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143)
  })
}

function startChild (label: string, args: string[]): CliChild {
  const child = spawnChild(label, args, CHILD_ENTRY)
  spawned.add(child)
  child.closed.then(() => { spawned.delete(child) }, () => {})
  return child
}

async function childPeerId (child: CliChild): Promise<string> {
  const match = await child.waitForLine(/^(\{"peerId".*)$/, CHILD_READY_TIMEOUT_MS)
  return (JSON.parse(match[1]) as { peerId: string }).peerId
}

// ---------------------------------------------------------------- observation helpers

interface HealthEvent { peerId: string, at: number, registry: number, reason?: string }

/** Every 'instance:down' / 'instance:up' of the registries, timed (performance.now()) when dispatched. */
class EventLog {
  readonly downs: HealthEvent[] = []
  readonly ups: HealthEvent[] = []

  constructor (registries: Netget[]) {
    registries.forEach((registry, i) => {
      registry.addEventListener('instance:down', evt => { this.downs.push({ peerId: evt.detail.peerId, at: performance.now(), registry: i, reason: evt.detail.reason }) })
      registry.addEventListener('instance:up', evt => { this.ups.push({ peerId: evt.detail.peerId, at: performance.now(), registry: i }) })
    })
  }

  firstDown (peerId: string, after: number): HealthEvent | undefined {
    return this.downs.find(e => e.peerId === peerId && e.at >= after)
  }

  firstUp (peerId: string, after: number): HealthEvent | undefined {
    return this.ups.find(e => e.peerId === peerId && e.at >= after)
  }
}

interface Ctx {
  cfg: Config
  registries: Netget[]
  addrs: string[]
  client: Netget
  events: EventLog
}

/** Peer ids the client discovers for `name` (undefined if the discovery failed). */
async function discoverIds (ctx: Ctx, name: string): Promise<string[] | undefined> {
  try {
    return (await ctx.client.discoverServiceNode(name, { timeout: 3000 })).map(i => i.peerId)
  } catch {
    return undefined
  }
}

/** Status of `peerId` on the registries that probe it: 'passing' if any says so, else the first known. */
function statusOf (ctx: Ctx, name: string, peerId: string): string {
  let seen = 'gone'
  for (const registry of ctx.registries) {
    const status = registry.listRecords(name).find(r => r.peerId === peerId)?.health.status
    if (status === 'passing') return status
    if (status !== undefined && (seen === 'gone' || seen === 'unknown')) seen = status
  }
  return seen
}

/** Resolves once `check` holds; rejects after `timeoutMs`. */
async function waitFor (what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, intervalMs = 20): Promise<void> {
  const end = performance.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (performance.now() >= end) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(intervalMs)
  }
}

interface Transition {
  /** ms from t0 to the event (undefined: none within the deadline). */
  eventMs?: number
  reason?: string
  /** ms from t0 to the end of the first discovery that showed the change. */
  discoveryMs?: number
  /** Discoveries made meanwhile, and how many of those failed. */
  discoveries: number
  discoveryErrors: number
}

/** Polls discovery (every cfg.pollMs) and the event log from t0 until both showed the change, or `timeoutMs` passed. */
async function watchTransition (ctx: Ctx, t0: number, timeoutMs: number, event: () => HealthEvent | undefined, name: string, changed: (ids: string[]) => boolean): Promise<Transition> {
  const end = t0 + timeoutMs
  const out: Transition = { discoveries: 0, discoveryErrors: 0 }
  while (performance.now() < end) {
    if (out.discoveryMs === undefined) {
      const ids = await discoverIds(ctx, name)
      out.discoveries++
      if (ids === undefined) out.discoveryErrors++
      else if (changed(ids)) out.discoveryMs = performance.now() - t0
    }
    const e = event()
    if (e !== undefined && out.eventMs === undefined) {
      out.eventMs = e.at - t0
      if (e.reason !== undefined) out.reason = e.reason
    }
    if (out.eventMs !== undefined && out.discoveryMs !== undefined) break
    await sleep(ctx.cfg.pollMs)
  }
  return out
}

const uniform = (min: number, max: number): number => min + Math.random() * (max - min)

// ---------------------------------------------------------------- 1. SIGKILL → down

interface KillSample { i: number, peerId: string, delayAfterPassingMs: number, downMs: number | null, goneMs: number | null, reason?: string, discoveries: number, discoveryErrors: number }
interface KillResults { samples: KillSample[], down: Summary | null, gone: Summary | null, missedDown: number, missedGone: number, failures: string[], timeoutMs: number }

async function runKills (ctx: Ctx): Promise<KillResults> {
  const { cfg } = ctx
  const timeoutMs = silentDetectionBound(cfg.health) + 10_000
  const passingTimeout = 3 * cfg.health.healthInterval + 10_000
  const samples: KillSample[] = []
  const failures: string[] = []
  for (let i = 0; i < cfg.kills; i++) {
    const name = `bench-kill-${i}`
    const child = startChild(`kill-${i}`, [ctx.addrs.join(','), name])
    try {
      const peerId = await childPeerId(child)
      await waitFor(`${name} passing`, passingTimeout, () => statusOf(ctx, name, peerId) === 'passing')
      await waitFor(`${name} discoverable`, 10_000, async () => (await discoverIds(ctx, name))?.includes(peerId) === true, 50)
      // A random moment of the probe cycle.
      const delay = uniform(0, cfg.health.healthInterval)
      await sleep(delay)
      const t0 = performance.now()
      child.child.kill('SIGKILL')
      const t = await watchTransition(ctx, t0, timeoutMs, () => ctx.events.firstDown(peerId, t0), name, ids => !ids.includes(peerId))
      samples.push({
        i, peerId, delayAfterPassingMs: Math.round(delay), downMs: t.eventMs ?? null, goneMs: t.discoveryMs ?? null,
        ...(t.reason !== undefined ? { reason: t.reason } : {}), discoveries: t.discoveries, discoveryErrors: t.discoveryErrors
      })
      log(`  1. kill ${i + 1}/${cfg.kills}: down ${fmtMs(t.eventMs)} ms, gone from discovery ${fmtMs(t.discoveryMs)} ms${t.reason !== undefined ? ` (${t.reason})` : ''}`)
    } catch (err) {
      failures.push(`kill ${i}: ${(err as Error).message.split('\n')[0]}`)
      log(`  1. kill ${i + 1}/${cfg.kills} failed: ${(err as Error).message}`)
    } finally {
      child.killNow()
      await child.waitForExit(5000).catch(() => {})
    }
  }
  const downs = samples.map(s => s.downMs).filter((x): x is number => x !== null)
  const gones = samples.map(s => s.goneMs).filter((x): x is number => x !== null)
  return { samples, down: summarize(downs), gone: summarize(gones), missedDown: samples.length - downs.length, missedGone: samples.length - gones.length, failures, timeoutMs }
}

// ---------------------------------------------------------------- 2. check fail / pass

interface RecoverySample {
  round: number
  failToDownMs: number | null
  failToGoneMs: number | null
  passToUpMs: number | null
  passToBackMs: number | null
  downReason?: string
}
interface RecoveryResults {
  samples: RecoverySample[]
  failToDown: Summary | null
  failToGone: Summary | null
  passToUp: Summary | null
  passToBack: Summary | null
  failures: string[]
  timeoutMs: number
}

async function runRecovery (ctx: Ctx): Promise<RecoveryResults> {
  const { cfg } = ctx
  const name = 'bench-recovery'
  let healthy = true
  const service = new Netget({
    ...cfg.overrides,
    metadata: { name },
    registryNodes: ctx.addrs,
    listen: LOOPBACK,
    healthChecks: {
      bench: () => {
        if (!healthy) throw new Error('failing: flipped by the benchmark')
        return true
      }
    }
  })
  // Check run (≤ checkInterval) + the next probe (≤ 2 intervals) + the threshold's retries and a confirmation.
  const timeoutMs = cfg.health.healthCheckInterval + silentDetectionBound(cfg.health) + 10_000
  const samples: RecoverySample[] = []
  const failures: string[] = []
  try {
    await withTimeout(service.registerWithNetwork(), 15_000, 'recovery service registerWithNetwork()')
    const peerId = service.peerId
    await waitFor(`${name} passing`, 3 * cfg.health.healthInterval + 10_000, () => statusOf(ctx, name, peerId) === 'passing')
    await waitFor(`${name} discoverable`, 10_000, async () => (await discoverIds(ctx, name))?.includes(peerId) === true, 50)
    const phase = Math.max(cfg.health.healthInterval, cfg.health.healthCheckInterval)
    for (let round = 0; round < cfg.rounds; round++) {
      await sleep(uniform(0, phase))
      healthy = false
      const tFail = performance.now()
      const down = await watchTransition(ctx, tFail, timeoutMs, () => ctx.events.firstDown(peerId, tFail), name, ids => !ids.includes(peerId))
      if (down.eventMs === undefined || down.discoveryMs === undefined) failures.push(`round ${round}: failing check not seen down within ${timeoutMs} ms`)
      await sleep(uniform(0, phase))
      healthy = true
      const tPass = performance.now()
      const up = await watchTransition(ctx, tPass, timeoutMs, () => ctx.events.firstUp(peerId, tPass), name, ids => ids.includes(peerId))
      if (up.eventMs === undefined || up.discoveryMs === undefined) failures.push(`round ${round}: passing check not seen up within ${timeoutMs} ms`)
      samples.push({
        round,
        failToDownMs: down.eventMs ?? null,
        failToGoneMs: down.discoveryMs ?? null,
        passToUpMs: up.eventMs ?? null,
        passToBackMs: up.discoveryMs ?? null,
        ...(down.reason !== undefined ? { downReason: down.reason } : {})
      })
      log(`  2. round ${round + 1}/${cfg.rounds}: fail → down ${fmtMs(down.eventMs)}, gone ${fmtMs(down.discoveryMs)}; pass → up ${fmtMs(up.eventMs)}, back ${fmtMs(up.discoveryMs)} ms`)
      if (up.discoveryMs === undefined) {
        // Not back: the next round would measure nothing.
        await waitFor(`${name} back`, timeoutMs, async () => (await discoverIds(ctx, name))?.includes(peerId) === true, 100).catch(() => {})
      }
    }
  } catch (err) {
    failures.push((err as Error).message.split('\n')[0])
    log(`  2. failed: ${(err as Error).message}`)
  } finally {
    await withTimeout(service.stop(), 10_000, 'recovery service stop()').catch(() => {})
  }
  const pick = (k: keyof Omit<RecoverySample, 'round' | 'downReason'>): Summary | null => summarize(samples.map(s => s[k]).filter((x): x is number => x !== null))
  return { samples, failToDown: pick('failToDownMs'), failToGone: pick('failToGoneMs'), passToUp: pick('passToUpMs'), passToBack: pick('passToBackMs'), failures, timeoutMs }
}

// ---------------------------------------------------------------- 3. stalls, 4. probe traffic

interface Tracked {
  peerId: string
  kind: 'stall' | 'quiet'
  child: CliChild
}

interface PairState {
  status: string
  lastSeen?: number
  /** lastSeen when the window started (or of the first answer in it): answers per minute = answers / (lastSeen − firstSeen). */
  firstSeen?: number
  answers: number
  /** Times between consecutive answers (ms). */
  intervals: number[]
  suspectEpisodes: number
  failingEpisodes: number
  suspectSince?: number
  longestSuspectMs: number
  load?: LoadFigures
}

interface InstanceReport {
  peerId: string
  kind: 'stall' | 'quiet'
  /**
   * Per probing registry (index): answers counted (new lastSeen values after the window's first), per minute (answers over the
   * time from the window's first lastSeen to its last: the mean interval between answers, free of the window's edges), suspect episodes.
   */
  registries: Array<{ registry: number, answers: number, perMinute: number, intervalMs: Summary | null, suspectEpisodes: number, failingEpisodes: number, longestSuspectMs: number }>
  downs: number
  stalls: number
  stallMs: Summary | null
  /** Stalls at least healthTimeout long (a probe arriving at its start misses its deadline). */
  stallsOverTimeout: number
}

interface TrafficEstimate {
  method: string
  /** Per (probing registry, instance). */
  answeredProbesPerMinute: Summary | null
  /** Between consecutive answers of one instance to one registry (ms). */
  probeIntervalMs: Summary | null
  /** Registries probing each quiet instance. */
  probingRegistries: number[]
  /** Per instance, summed over the registries that probe it: what the estimate below uses (its p50). */
  perInstancePerMinute: Summary | null
  requestBytes: { early: number, steady: number }
  responseBytes: number
  responseExample: string
  frameOverheadBytes: number
  perProbeLibp2pBytes: number
  perMinuteLibp2pBytes: number
  perMinuteMessages: number
  tcpIpEstimatePerMinuteBytes: number
}

interface StallResults {
  windowMinutes: number
  setupMs: number
  stallServices: number
  quietServices: number
  falseDowns: number
  falseDownsQuiet: number
  downEvents: HealthEvent[]
  upEvents: number
  suspectEpisodes: number
  suspectEpisodesQuiet: number
  failingEpisodesSeen: number
  longestSuspectMs: number
  stalls: number
  stallMs: Summary | null
  stallsOverTimeout: number
  discoveries: number
  discoveriesMissingOne: number
  discoveryErrors: number
  instances: InstanceReport[]
  traffic: TrafficEstimate | null
  failures: string[]
}

async function runStalls (ctx: Ctx): Promise<StallResults> {
  const { cfg } = ctx
  const setupStart = performance.now()
  const stallName = 'bench-stall'
  const quietName = 'bench-quiet'
  const tracked: Tracked[] = []
  const failures: string[] = []
  const stallSpec = `${cfg.stallMode}:${cfg.stallMs[0]}-${cfg.stallMs[1]}:${cfg.gapMs[0]}-${cfg.gapMs[1]}`
  const pairs = new Map<string, PairState>()
  let windowStart = 0
  let windowEnd = 0
  let discoveries = 0
  let discoveriesMissingOne = 0
  let discoveryErrors = 0
  try {
    // One at a time: a child's start costs a core for a second or two.
    for (let i = 0; i < cfg.stallServices + cfg.quietServices; i++) {
      const kind = i < cfg.stallServices ? 'stall' : 'quiet'
      const child = startChild(`${kind}-${i}`, kind === 'stall' ? [ctx.addrs.join(','), stallName, stallSpec] : [ctx.addrs.join(','), quietName])
      tracked.push({ peerId: await childPeerId(child), kind, child })
    }
    const byPeer = new Map(tracked.map(t => [t.peerId, t]))
    await waitFor('every instance passing', 3 * cfg.health.healthInterval + 20_000,
      () => tracked.every(t => statusOf(ctx, t.kind === 'stall' ? stallName : quietName, t.peerId) === 'passing'), 100)
    log(`  3. ${tracked.length} instances passing after ${((performance.now() - setupStart) / 1000).toFixed(1)} s; watching for ${cfg.stallMinutes} min`)

    windowStart = performance.now()
    windowEnd = windowStart + cfg.stallMinutes * 60_000
    const poll = (): void => {
      const now = performance.now()
      ctx.registries.forEach((registry, r) => {
        for (const record of registry.listRecords()) {
          if (!byPeer.has(record.peerId)) continue
          const key = `${r} ${record.peerId}`
          let state = pairs.get(key)
          const status = record.health.status
          if (state === undefined) {
            state = { status, answers: 0, intervals: [], suspectEpisodes: 0, failingEpisodes: 0, longestSuspectMs: 0 }
            if (record.health.lastSeen !== undefined) state.lastSeen = state.firstSeen = record.health.lastSeen
            pairs.set(key, state)
          }
          if (record.health.lastSeen !== undefined && record.health.lastSeen !== state.lastSeen) {
            if (state.lastSeen === undefined) state.firstSeen = record.health.lastSeen
            else {
              state.answers++
              state.intervals.push(record.health.lastSeen - state.lastSeen)
            }
            state.lastSeen = record.health.lastSeen
          }
          if (record.health.load !== undefined) state.load = record.health.load
          if (status !== state.status) {
            if (status === 'suspect') {
              state.suspectEpisodes++
              state.suspectSince = now
            } else if (state.status === 'suspect' && state.suspectSince !== undefined) {
              state.longestSuspectMs = Math.max(state.longestSuspectMs, now - state.suspectSince)
              state.suspectSince = undefined
            }
            if (status === 'failing') state.failingEpisodes++
            state.status = status
          }
        }
      })
    }
    // Discovery every 5 s, as a client would see the stalling instances.
    let discovering = false
    const discoverTimer = setInterval(() => {
      if (discovering) return
      discovering = true
      void discoverIds(ctx, stallName).then(ids => {
        discoveries++
        if (ids === undefined) discoveryErrors++
        else if (tracked.some(t => t.kind === 'stall' && !ids.includes(t.peerId))) discoveriesMissingOne++
      }).finally(() => { discovering = false })
    }, 5000)
    try {
      let lastReport = windowStart
      while (performance.now() < windowEnd) {
        poll()
        if (performance.now() - lastReport >= 60_000) {
          lastReport = performance.now()
          const downs = ctx.events.downs.filter(e => byPeer.has(e.peerId) && e.at >= windowStart).length
          const suspects = [...pairs.values()].reduce((a, s) => a + s.suspectEpisodes, 0)
          log(`  3. ${((lastReport - windowStart) / 60_000).toFixed(0)} min: ${downs} down event(s), ${suspects} suspect episode(s), load ${loadavg().map(x => x.toFixed(2)).join(' ')}`)
        }
        await sleep(20)
      }
      poll()
    } finally {
      clearInterval(discoverTimer)
    }
  } catch (err) {
    failures.push((err as Error).message.split('\n')[0])
    log(`  3. failed: ${(err as Error).message}`)
  } finally {
    await stopChildren(tracked.map(t => t.child), log)
    for (const t of tracked) t.child.killNow()
  }

  const minutes = windowEnd > windowStart ? (Math.min(performance.now(), windowEnd) - windowStart) / 60_000 : 0
  const inWindow = (e: HealthEvent): boolean => e.at >= windowStart && e.at <= windowEnd
  const downEvents = ctx.events.downs.filter(e => inWindow(e) && tracked.some(t => t.peerId === e.peerId))
  const instances: InstanceReport[] = tracked.map(t => {
    const stallLines = t.child.stdoutLines.filter(l => l.startsWith('{"stall"')).map(l => (JSON.parse(l) as { stall: { at: number, ms: number } }).stall)
    const registries: InstanceReport['registries'] = []
    ctx.registries.forEach((_r, i) => {
      const s = pairs.get(`${i} ${t.peerId}`)
      if (s === undefined || (s.answers === 0 && s.status === 'unknown')) return
      const span = s.lastSeen !== undefined && s.firstSeen !== undefined ? s.lastSeen - s.firstSeen : 0
      registries.push({ registry: i, answers: s.answers, perMinute: span > 0 ? s.answers / (span / 60_000) : 0, intervalMs: summarize(s.intervals), suspectEpisodes: s.suspectEpisodes, failingEpisodes: s.failingEpisodes, longestSuspectMs: Math.round(s.longestSuspectMs) })
    })
    return {
      peerId: t.peerId,
      kind: t.kind,
      registries,
      downs: downEvents.filter(e => e.peerId === t.peerId).length,
      stalls: stallLines.length,
      stallMs: summarize(stallLines.map(s => s.ms)),
      stallsOverTimeout: stallLines.filter(s => s.ms >= cfg.health.healthTimeout).length
    }
  })
  const stallPeers = new Set(tracked.filter(t => t.kind === 'stall').map(t => t.peerId))
  const sumOver = (kind: 'stall' | 'quiet', f: (r: InstanceReport['registries'][number]) => number): number =>
    instances.filter(x => x.kind === kind).reduce((a, x) => a + x.registries.reduce((b, r) => b + f(r), 0), 0)
  const allStalls = tracked.filter(t => t.kind === 'stall').flatMap(t => t.child.stdoutLines.filter(l => l.startsWith('{"stall"')).map(l => (JSON.parse(l) as { stall: { ms: number } }).stall.ms))
  const quietLoads = [...pairs.entries()].filter(([key]) => !stallPeers.has(key.split(' ')[1])).map(([, s]) => s.load).filter((l): l is LoadFigures => l !== undefined)
  const quiet = instances.filter(x => x.kind === 'quiet')
  const quietRates = quiet.flatMap(x => x.registries.map(r => r.perMinute))
  const quietIntervals = [...pairs.entries()].filter(([key]) => !stallPeers.has(key.split(' ')[1])).flatMap(([, s]) => s.intervals)
  const perInstance = quiet.map(x => ({ registries: x.registries.length, perMinute: x.registries.reduce((a, r) => a + r.perMinute, 0) }))
  return {
    windowMinutes: Number(minutes.toFixed(2)),
    setupMs: Math.round(windowStart > 0 ? windowStart - setupStart : performance.now() - setupStart),
    stallServices: cfg.stallServices,
    quietServices: cfg.quietServices,
    falseDowns: downEvents.filter(e => stallPeers.has(e.peerId)).length,
    falseDownsQuiet: downEvents.filter(e => !stallPeers.has(e.peerId)).length,
    downEvents,
    upEvents: ctx.events.ups.filter(e => inWindow(e) && tracked.some(t => t.peerId === e.peerId)).length,
    suspectEpisodes: sumOver('stall', r => r.suspectEpisodes),
    suspectEpisodesQuiet: sumOver('quiet', r => r.suspectEpisodes),
    failingEpisodesSeen: sumOver('stall', r => r.failingEpisodes) + sumOver('quiet', r => r.failingEpisodes),
    longestSuspectMs: Math.max(0, ...instances.flatMap(x => x.registries.map(r => r.longestSuspectMs))),
    stalls: allStalls.length,
    stallMs: summarize(allStalls),
    stallsOverTimeout: allStalls.filter(ms => ms >= cfg.health.healthTimeout).length,
    discoveries,
    discoveriesMissingOne,
    discoveryErrors,
    instances,
    traffic: quietRates.length > 0 ? trafficEstimate(quietRates, quietIntervals, perInstance, quietLoads) : null,
    failures
  }
}

/** Yamux header + Noise length prefix + Noise (ChaCha20-Poly1305) tag, per message: each is one frame. */
const YAMUX_HEADER = 12
const NOISE_OVERHEAD = 2 + 16
/** IPv4 (20) + TCP (20) + the timestamp option Linux sends (12), per segment. */
const TCP_IP_HEADERS = 52

function framed (message: Uint8Array): number {
  return encodingLength(message.byteLength) + message.byteLength
}

function trafficEstimate (ratesPerMinute: number[], intervals: number[], perInstance: Array<{ registries: number, perMinute: number }>, loads: LoadFigures[]): TrafficEstimate {
  // A health/2.0.0 request carries only its id: ids < 128 take one byte (the first 127 probes of a stream), then two.
  const requestEarly = framed(HealthRequest.encode({ nonce: new Uint8Array(0), id: 100 }))
  const requestSteady = framed(HealthRequest.encode({ nonce: new Uint8Array(0), id: 1000 }))
  // The answer of an instance with no named check: SERVING (absent), id, its load figures as it last reported them.
  const sizes = loads.map(load => framed(HealthResponse.encode({ status: HealthResponse.Status.SERVING, nonce: new Uint8Array(0), id: 1000, checks: [], load: loadToWire(load) })))
  const responseBytes = sizes.length > 0 ? Math.max(...sizes) : framed(HealthResponse.encode({ status: HealthResponse.Status.SERVING, nonce: new Uint8Array(0), id: 1000, checks: [], load: { cpuPermille: 10, eventLoopDelayUs: 20_000, rssMib: 100 } }))
  const example = loads[0] !== undefined ? loadToWire(loads[0]) : undefined
  const perProbe = requestSteady + responseBytes + 2 * (YAMUX_HEADER + NOISE_OVERHEAD)
  const summary = summarize(ratesPerMinute)
  const instanceRates = summarize(perInstance.map(x => x.perMinute))
  const rate = instanceRates?.p50 ?? 0
  return {
    method: 'answered probes counted per (registry, instance) from changes of listRecords()[i].health.lastSeen (polled every 20 ms) over the window, ' +
      'per minute = changes / (last lastSeen − first lastSeen in the window); ' +
      'bytes per probe = request + answer (protons encodings from protocols/health.ts, each with its varint length prefix) + per message one Yamux header ' +
      `(${YAMUX_HEADER} B) and the Noise frame length and tag (${NOISE_OVERHEAD} B) on the kept health/2.0.0 stream; unanswered probes and the stream's ` +
      'opening (once per ≤ 45 s idle) are not counted. The TCP/IP figure adds 52 B of IPv4+TCP headers per message and one pure ACK per probe.',
    answeredProbesPerMinute: summary,
    probeIntervalMs: summarize(intervals),
    probingRegistries: perInstance.map(x => x.registries),
    perInstancePerMinute: instanceRates,
    requestBytes: { early: requestEarly, steady: requestSteady },
    responseBytes,
    responseExample: example !== undefined ? `load {cpuPermille ${example.cpuPermille}, eventLoopDelayUs ${example.eventLoopDelayUs}, rssMib ${example.rssMib}}, no checks, id 1000` : 'assumed load figures',
    frameOverheadBytes: YAMUX_HEADER + NOISE_OVERHEAD,
    perProbeLibp2pBytes: perProbe,
    perMinuteLibp2pBytes: Math.round(rate * perProbe),
    perMinuteMessages: Number((2 * rate).toFixed(1)),
    tcpIpEstimatePerMinuteBytes: Math.round(rate * (perProbe + 3 * TCP_IP_HEADERS))
  }
}

// ---------------------------------------------------------------- report

function fmtMs (x: number | null | undefined): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '—'
  return x >= 100 ? x.toFixed(0) : x.toFixed(1)
}

const HEADER = ['measure', 'n', 'p50', 'p95', 'p99', 'max', 'mean', 'min', 'goal', 'verdict']
const WIDTHS = [44, 4, 7, 7, 7, 7, 7, 7, 12, 7]

function row (cells: string[]): string {
  return cells.map((c, i) => i === 0 || i >= 8 ? c.padEnd(WIDTHS[i]) : c.padStart(WIDTHS[i])).join(' ').trimEnd()
}

function summaryRow (label: string, s: Summary | null, goal = '', verdict = ''): string {
  return row([label, s === null ? '0' : String(s.n), fmtMs(s?.p50), fmtMs(s?.p95), fmtMs(s?.p99), fmtMs(s?.max), fmtMs(s?.mean), fmtMs(s?.min), goal, verdict])
}

interface Output {
  meta: Record<string, unknown>
  kills: KillResults | { error: string } | { skipped: true }
  recovery: RecoveryResults | { error: string } | { skipped: true }
  stalls: StallResults | { error: string } | { skipped: true }
  notes: string[]
}

function render (o: Output, cfg: Config): string {
  const m = o.meta
  const lines: string[] = []
  const h = cfg.health
  lines.push(`netget health benchmark — ${String(m.date)}${cfg.quick ? '  (--quick: too few samples to quote)' : ''}`)
  lines.push(`Node ${String(m.node)} on ${String(m.platform)}, ${String(m.cpus)}; netget ${String(m.commit)}${m.srcDirty === true ? ' + uncommitted changes under src/ or protocols/' : ''}`)
  lines.push(`Health options: healthInterval ${h.healthInterval}, healthTimeout ${h.healthTimeout}, unhealthyThreshold ${h.unhealthyThreshold}, healthCheckInterval ${h.healthCheckInterval} ms` +
    `${Object.keys(cfg.overrides).length === 0 ? ' (library defaults)' : ` (set by flags: ${Object.keys(cfg.overrides).join(', ')})`}; ${cfg.registries} registr${cfg.registries === 1 ? 'y' : 'ies'} and the client in this process.`)
  lines.push(`Model (src/health/timing.ts): silent-instance detection bound ${String(m.silentDetectionBoundMs)} ms; tolerated stall ${String(m.toleratedStallMs)} ms.`)
  lines.push(`Times in ms from the SIGKILL / the check's flip (nearest-rank percentiles). Discovery polled every ${cfg.pollMs} ms (+ the call's own few ms).`)
  lines.push('')
  lines.push(row(HEADER))
  lines.push(row(WIDTHS.map(w => '-'.repeat(w))))
  const verdict = (s: Summary | null, maxP95: number): string => s === null ? 'no data' : s.p95 <= maxP95 ? 'met' : 'MISSED'
  if ('samples' in o.kills) {
    const k = o.kills
    lines.push(`1. SIGKILL (${k.samples.length} kills${k.failures.length > 0 ? `, ${k.failures.length} failed` : ''})`)
    lines.push(summaryRow('   → first registry\'s instance:down', k.down, 'p95 ≤ 5000', verdict(k.down, 5000)))
    lines.push(summaryRow('   → gone from client discovery', k.gone, 'p95 ≤ 5000', verdict(k.gone, 5000)))
    if (k.missedDown + k.missedGone > 0) lines.push(`   not seen within ${k.timeoutMs} ms: ${k.missedDown} down event(s), ${k.missedGone} discovery removal(s)`)
  } else {
    lines.push(`1. SIGKILL: ${'error' in o.kills ? `FAILED: ${o.kills.error}` : 'skipped'}`)
  }
  if ('samples' in o.recovery) {
    const r = o.recovery
    lines.push(`2. Named check flipped (${r.samples.length} rounds, in-process service)`)
    lines.push(summaryRow('   check fails → instance:down', r.failToDown))
    lines.push(summaryRow('   check fails → gone from discovery', r.failToGone))
    lines.push(summaryRow('   check passes → instance:up', r.passToUp))
    lines.push(summaryRow('   check passes → back in discovery', r.passToBack))
  } else {
    lines.push(`2. Named check flipped: ${'error' in o.recovery ? `FAILED: ${o.recovery.error}` : 'skipped'}`)
  }
  lines.push('')
  if ('instances' in o.stalls) {
    const s = o.stalls
    lines.push(`3. Stalls: ${s.stallServices} instances blocking their event loop (${cfg.stallMode}) ${cfg.stallMs[0]}–${cfg.stallMs[1]} ms every ${cfg.gapMs[0]}–${cfg.gapMs[1]} ms, ` +
      `${s.quietServices} quiet ones beside them, for ${s.windowMinutes} min`)
    lines.push(`   instance:down events: ${s.falseDowns} (goal 0: ${s.falseDowns === 0 ? 'met' : 'MISSED'})${s.falseDownsQuiet > 0 ? `; ${s.falseDownsQuiet} on quiet instances` : ''}; instance:up ${s.upEvents}`)
    lines.push(`   suspect episodes: ${s.suspectEpisodes} on stalling instances (${s.stallServices > 0 && s.windowMinutes > 0 ? (s.suspectEpisodes / s.stallServices / s.windowMinutes).toFixed(2) : '—'} per instance per minute), ` +
      `${s.suspectEpisodesQuiet} on quiet ones; longest ${s.longestSuspectMs} ms; failing seen by polling: ${s.failingEpisodesSeen}`)
    lines.push(`   stalls: ${s.stalls}, ms p50 ${fmtMs(s.stallMs?.p50)} / max ${fmtMs(s.stallMs?.max)}; ${s.stallsOverTimeout} of them ≥ healthTimeout (${h.healthTimeout} ms)`)
    lines.push(`   discoveries every 5 s: ${s.discoveries}, ${s.discoveriesMissingOne} missing a stalling instance, ${s.discoveryErrors} failed`)
    if (s.failures.length > 0) lines.push(`   failures: ${s.failures.join('; ')}`)
    const t = s.traffic
    lines.push('')
    if (t !== null) {
      const rate = t.answeredProbesPerMinute
      const iv = t.probeIntervalMs
      const inst = t.perInstancePerMinute
      lines.push(`4. Probe traffic per instance per minute (${t.probingRegistries.length} quiet instance(s), probed by ${[...new Set(t.probingRegistries)].join('/')} registr${t.probingRegistries.every(n => n === 1) ? 'y' : 'ies'} each)`)
      lines.push(`   answered probes/min per probing registry: p50 ${rate?.p50.toFixed(2)}, min ${rate?.min.toFixed(2)}, max ${rate?.max.toFixed(2)} (one per healthInterval would be ${(60_000 / h.healthInterval).toFixed(2)}); ` +
        `interval between answers p50 ${fmtMs(iv?.p50)}, p95 ${fmtMs(iv?.p95)}, min ${fmtMs(iv?.min)}, max ${fmtMs(iv?.max)} ms (n ${iv?.n ?? 0})`)
      lines.push(`   per instance, all its probing registries: p50 ${inst?.p50.toFixed(2)} answered probes/min`)
      lines.push(`   per probe: request ${t.requestBytes.steady} B (${t.requestBytes.early} B for a stream's first 127), answer ${t.responseBytes} B (${t.responseExample}), ` +
        `+ ${t.frameOverheadBytes} B Yamux/Noise per message = ${t.perProbeLibp2pBytes} B`)
      lines.push(`   estimate: ${t.perMinuteMessages} messages, ${t.perMinuteLibp2pBytes} B/min over TCP (≈ ${t.tcpIpEstimatePerMinuteBytes} B/min with IPv4+TCP headers and ACKs)`)
      const stallRates = s.instances.filter(x => x.kind === 'stall').flatMap(x => x.registries.map(r => r.perMinute))
      const sr = summarize(stallRates)
      if (sr !== null) lines.push(`   stalling instances, answered probes/min: p50 ${sr.p50.toFixed(2)}, min ${sr.min.toFixed(2)}, max ${sr.max.toFixed(2)} (suspect retries included)`)
    } else {
      lines.push('4. Probe traffic: no quiet instance measured')
    }
  } else {
    lines.push(`3./4. Stalls and probe traffic: ${'error' in o.stalls ? `FAILED: ${o.stalls.error}` : 'skipped'}`)
  }
  lines.push('')
  for (const note of o.notes) lines.push(`Note: ${note}`)
  lines.push(`Run took ${String(m.runSeconds)} s; load average (1/5/15 min) ${String(m.loadAvgAtStart)} at start, ${String(m.loadAvgAtEnd)} at end.`)
  return lines.join('\n') + '\n'
}


// ---------------------------------------------------------------- main

async function main (): Promise<number> {
  const cfg = parseFlags(process.argv.slice(2))
  const has = (s: Scenario): boolean => cfg.only.includes(s)
  const estimateS = 30 + (has('kills') ? cfg.kills * 12 : 0) + (has('recovery') ? 20 + cfg.rounds * 18 : 0) + (has('stalls') ? 60 + cfg.stallMinutes * 60 : 0)
  // Whatever hangs, the run ends by itself (every wait is bounded as well).
  const watchdogMs = Math.max(300, 2 * estimateS + 300) * 1000
  const watchdog = setTimeout(() => {
    log(`bench:health: watchdog fired after ${watchdogMs / 1000} s; something did not finish`)
    process.exit(2)
  }, watchdogMs)
  watchdog.unref()
  const h = cfg.health
  const meta: Record<string, unknown> = {
    ...runEnvironment(root),
    health: h,
    healthFlags: cfg.overrides,
    silentDetectionBoundMs: silentDetectionBound(h),
    toleratedStallMs: toleratedStall(h),
    constants: { SUSPECT_RETRY_MS, CONFIRM_TIMEOUTS },
    config: { ...cfg, json: undefined },
    argv: process.argv.slice(2)
  }
  const plan = [
    has('kills') ? `${cfg.kills} kills` : '',
    has('recovery') ? `${cfg.rounds} check rounds` : '',
    has('stalls') ? `${cfg.stallServices} stalling + ${cfg.quietServices} quiet instances for ${cfg.stallMinutes} min` : ''
  ].filter(x => x !== '')
  log(`bench:health: ${plan.join(', ')} (≈ ${Math.round(estimateS / 60)} min)`)
  // Children answer probes with the same options (healthTimeout is also the answering side's deadline).
  process.env.BENCH_HEALTH_OPTIONS = JSON.stringify(cfg.overrides)

  const registries: Netget[] = []
  const addrs: string[] = []
  const registryOptions: NetgetOptions = { ...cfg.overrides }
  for (let i = 0; i < cfg.registries; i++) {
    const registry = new Netget({ ...registryOptions, nodeType: 'registry', listen: LOOPBACK, registryNodes: [...addrs] })
    await withTimeout(registry.start(), 15_000, `registry ${i} start()`)
    registries.push(registry)
    addrs.push(registry.getMultiaddrs()[0])
  }
  const client = new Netget({ registryNodes: addrs, listen: LOOPBACK })
  await withTimeout(client.start(), 15_000, 'client start()')
  const ctx: Ctx = { cfg, registries, addrs, client, events: new EventLog(registries) }

  const output: Output = { meta, kills: { skipped: true }, recovery: { skipped: true }, stalls: { skipped: true }, notes: [] }
  const scenario = async <T>(which: Scenario, title: string, fn: () => Promise<T>): Promise<T | { error: string } | { skipped: true }> => {
    if (!cfg.only.includes(which)) return { skipped: true }
    log(title)
    const t0 = performance.now()
    try {
      return await fn()
    } catch (err) {
      log(`${which} failed: ${(err as Error).stack ?? String(err)}`)
      return { error: (err as Error).message.split('\n')[0] }
    } finally {
      log(`  (${((performance.now() - t0) / 1000).toFixed(1)} s; load ${loadavg().map(x => x.toFixed(2)).join(' ')})`)
    }
  }
  try {
    output.kills = await scenario('kills', '1. SIGKILL → down …', async () => runKills(ctx))
    output.recovery = await scenario('recovery', '2. named check failing / passing …', async () => runRecovery(ctx))
    output.stalls = await scenario('stalls', '3./4. stalling instances, probe traffic …', async () => runStalls(ctx))
  } finally {
    await Promise.all([client, ...registries].map(async n => withTimeout(n.stop(), 10_000, 'stop()').catch(err => { log(`  warning: ${(err as Error).message}`) })))
  }

  output.notes.push('Service instances run in child processes of their own (bench/health-child.ts: Node + tsx + netget), registered with every registry; ' +
    'the registries and the discovering client share this process. 1. uses a fresh instance and a fresh name per kill; it is SIGKILLed at a random moment ' +
    '(0–healthInterval after it was seen passing and discoverable). A process killed on a live host closes its TCP connections, which makes the registry ' +
    'probe it at once and every probe fail fast: removal takes the threshold\'s early retries and a confirmation, not the silent-instance bound.')
  output.notes.push('2. flips a variable read by a named check (healthChecks) of an in-process service; the check runs every healthCheckInterval, so a flip ' +
    'reaches probe answers up to one check interval later, and a failing answer must come unhealthyThreshold times before the instance is marked down.')
  output.notes.push(`3. counts 'instance:down' events of the registries for the stalling instances over the window, and suspect episodes from polling ` +
    `listRecords() every 20 ms (passing → suspect transitions per probing registry). Stall mode ${cfg.stallMode}: ` +
    (cfg.stallMode === 'sleep' ? 'the child blocks its thread in Atomics.wait (an unresponsive process that uses no CPU, so the stalls do not slow the registry on a small machine).' : 'the child spins (CPU-bound; on a small machine it also slows the registry).'))
  meta.loadAvgAtEnd = loadavg().map(x => Number(x.toFixed(2)))
  meta.runSeconds = Number(((performance.now() - runStart) / 1000).toFixed(1))
  const text = render(output, cfg)
  mkdirSync(dirname(cfg.json), { recursive: true })
  writeFileSync(cfg.json, JSON.stringify(output, (_k, v: unknown) => typeof v === 'number' && !Number.isInteger(v) ? Number(v.toFixed(2)) : v, 2) + '\n')
  process.stdout.write(text)
  log(`wrote ${cfg.json}`)
  clearTimeout(watchdog)
  const failed = [output.kills, output.recovery, output.stalls].some(r => 'error' in r)
  return failed ? 1 : 0
}

main().then(code => {
  process.exitCode = code
  // Every node was stopped; if a stray libp2p timer still holds the loop, do not wait for it long.
  setTimeout(() => {
    log('bench:health: handles still open 5 s after the end; exiting')
    process.exit(code)
  }, 5000).unref()
}, err => {
  log(`bench:health: ${err instanceof UsageError ? err.message : (err as Error).stack ?? String(err)}`)
  process.exit(1)
})
