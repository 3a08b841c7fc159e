/**
 * The failure detector's timing model (docs/health.md), as numbers: how long a dead instance can stay in
 * discovery, and how long a stall must last before a live one is removed. Tests and the docs use the same
 * formulas.
 */
import { CONFIRM_TIMEOUTS, ROUND_PROBE_SLOTS, SUSPECT_RETRY_MS } from './prober.js'

export interface TimingOptions {
  healthInterval: number
  healthTimeout: number
  unhealthyThreshold: number
}

/** Time from a failed probe to the suspect's next one (ms). */
export function suspectRetry (o: TimingOptions): number {
  return Math.min(SUSPECT_RETRY_MS, o.healthInterval)
}

/**
 * Worst case from an instance going silent (no answer, no closed connection: a host or link gone) to its removal
 * by one probing registry holding `targets` instances (ms): the wait for its next probe (the prober's bound), that
 * probe's deadline, the threshold's further probes brought forward, and the confirmation.
 * A process that dies on a live host is found sooner: its connections close, which probes it at once and makes
 * every probe fail in a few ms, so it is removed ≈ (threshold − 1) × suspectRetry after its death.
 */
export function silentDetectionBound (o: TimingOptions, targets = ROUND_PROBE_SLOTS): number {
  const T = o.healthTimeout
  const nextProbe = 2 * o.healthInterval + (Math.ceil(targets / ROUND_PROBE_SLOTS) + 1) * T
  return nextProbe + T + (o.unhealthyThreshold - 1) * (suspectRetry(o) + T) + CONFIRM_TIMEOUTS * T
}

/**
 * The longest event-loop stall (or run of lost answers) a live instance survives (ms): a stall from the moment a
 * probe is sent must outlast the threshold's probes and the confirmation's longer deadline before it removes it.
 */
export function toleratedStall (o: TimingOptions): number {
  const T = o.healthTimeout
  return (o.unhealthyThreshold - 1) * (T + suspectRetry(o)) + T + CONFIRM_TIMEOUTS * T
}
