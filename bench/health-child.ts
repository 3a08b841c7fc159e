/**
 * One service instance of `npm run bench:health`, in a process of its own (modelled on
 * test/fixtures/service-process.ts). argv: REGISTRIES (multiaddrs, comma-separated) NAME [STALL_SPEC].
 * Prints `{"peerId": …}` once registered, then runs until killed (SIGKILL in the kill scenario; SIGTERM stops it
 * cleanly, withdrawing its record). Environment: BENCH_HEALTH_OPTIONS, health options as JSON (default: none).
 *
 * STALL_SPEC = `MODE:STALL_MIN_MS-STALL_MAX_MS:GAP_MIN_MS-GAP_MAX_MS`, e.g. `sleep:1000-2000:3000-8000`: after a
 * random gap in [GAP_MIN, GAP_MAX] ms the event loop is blocked for a random [STALL_MIN, STALL_MAX] ms, again and
 * again. MODE `sleep` blocks the thread with Atomics.wait (no CPU used: an unresponsive process, as in a long
 * synchronous I/O call or a descheduled VM); `busy` spins (a long GC or a CPU-bound task; on a small machine the
 * spinning also slows the registry down). After each stall it prints `{"stall": {"at": <epoch ms of its start>,
 * "ms": <its length>}}` so that the benchmark can match suspicions to stalls.
 */
import { Netget } from '../src/index.js'
import type { NetgetOptions } from '../src/index.js'

const [registries, name, stallSpec] = process.argv.slice(2)
if (registries === undefined || name === undefined) {
  process.stderr.write('usage: health-child.ts REGISTRIES NAME [MODE:STALL_MIN-STALL_MAX:GAP_MIN-GAP_MAX]\n')
  process.exit(2)
}

interface Stalls { mode: 'sleep' | 'busy', stallMin: number, stallMax: number, gapMin: number, gapMax: number }

function parseStalls (spec: string): Stalls {
  const m = /^(sleep|busy):(\d+)-(\d+):(\d+)-(\d+)$/.exec(spec)
  if (m === null) throw new Error(`bad stall spec ${JSON.stringify(spec)}`)
  return { mode: m[1] as Stalls['mode'], stallMin: Number(m[2]), stallMax: Number(m[3]), gapMin: Number(m[4]), gapMax: Number(m[5]) }
}

const stalls = stallSpec !== undefined && stallSpec !== '' ? parseStalls(stallSpec) : undefined
const uniform = (min: number, max: number): number => min + Math.random() * (max - min)
const blocker = new Int32Array(new SharedArrayBuffer(4))

function stall (ms: number, mode: Stalls['mode']): void {
  if (mode === 'sleep') {
    Atomics.wait(blocker, 0, 0, ms)
    return
  }
  const end = performance.now() + ms
  while (performance.now() < end) { /* a blocked event loop */ }
}

// The benchmark's health flags (healthTimeout: the answering side's deadline), as JSON; empty: the defaults.
const healthOptions = JSON.parse(process.env.BENCH_HEALTH_OPTIONS ?? '{}') as NetgetOptions
const service = new Netget({ ...healthOptions, metadata: { name }, registryNodes: registries.split(',') })
await service.registerWithNetwork()
process.stdout.write(`${JSON.stringify({ peerId: service.peerId })}\n`)

let stopping = false
if (stalls !== undefined) {
  const next = (): void => {
    setTimeout(() => {
      if (stopping) return
      const at = Date.now()
      const t0 = performance.now()
      stall(uniform(stalls.stallMin, stalls.stallMax), stalls.mode)
      process.stdout.write(`${JSON.stringify({ stall: { at, ms: Math.round(performance.now() - t0) } })}\n`)
      next()
    }, uniform(stalls.gapMin, stalls.gapMax))
  }
  next()
}

process.on('SIGTERM', () => {
  stopping = true
  void service.stop().then(() => process.exit(0), () => process.exit(1))
})
