/**
 * netget scenarios, all on 127.0.0.1: 2 registries, 50 service instances (5 names × 10, then the same 50
 * re-registered under one name), one connected client.
 *   a. uncached discovery from a connected client (10 and 50 instances)
 *   b. cached discovery (maxAge 60 s)
 *   c. a fresh client's start → first result
 *   d. a new service: new Netget → start() → ready() → registerWithNetwork() resolved, each step timed, then
 *      registered → discoverable from the connected client
 *   a×. uncached discovery of 10 from a connected client, the 2 registries in child processes of their own
 *       (the netget CLI), with the default queryFanout (1, hedged) and with queryFanout 2
 *   c×. a fresh client's start → first result, the registries in their own processes
 * Registries answer as `settling` for settlingTime (10 s) after they join: timed discoveries start once that has
 * passed, as they run against registries that have been up for a while.
 * Only the public API of src/index.ts (and the CLI, for a×) is used.
 */
import { SETTLING_MS } from '../src/constants.js'
import { Netget } from '../src/index.js'
import { CHILD_READY_TIMEOUT_MS, spawnChild, stopChildren } from './children.js'
import { counts, sleep, summarize, timeFresh, withTimeout } from './stats.js'
import type { CliChild } from '../scripts/lib/cli-child.js'
import type { Counts, Summary } from './stats.js'

const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']

export interface NetgetConfig {
  names: number
  perName: number
  warmup: number
  samples: number
  cachedSamples: number
  freshSamples: number
  registerSamples: number
  /** Upper bounds of one register → discoverable poll. */
  pollMaxAttempts: number
  pollMaxMs: number
}

export interface LatencyResult {
  summary: Summary | null
  /** Instances returned per sample. */
  found: Counts | null
  /** Samples that failed (threw, or found fewer than expected), with the first error seen. */
  failures: number
  firstError?: string
}

export interface NetgetResults {
  layout: string
  setupMs: number
  /** registerWithNetwork() of the 50 set-up instances, 10 at a time (so inflated by the concurrency). */
  registerEach: Summary | null
  discover10: LatencyResult
  discover50: LatencyResult
  cached10: LatencyResult
  cached50: LatencyResult
  fresh: LatencyResult & { stop: Summary | null }
  registerToDiscoverable: LatencyResult & { attempts: Counts | null, register: Summary | null, gaveUp: number }
  /** d's new services: start() resolved, then ready(), then new Netget → registerWithNetwork() resolved. */
  serviceStart: Summary | null
  serviceReady: Summary | null
  newToRegistered: Summary | null
  /** How long the timed discoveries waited for the registries to stop settling (ms). */
  settledAfterMs: number
  registryAddresses: string[]
}

type Log = (line: string) => void

async function timeDiscovery (client: Netget, name: string, expected: number, samples: number, warmup: number, maxAge: number): Promise<LatencyResult> {
  const options = maxAge > 0 ? { maxAge } : {}
  for (let i = 0; i < warmup; i++) await client.discoverServiceNode(name, options)
  const times: number[] = []
  const found: number[] = []
  let failures = 0
  let firstError: string | undefined
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now()
    try {
      const instances = await client.discoverServiceNode(name, options)
      const t1 = performance.now()
      times.push(t1 - t0)
      found.push(instances.length)
      if (instances.length < expected) failures++
    } catch (err) {
      failures++
      firstError ??= (err as Error).message
    }
  }
  return { summary: summarize(times), found: counts(found), failures, ...(firstError !== undefined ? { firstError } : {}) }
}

/** Polls discovery until `name` has at least `expected` instances (bounded); returns how many it saw last. */
async function waitForInstances (client: Netget, name: string, expected: number, maxMs: number): Promise<number> {
  const deadline = performance.now() + maxMs
  let seen = 0
  for (let attempt = 0; attempt < 10_000 && performance.now() < deadline; attempt++) {
    try {
      seen = (await client.discoverServiceNode(name)).length
      if (seen >= expected) return seen
    } catch {}
    await sleep(20)
  }
  return seen
}

