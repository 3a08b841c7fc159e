/**
 * `npm start`: a real netget network on this machine (127.0.0.1 only), one process per node:
 * 2 registries, 3 DatabaseService and 2 CacheService instances. The demo discovers both services, watches
 * DatabaseService (printing each event as the registries push it), stops one instance cleanly, SIGKILLs another
 * and restarts it with the same identity, with the time each change took to show, then shuts everything down.
 * `npm start -- --keep` leaves the network running until Ctrl-C, to try `netget discover` against it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Netget } from '../src/index.js'
import { formatInstances, shortPeerId } from '../src/cli/format.js'
import { CliChild } from './lib/cli-child.js'
import type { ServiceInstance, WatchEvent } from '../src/index.js'

const NETWORK = 'development'
const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
/** Covers a cold start of Node + tsx + libp2p in a child; a healthy start takes about a second. */
const READY_TIMEOUT_MS = 20_000
const DISCOVER_TIMEOUT_MS = 5000
/** Discoveries timed in a burst once the client is connected. */
const REPEATS = 200
const STOP_GRACE_MS = 5000

interface ServicePlan {
  label: string
  name: string
  meta: Record<string, string>
  /** Keeps its identity across restarts. */
  dataDir?: string
}

const SERVICES: ServicePlan[] = [
  { label: 'db-1', name: 'DatabaseService', meta: { instance: 'db-1', zone: 'a', role: 'primary' } },
  { label: 'db-2', name: 'DatabaseService', meta: { instance: 'db-2', zone: 'b', role: 'replica' } },
  { label: 'db-3', name: 'DatabaseService', meta: { instance: 'db-3', zone: 'c', role: 'replica' } },
  { label: 'cache-1', name: 'CacheService', meta: { instance: 'cache-1', zone: 'a' } },
  { label: 'cache-2', name: 'CacheService', meta: { instance: 'cache-2', zone: 'b' } }
]

interface RunningService extends ServicePlan {
  process: CliChild
  peerId: string
}

const children: CliChild[] = []
const interrupted = new AbortController()

function elapsed (since: number): string {
  return `${(performance.now() - since).toFixed(1)} ms`
}

/** A child in its own process group: Ctrl-C reaches only this demo, which stops the children in order. */
function spawnCli (label: string, args: string[]): CliChild {
  const child = new CliChild(label, args, { detached: true })
  children.push(child)
  return child
}

async function startRegistry (label: string, join: string[]): Promise<string> {
  const registry = spawnCli(label, ['registry', '--network', NETWORK, '--listen', LOOPBACK, ...join.flatMap(a => ['--registry', a])])
  const [, address] = await registry.waitForLine(/^listening (\S+)$/, READY_TIMEOUT_MS, interrupted.signal)
  return address
}

async function startService (plan: ServicePlan, registries: string[]): Promise<RunningService> {
  const args = ['service', '--name', plan.name, '--network', NETWORK, '--listen', LOOPBACK,
    ...registries.flatMap(a => ['--registry', a]),
    ...(plan.dataDir !== undefined ? ['--data-dir', plan.dataDir] : []),
    ...Object.entries(plan.meta).flatMap(([key, value]) => ['--meta', `${key}=${value}`])]
  const child = spawnCli(plan.label, args)
  const [, peerId] = await child.waitForLine(/registered \S+ as (\S+)/, READY_TIMEOUT_MS, interrupted.signal)
  return { ...plan, process: child, peerId }
}

/** Discovers `name`, prints the instances, and checks that the expected number was found. */
async function showDiscovery (client: Netget, name: string, expected: number): Promise<ServiceInstance[]> {
  const started = performance.now()
  const instances = await client.discoverServiceNode(name, { timeout: DISCOVER_TIMEOUT_MS, signal: interrupted.signal })
  console.log(`\n${name}: ${instances.length} instance${instances.length === 1 ? '' : 's'} found in ${elapsed(started)}`)
  for (const line of formatInstances(instances, { compact: true })) console.log(`  ${line}`)
  if (instances.length !== expected) throw new Error(`expected ${expected} instances of ${name}, found ${instances.length}`)
  return instances
}

/** Once connected, a discovery is one round trip per registry: time a burst of them (no result cache). */
async function showRepeatedDiscovery (client: Netget, name: string, repeats: number): Promise<void> {
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const started = performance.now()
    await client.discoverServiceNode(name, { timeout: DISCOVER_TIMEOUT_MS, signal: interrupted.signal })
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2)
  console.log(`
${name} again, ${repeats} times from the connected client: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms (no cache)`)
}

/**
 * Prints a watch's events as they come, each with the time since the watch started, and lets the demo wait
 * for one.
 */
