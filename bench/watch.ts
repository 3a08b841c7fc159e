/**
 * `npm run bench:watch`: how long a change takes to reach a watcher, on 127.0.0.1. One registry in a process of
 * its own (as in production), a service and a watching client in this one. Measured from the call that makes
 * the change to the watcher's event (changes are paced under the registry's publish rate, so each one also
 * pays the wake-up of processes that were idle, ≈ 1.5 ms on this machine: a paced discovery takes 2.2 ms where
 * back-to-back ones take 0.7):
 * - `changed`: a registered service republishes new metadata (registerWithNetwork() on warm connections);
 * - `up`: a new instance registers (its node already started and connected, so the figure is not a dial);
 * - `down`: an instance stops (its withdrawal).
 * Prints a table and writes bench/results/watch.json (or --json FILE).
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Netget } from '../src/index.js'
import { summarize } from './stats.js'
import type { WatchEvent } from '../src/index.js'
import type { Summary } from './stats.js'

const args = process.argv.slice(2)
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}
const SAMPLES = Number(flag('--samples', '200'))
const jsonFile = flag('--json', fileURLToPath(new URL('./results/watch.json', import.meta.url)))
const EVENT_TIMEOUT_MS = 10_000

const watchdog = setTimeout(() => { process.stderr.write('bench:watch: watchdog fired after 240 s\n'); process.exit(2) }, 240_000)
watchdog.unref()

/**
 * A registry in a child process, run through the library with its defaults (the CLI's registry logs a line per
 * record stored, which costs each publication ≈ 0.6 ms here: that is the daemon's logging, not the watch).
 */
async function registryProcess (): Promise<{ address: string, kill: () => void }> {
  const entry = fileURLToPath(new URL('./watch-registry.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['ignore', 'pipe', 'inherit'] })
  process.on('exit', () => { child.kill('SIGKILL') })
  let out = ''
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the registry did not start within 20 s')) }, 20_000)
    child.stdout.on('data', chunk => {
      out += chunk
      const match = /^listening (\S+)$/m.exec(out)
      if (match !== null) { clearTimeout(timer); resolve(match[1]) }
    })
  })
  return { address, kill: () => { child.kill('SIGTERM') } }
}

/** Events of a watch, with their arrival times, and a way to wait for one. */
class Follower {
  private readonly pending: Array<{ accept: (e: WatchEvent) => boolean, resolve: (at: number) => void }> = []
  constructor (events: AsyncIterable<WatchEvent>) {
    void (async () => {
      for await (const event of events) {
        const at = performance.now()
        for (const [i, p] of this.pending.entries()) {
          if (!p.accept(event)) continue
          this.pending.splice(i, 1)
          p.resolve(at)
          break
        }
      }
    })()
  }

  async next (accept: (e: WatchEvent) => boolean): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('no watch event within 10 s')) }, EVENT_TIMEOUT_MS)
      this.pending.push({ accept, resolve: at => { clearTimeout(timer); resolve(at) } })
    })
  }
}

const is = (type: 'up' | 'down' | 'changed', peerId: string) => (e: WatchEvent): boolean => e.type === type && e.instance.peerId === peerId

const load = { start: loadavg().map(l => Number(l.toFixed(2))) }
const registry = await registryProcess()
const registryNodes = [registry.address]
const client = new Netget({ registryNodes })
const controller = new AbortController()
const follower = new Follower(client.watch('Bench', { signal: controller.signal }))
const service = new Netget({ registryNodes, metadata: { name: 'Bench', n: 0 } })
await service.start()
const first = follower.next(is('up', service.peerId))
await service.registerWithNetwork()
await first

/** A registry accepts 10 publishes per second per peer (publishRate): changes are paced under it. */
const PACE_MS = 110
const pause = async (): Promise<void> => { await new Promise(resolve => setTimeout(resolve, PACE_MS)) }

const changed: number[] = []
const publish: number[] = []
const afterAck: number[] = []
for (let i = 1; i <= SAMPLES; i++) {
  await pause()
  service.metadata = { name: 'Bench', n: i }
  const arrived = follower.next(e => is('changed', service.peerId)(e) && e.type === 'changed' && e.instance.metadata.n === i)
  const started = performance.now()
  await service.registerWithNetwork()
  const acked = performance.now()
  const at = await arrived
  changed.push(at - started)
  publish.push(acked - started)
  // The registry answers the publisher and pushes to the watcher at the same moment: the push's own cost.
  afterAck.push(at - acked)
}

const up: number[] = []
const down: number[] = []
const rounds = Math.max(5, Math.floor(SAMPLES / 10))
for (let i = 0; i < rounds; i++) {
  const instance = new Netget({ registryNodes, metadata: { name: 'Bench' } })
  // Started and connected first: what is measured is the registration reaching the watcher, not a dial.
  await instance.start()
  await instance.discoverServiceNode('Warmup')
  const cameUp = follower.next(is('up', instance.peerId))
  let started = performance.now()
  await instance.registerWithNetwork()
  up.push((await cameUp) - started)
  const wentDown = follower.next(is('down', instance.peerId))
  started = performance.now()
  await instance.stop()
  down.push((await wentDown) - started)
}

controller.abort()
await service.stop()
await client.stop()
registry.kill()

const results: Record<string, Summary | null> = { changed: summarize(changed), 'publish (ack)': summarize(publish), 'push after ack': summarize(afterAck), up: summarize(up), down: summarize(down) }
const report = { node: process.version, samples: { changed: changed.length, up: up.length, down: down.length }, loadavg: { ...load, end: loadavg().map(l => Number(l.toFixed(2))) }, latencyMs: results }
writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n')
console.log(`watch latency, change → watcher's event (ms), one registry in its own process, Node ${process.version}, load ${report.loadavg.start.join(' ')} → ${report.loadavg.end.join(' ')}`)
console.log('event               n      p50      p95      p99      max')
for (const [name, s] of Object.entries(results)) {
  if (s === null) continue
  console.log(`${name.padEnd(18)} ${String(s.n).padStart(4)} ${s.p50.toFixed(2).padStart(8)} ${s.p95.toFixed(2).padStart(8)} ${s.p99.toFixed(2).padStart(8)} ${s.max.toFixed(2).padStart(8)}`)
}
console.log(`json: ${jsonFile}`)
process.exit(0)