/** Waits until `settlingTime` (the default) has passed since `since` (performance.now()); returns the wait (ms). */
async function untilSettled (since: number, log: Log): Promise<number> {
  const wait = Math.max(0, since + SETTLING_MS + 250 - performance.now())
  if (wait > 0) {
    log(`  waiting ${(wait / 1000).toFixed(1)} s for the registries to stop settling`)
    await sleep(wait)
  }
  return wait
}

async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i], i)
    }
  }))
  return out
}

async function stopAll (nodes: Netget[], log: Log): Promise<void> {
  await Promise.all(nodes.map(async n => {
    try {
      await withTimeout(n.stop(), 10_000, 'stop')
    } catch (err) {
      log(`  warning: a node did not stop cleanly: ${(err as Error).message}`)
    }
  }))
}

/**
 * Runs every netget scenario; `during(registries)` runs once they are done, while the registries still run
 * (the per-process RSS children register with them).
 */
export async function runNetget (config: NetgetConfig, log: Log, during?: (registries: string[]) => Promise<void>): Promise<NetgetResults> {
  const started: Netget[] = []
  const services: Netget[] = []
  const track = <T extends Netget>(n: T): T => { started.push(n); return n }
  const total = config.names * config.perName
  try {
    const setup0 = performance.now()
    const r1 = track(new Netget({ nodeType: 'registry', listen: LOOPBACK }))
    await withTimeout(r1.start(), 10_000, 'registry 1 start')
    const r2 = track(new Netget({ nodeType: 'registry', listen: LOOPBACK, registryNodes: r1.getMultiaddrs() }))
    await withTimeout(r2.start(), 10_000, 'registry 2 start')
    const registriesUp = performance.now()
    const registries = [...r1.getMultiaddrs(), ...r2.getMultiaddrs()]
    if (registries.some(a => !a.startsWith('/ip4/127.0.0.1/'))) throw new Error(`a registry listens off loopback: ${registries.join(', ')}`)

    const client = track(new Netget({ registryNodes: registries, listen: LOOPBACK }))
    await withTimeout(client.start(), 10_000, 'client start')
    await sleep(300)

    // 50 instances: 5 names × 10, registered 10 at a time.
    const registerTimes: number[] = []
    await mapLimit(Array.from({ length: total }, (_, i) => i), 10, async i => {
      const s = track(new Netget({ metadata: { name: `svc-${i % config.names}`, instance: i }, registryNodes: registries, listen: LOOPBACK }))
      services.push(s)
      await withTimeout(s.start(), 10_000, 'service start')
      const t0 = performance.now()
      await s.registerWithNetwork()
      registerTimes.push(performance.now() - t0)
    })
    const setupMs = performance.now() - setup0
    log(`  netget: 2 registries + ${total} services registered in ${setupMs.toFixed(0)} ms`)

    const settledAfterMs = await untilSettled(registriesUp, log)
    // The client has made its first discovery of the name before any sample.
    const seen10 = await waitForInstances(client, 'svc-0', config.perName, 10_000)
    if (seen10 < config.perName) throw new Error(`the client sees ${seen10} instances of svc-0, expected ${config.perName}`)
    const discover10 = await timeDiscovery(client, 'svc-0', config.perName, config.samples, config.warmup, 0)
    log(`  a. discover ${config.perName} uncached: p50 ${discover10.summary?.p50.toFixed(3)} ms`)
    const cached10 = await timeDiscovery(client, 'svc-0', config.perName, config.cachedSamples, config.warmup, 60_000)
    log(`  b. discover ${config.perName} cached: p50 ${cached10.summary?.p50.toFixed(4)} ms`)

    // c. A fresh client: new Netget + first discovery (svc-0, 10 instances); stop is timed apart.
    const fresh = await timeFresh(config.freshSamples, config.perName, async closeWith => {
      const client = new Netget({ registryNodes: registries, listen: LOOPBACK })
      closeWith(async () => { await stopAll([client], log) })
      return (await client.discoverServiceNode('svc-0')).length
    })
    log(`  c. fresh client first result: p50 ${fresh.summary?.p50.toFixed(3)} ms`)

    // The same 50 instances re-register under one name (their svc-k records are withdrawn as they do).
    await mapLimit(services, 10, async s => {
      s.metadata = { ...s.metadata, name: 'svc-all' }
      await s.registerWithNetwork()
    })
    const seen50 = await waitForInstances(client, 'svc-all', total, 10_000)
    if (seen50 < total) throw new Error(`the client sees ${seen50} instances of svc-all, expected ${total}`)
    const discover50 = await timeDiscovery(client, 'svc-all', total, config.samples, config.warmup, 0)
    log(`  a. discover ${total} uncached: p50 ${discover50.summary?.p50.toFixed(3)} ms`)
    const cached50 = await timeDiscovery(client, 'svc-all', total, config.cachedSamples, config.warmup, 60_000)
    log(`  b. discover ${total} cached: p50 ${cached50.summary?.p50.toFixed(4)} ms`)

    // d. A new instance of an existing name: registerWithNetwork() resolves → the connected client finds it.
    const dName = 'svc-new'
    await client.discoverServiceNode(dName) // routes for the name are known, as for any name the client uses
    const visible: number[] = []
    const attempts: number[] = []
    const registerD: number[] = []
    const startD: number[] = []
    const readyD: number[] = []
    const totalD: number[] = []
    const dFound: number[] = []
    let gaveUp = 0
    let dFailures = 0
    let dError: string | undefined
    const dWarmup = Math.min(2, config.registerSamples)
    for (let i = 0; i < config.registerSamples + dWarmup; i++) {
      const n0 = performance.now()
      const s = new Netget({ metadata: { name: dName, sample: i }, registryNodes: registries, listen: LOOPBACK })
      try {
        await withTimeout(s.start(), 10_000, 'service start')
        const s0 = performance.now()
        await withTimeout(s.ready(), 10_000, 'service ready')
        const r0 = performance.now()
        await s.registerWithNetwork()
        const t0 = performance.now()
        const id = s.peerId
        const deadline = t0 + config.pollMaxMs
        let n = 0
        let seenAt: number | undefined
        let lastCount = 0
        while (n < config.pollMaxAttempts && performance.now() < deadline) {
          n++
          const instances = await client.discoverServiceNode(dName)
          if (instances.some(x => x.peerId === id)) {
            seenAt = performance.now()
            lastCount = instances.length
            break
          }
        }
        if (i >= dWarmup) {
          registerD.push(t0 - r0)
          startD.push(s0 - n0)
          readyD.push(r0 - s0)
          totalD.push(t0 - n0)
          attempts.push(n)
          if (seenAt === undefined) gaveUp++
          else {
            visible.push(seenAt - t0)
            dFound.push(lastCount)
          }
        }
      } catch (err) {
        if (i >= dWarmup) dFailures++
        dError ??= (err as Error).message
      }
      await stopAll([s], log)
    }
    log(`  d. register → discoverable: p50 ${summarize(visible)?.p50.toFixed(3)} ms`)

    await during?.(registries)
    return {
      layout: `2 registries; ${total} service instances = ${config.names} names × ${config.perName} (svc-0..svc-${config.names - 1}), ` +
        `then the same ${total} re-registered under one name (svc-all); 1 connected client; all on 127.0.0.1`,
      setupMs,
      registerEach: summarize(registerTimes),
      discover10,
      discover50,
      cached10,
      cached50,
      fresh: { summary: fresh.summary, found: fresh.found, failures: fresh.failures, stop: fresh.close, ...(fresh.firstError !== undefined ? { firstError: fresh.firstError } : {}) },
      registerToDiscoverable: {
        summary: summarize(visible),
        found: counts(dFound),
        failures: dFailures,
        attempts: counts(attempts),
        register: summarize(registerD),
        gaveUp,
        ...(dError !== undefined ? { firstError: dError } : {})
      },
      serviceStart: summarize(startD),
      serviceReady: summarize(readyD),
      newToRegistered: summarize(totalD),
      settledAfterMs,
      registryAddresses: registries
    }
  } finally {
    // Services first (they withdraw their records), then client and registries.
    await stopAll(started.filter(n => n.nodeType === 'service'), log)
    await stopAll(started.filter(n => n.nodeType === 'registry'), log)
  }
}