class WatchPrinter {
  private readonly seen: WatchEvent[] = []
  /** When each event arrived (performance.now()). */
  private readonly arrived: number[] = []
  private readonly waiters = new Set<() => void>()
  private readonly started = performance.now()

  constructor (client: Netget, name: string, labels: Map<string, string>, signal: AbortSignal) {
    void (async () => {
      for await (const event of client.watch(name, { signal })) {
        const what = event.type === 'resync'
          ? `resync: ${event.instances.length} instances`
          : `${event.type.padEnd(7)} ${(labels.get(event.instance.peerId) ?? shortPeerId(event.instance.peerId)).padEnd(8)} health ${event.instance.health.status}`
        console.log(`  [watch +${((performance.now() - this.started) / 1000).toFixed(2)} s] ${name} ${what}`)
        this.seen.push(event)
        this.arrived.push(performance.now())
        for (const wake of this.waiters) wake()
      }
    })().catch(err => { console.error(`  watch ended: ${(err as Error).message}`) })
  }

  /** Resolves, with its arrival time, when an event matching `accept` arrived since event number `from`. */
  async waitFor (accept: (event: WatchEvent) => boolean, timeoutMs: number, from = this.seen.length): Promise<number> {
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const index = this.seen.findIndex((e, i) => i >= from && accept(e))
      if (index >= 0) return this.arrived[index]
      const left = deadline - performance.now()
      if (left <= 0) throw new Error('the expected watch event did not come in time')
      await new Promise<void>(resolve => {
        const done = (): void => {
          clearTimeout(timer)
          this.waiters.delete(done)
          resolve()
        }
        const timer = setTimeout(done, left)
        this.waiters.add(done)
      })
    }
  }

  get count (): number {
    return this.seen.length
  }
}

const eventOf = (type: 'up' | 'down', peerId: string) => (e: WatchEvent): boolean => e.type === type && e.instance.peerId === peerId

/** Polls discovery (no cache) until `test` holds; returns how long it took. */
async function until (client: Netget, name: string, test: (instances: ServiceInstance[]) => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (test(await client.discoverServiceNode(name, { timeout: DISCOVER_TIMEOUT_MS, signal: interrupted.signal }))) return performance.now() - started
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`discovery of ${name} did not change within ${timeoutMs} ms`)
}

/** Services first, so their records are withdrawn while the registries still run; then the registries. */
async function stopAll (services: RunningService[]): Promise<void> {
  const serviceProcesses = new Set(services.map(s => s.process))
  const order = [children.filter(c => serviceProcesses.has(c)), children.filter(c => !serviceProcesses.has(c))]
  for (const group of order) {
    const results = await Promise.all(group.map(async c => ({ child: c, ...await c.stop(STOP_GRACE_MS) })))
    for (const { child, killed } of results) if (killed) console.error(`  ${child.label} did not stop on SIGTERM: killed`)
  }
}

