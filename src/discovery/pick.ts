/**
 * Picking one instance for a caller: among the healthiest available (passing, else not yet probed, else
 * suspect), either at random or the less loaded of two chosen at random ("power of two choices"): every client
 * reads the same load figures, a few seconds old, and all of them going to the one least loaded instance would
 * overload it before the figures showed it.
 */
import type { ServiceInstance } from '../records/instance.js'

export type PickStrategy = 'random' | 'least-loaded'

const PREFERENCE = ['passing', 'unknown', 'suspect'] as const

/** One instance of `instances`, or undefined when none is healthy enough (failing ones are never picked). */
export function pickInstance (instances: ServiceInstance[], strategy: PickStrategy, random: () => number = Math.random): ServiceInstance | undefined {
  for (const status of PREFERENCE) {
    const pool = instances.filter(i => i.health.status === status)
    if (pool.length === 0) continue
    const i = Math.floor(random() * pool.length)
    if (strategy === 'random' || pool.length === 1) return pool[i]
    // A second, different one: an index among the others.
    let j = Math.floor(random() * (pool.length - 1))
    if (j >= i) j++
    return loadOf(pool[j]) < loadOf(pool[i]) ? pool[j] : pool[i]
  }
  return undefined
}

/**
 * One figure to compare instances by: CPU in cores, plus event-loop delay (each 100 ms counts as a busy core:
 * a stalled loop serves nobody however idle the CPU). Unknown load counts as a half-busy core.
 */
export function loadOf (instance: ServiceInstance): number {
  const load = instance.health.load
  if (load === undefined) return 0.5
  return load.cpu + load.eventLoopDelay / 100
}