export interface SeparateConfig {
  /** Service instances of the one name. */
  perName: number
  /** Discoveries per client before the timed ones (the registries' JIT needs ~1000). */
  warmup: number
  samples: number
  /** Bound of the warm-up and of the timed loop, each. */
  maxMs: number
  /** c×: fresh clients, start → first result. */
  freshSamples: number
}

export interface NetgetSeparateResults {
  layout: string
  setupMs: number
  /** Spawn → `listening` line of each registry process. */
  registryStartMs: number[]
  /** `record stored` lines of the name in each registry's log, after the set-up. */
  storedPerRegistry: number[]
  /** Default queryFanout (1): the closest registry asked, the other one only as a hedge. */
  fanout1: LatencyResult
  /** queryFanout 2: both registries asked per discovery. */
  fanout2: LatencyResult
  /** Requests per timed discovery of each client. */
  requestsPerDiscovery: { fanout1: number, fanout2: number }
  /** c×: a fresh client's new Netget → first result (all instances). */
  fresh: LatencyResult
  settledAfterMs: number
  registryAddresses: string[]
}

/**
 * Times `clients` in turn, one discovery each per round, so that drift (load, GC, JIT of the registries)
 * spreads over all of them alike. Returns one result per client.
 */
async function timeAlternating (clients: Netget[], name: string, expected: number, config: SeparateConfig): Promise<{ results: LatencyResult[], warmups: number }> {
  const warmDeadline = performance.now() + config.maxMs
  let warmups = 0
  for (; warmups < config.warmup && performance.now() < warmDeadline; warmups++) {
    for (const client of clients) await client.discoverServiceNode(name)
  }
  const results = clients.map(() => ({ times: [] as number[], found: [] as number[], failures: 0, firstError: undefined as string | undefined }))
  const deadline = performance.now() + config.maxMs
  for (let i = 0; i < config.samples && performance.now() < deadline; i++) {
    for (let c = 0; c < clients.length; c++) {
      const r = results[c]
      const t0 = performance.now()
      try {
        const instances = await clients[c].discoverServiceNode(name)
        const t1 = performance.now()
        r.times.push(t1 - t0)
        r.found.push(instances.length)
        if (instances.length < expected) r.failures++
      } catch (err) {
        r.failures++
        r.firstError ??= (err as Error).message
      }
    }
  }
  return { results: results.map(r => ({ summary: summarize(r.times), found: counts(r.found), failures: r.failures, ...(r.firstError !== undefined ? { firstError: r.firstError } : {}) })), warmups }
}