async function runDemo (keep: boolean): Promise<void> {
  const services: RunningService[] = []
  let client: Netget | undefined
  let watcher: Netget | undefined
  const watching = new AbortController()
  const dataDir = await mkdtemp(join(tmpdir(), 'netget-demo-'))
  try {
    console.log(`netget demo: a local network on 127.0.0.1, network "${NETWORK}", one process per node\n`)
    const started = performance.now()
    const first = await startRegistry('registry-1', [])
    const second = await startRegistry('registry-2', [first])
    const registries = [first, second]
    console.log(`registries up in ${elapsed(started)}:`)
    for (const address of registries) console.log(`  ${address}`)

    const servicesStarted = performance.now()
    const plans = SERVICES.map(plan => plan.label === 'db-2' ? { ...plan, dataDir } : plan)
    services.push(...await Promise.all(plans.map(async plan => startService(plan, registries))))
    console.log(`\n${services.length} service instances registered in ${elapsed(servicesStarted)}:`)
    for (const s of services) console.log(`  ${s.label.padEnd(8)} ${s.name.padEnd(16)} ${shortPeerId(s.peerId)}`)

    client = new Netget({ network: NETWORK, registryNodes: registries })
    await client.start()
    await showDiscovery(client, 'DatabaseService', 3)
    await showDiscovery(client, 'CacheService', 2)
    await showRepeatedDiscovery(client, 'DatabaseService', REPEATS)

    const labels = new Map(services.map(s => [s.peerId, s.label]))
    console.log('\nwatching DatabaseService (events pushed by its registries):')
    // A second client watches, so that the first one's discoveries below still ask the registries.
    watcher = new Netget({ network: NETWORK, registryNodes: registries })
    const watch = new WatchPrinter(watcher, 'DatabaseService', labels, watching.signal)
    await watch.waitFor(e => e.type === 'up', READY_TIMEOUT_MS, 0)
    await watch.waitFor(() => watch.count >= 3, READY_TIMEOUT_MS, 0)

    const victim = services[0]
    const stopStarted = performance.now()
    const seenBeforeStop = watch.count
    const { killed } = await victim.process.stop(STOP_GRACE_MS)
    if (killed) throw new Error(`${victim.label} did not stop on SIGTERM`)
    const withdrawn = victim.process.stdoutLines.map(line => line.match(/withdrawn\s+from (\d+) registries/)).find(m => m !== null)
    const outcome = withdrawn === undefined ? 'it could not withdraw its record (its lease will expire)' : `it withdrew its record from ${withdrawn[1]} registries`
    console.log(`\nstopped ${victim.label} (${shortPeerId(victim.peerId)}) with SIGTERM in ${elapsed(stopStarted)}: ${outcome}`)
    const downAt = await watch.waitFor(eventOf('down', victim.peerId), DISCOVER_TIMEOUT_MS, seenBeforeStop)
    console.log(`  the watch reported it down ${(downAt - stopStarted).toFixed(1)} ms after the stop began (the process then took the rest to exit)`)
    const remaining = await showDiscovery(client, 'DatabaseService', 2)
    if (remaining.some(i => i.peerId === victim.peerId)) throw new Error(`${victim.label} is still discovered after it stopped`)

    const crashed = services[1]
    console.log(`\nSIGKILL ${crashed.label} (${shortPeerId(crashed.peerId)}): no withdrawal, the registries' probes must find it`)
    const seenBeforeKill = watch.count
    const killedAt = performance.now()
    crashed.process.killNow()
    const goneAfter = await until(client, 'DatabaseService', instances => !instances.some(i => i.peerId === crashed.peerId), 30_000)
    const crashDownAt = await watch.waitFor(eventOf('down', crashed.peerId), 30_000, seenBeforeKill)
    console.log(`  gone from discovery ${(goneAfter / 1000).toFixed(2)} s after the kill; the watch said down ${((crashDownAt - killedAt) / 1000).toFixed(2)} s after it`)

    console.log(`\nrestarting ${crashed.label} with the same identity (--data-dir)`)
    const seenBeforeRestart = watch.count
    const restartedAt = performance.now()
    const restarted = await startService(crashed, registries)
    services[1] = restarted
    if (restarted.peerId !== crashed.peerId) throw new Error('the restarted instance has a new peer id')
    const registeredAt = performance.now()
    const upAt = await watch.waitFor(eventOf('up', crashed.peerId), READY_TIMEOUT_MS, seenBeforeRestart)
    // The watch's event can come before the new process's own "registered" line reaches this one.
    console.log(`  back: the watch said up ${((upAt - restartedAt) / 1000).toFixed(2)} s after the restart began (a new process; it reported its registration at ${((registeredAt - restartedAt) / 1000).toFixed(2)} s)`)
    await showDiscovery(client, 'DatabaseService', 2)
    watching.abort()
    await watcher.stop()
    if (keep) {
      const registryFlags = registries.map(a => `--registry ${a}`).join(' ')
      console.log('\nThe network keeps running (--keep). From another terminal, try:')
      console.log(`  npx tsx src/cli/run.ts discover DatabaseService --network ${NETWORK} ${registryFlags}`)
      console.log(`or, after "npm run build": npx netget discover CacheService --network ${NETWORK} ${registryFlags}`)
      console.log('Press Ctrl-C to stop it.')
      await new Promise(resolve => { interrupted.signal.addEventListener('abort', resolve, { once: true }) })
    }
  } finally {
    console.log('\nshutting down…')
    watching.abort()
    await watcher?.stop()
    await client?.stop()
    await stopAll(services)
    await rm(dataDir, { recursive: true, force: true })
    console.log('all processes stopped')
  }
}

async function demo (argv: string[]): Promise<number> {
  const unknown = argv.filter(a => a !== '--keep')
  if (unknown.length > 0) {
    console.error(`demo: unknown argument ${unknown[0]} (only --keep is accepted)`)
    return 2
  }
  const keep = argv.includes('--keep')
  const onSignal = (): void => { interrupted.abort(new Error('interrupted')) }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // If this process dies anyway, its detached children must not outlive it.
  process.on('exit', () => { for (const child of children) child.killNow() })
  try {
    await runDemo(keep)
    return 0
  } catch (err) {
    if (interrupted.signal.aborted && !keep) {
      console.error('demo interrupted')
      return 130
    }
    console.error(`demo failed: ${(err as Error).message}`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

process.exitCode = await demo(process.argv.slice(2))
