/**
 * The load figures a node's probe answers carry: its process's CPU, event-loop delay and memory. One sampler per
 * process, shared by every node in it (they share the process, its loop and its heap), started by the first
 * node and stopped with the last.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { LoadFigures } from './model.js'

/** Sampling period (ms): figures are at most this old. */
export const LOAD_SAMPLE_MS = 2000
/** Event-loop delay sampling resolution (ms). */
const RESOLUTION_MS = 20

let users = 0
let timer: ReturnType<typeof setInterval> | undefined
let histogram: ReturnType<typeof monitorEventLoopDelay> | undefined
let lastCpu = process.cpuUsage()
let lastAt = performance.now()
let current: LoadFigures = { cpu: 0, eventLoopDelay: 0, rss: 0 }

function sample (): void {
  const now = performance.now()
  const cpu = process.cpuUsage(lastCpu)
  const elapsed = Math.max(1, now - lastAt)
  current = {
    cpu: (cpu.user + cpu.system) / 1000 / elapsed,
    // The histogram's samples include its own resolution: an idle loop would read as 10 ms late.
    eventLoopDelay: histogram !== undefined && histogram.count > 0 ? Math.max(0, histogram.percentile(99) / 1e6 - RESOLUTION_MS) : 0,
    rss: process.memoryUsage.rss() / (1024 * 1024)
  }
  histogram?.reset()
  lastCpu = process.cpuUsage()
  lastAt = now
}

/** Starts sampling (if no node did yet); returns the release to call at stop. */
export function useLoadSampler (): () => void {
  if (users++ === 0) {
    histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
    histogram.enable()
    lastCpu = process.cpuUsage()
    lastAt = performance.now()
    sample()
    timer = setInterval(sample, LOAD_SAMPLE_MS)
    timer.unref()
  }
  let released = false
  return () => {
    if (released) return
    released = true
    if (--users > 0) return
    clearInterval(timer)
    timer = undefined
    histogram?.disable()
    histogram = undefined
  }
}

export function currentLoad (): LoadFigures {
  return { ...current }
}