/**
 * a×: the 2 registries each in a child process of their own, started with the CLI as an operator would
 * (`netget registry --listen /ip4/127.0.0.1/tcp/0 [--registry <first>]`); `perName` instances of one name
 * and the clients in this process. Children are stopped (SIGTERM, then SIGKILL) whatever happens.
 */
export async function runNetgetSeparate (config: SeparateConfig, log: Log): Promise<NetgetSeparateResults> {
  const children: CliChild[] = []
  const services: Netget[] = []
  const clients: Netget[] = []
  const name = 'svc-proc'
  try {
    const setup0 = performance.now()
    const registries: string[] = []
    const registryStartMs: number[] = []
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now()
      const child = spawnChild(`registry-${i + 1}`, ['registry', '--listen', LOOPBACK[0], ...registries.slice(0, 1).flatMap(a => ['--registry', a])])
      children.push(child)
      const [, address] = await child.waitForLine(/^listening (\S+)$/, CHILD_READY_TIMEOUT_MS)
      if (!address.startsWith('/ip4/127.0.0.1/')) throw new Error(`registry-${i + 1} listens off loopback: ${address}`)
      registries.push(address)
      registryStartMs.push(performance.now() - t0)
    }
    const registriesUp = performance.now()
    log(`  a×. 2 registry processes up (pids ${children.map(c => c.pid).join(', ')}) in ${registryStartMs.map(ms => ms.toFixed(0)).join(' + ')} ms`)

    await Promise.all(Array.from({ length: config.perName }, async (_, i) => {
      const s = new Netget({ metadata: { name, instance: i }, registryNodes: registries, listen: LOOPBACK })
      services.push(s)
      await withTimeout(s.registerWithNetwork(), 15_000, 'registerWithNetwork')
    }))
    const fanout1 = new Netget({ registryNodes: registries, listen: LOOPBACK })
    const fanout2 = new Netget({ registryNodes: registries, listen: LOOPBACK, queryFanout: 2 })
    clients.push(fanout1, fanout2)
    for (const client of clients) {
      await withTimeout(client.start(), 10_000, 'client start')
      const seen = await waitForInstances(client, name, config.perName, 10_000)
      if (seen < config.perName) throw new Error(`a client sees ${seen} instances of ${name}, expected ${config.perName}`)
    }
    const setupMs = performance.now() - setup0
    const storedPerRegistry = children.map(c => c.stdoutLines.filter(l => new RegExp(`record stored\\s+${name} `).test(l)).length)
    log(`  a×. ${config.perName} services registered, 2 clients connected in ${setupMs.toFixed(0)} ms; records stored per registry: ${storedPerRegistry.join(', ')}`)

    const settledAfterMs = await untilSettled(registriesUp, log)
    const before = clients.map(c => c.getStats().requests)
    const { results: [r1, r2], warmups } = await timeAlternating(clients, name, config.perName, config)
    const discoveries = warmups + (r1.summary?.n ?? 0) + r1.failures
    const requestsPerDiscovery = { fanout1: (fanout1.getStats().requests - before[0]) / discoveries, fanout2: (fanout2.getStats().requests - before[1]) / discoveries }
    log(`  a×. discover ${config.perName} uncached, registry processes: queryFanout 1 p50 ${r1.summary?.p50.toFixed(3)} ms (${requestsPerDiscovery.fanout1.toFixed(2)} requests each), queryFanout 2 p50 ${r2.summary?.p50.toFixed(3)} ms`)

    // c×. Fresh clients against the registry processes: new Netget → first result with every instance.
    const fresh = await timeFresh(config.freshSamples, config.perName, async closeWith => {
      const client = new Netget({ registryNodes: registries, listen: LOOPBACK })
      closeWith(async () => { await stopAll([client], log) })
      return (await withTimeout(client.discoverServiceNode(name), 10_000, 'fresh discovery')).length
    })
    log(`  c×. fresh client first result, registry processes: p50 ${fresh.summary?.p50.toFixed(3)} ms`)
    return {
      layout: `2 registries, each in a child process of its own (netget CLI, src/cli/run.ts); ${config.perName} service instances of one name (${name}) ` +
        'and 2 connected clients (queryFanout 1, the default, and 2) in the benchmark process, then fresh clients one at a time; all on 127.0.0.1',
      setupMs,
      registryStartMs,
      storedPerRegistry,
      fanout1: r1,
      fanout2: r2,
      requestsPerDiscovery,
      fresh: { summary: fresh.summary, found: fresh.found, failures: fresh.failures, ...(fresh.firstError !== undefined ? { firstError: fresh.firstError } : {}) },
      settledAfterMs,
      registryAddresses: registries
    }
  } finally {
    // Services first (they withdraw their records while the registries run), then the clients, then the registries.
    await stopAll(services, log)
    await stopAll(clients, log)
    await stopChildren(children, log)
  }
}
