/**
 * What netget knows of an instance's health, as the API hands it out, and its wire forms (health.proto's answer,
 * registry.proto's per-record health). Everything that comes off the wire is bounded and cleaned here, once.
 */
import { InstanceHealth as WireHealth } from '../../protocols/registry.js'
import type { CheckResult as WireCheck, Load as WireLoad } from '../../protocols/health.js'

/**
 * - `passing`: its last probe succeeded;
 * - `suspect`: its last probe failed (a stall, a lost answer); still served until confirmed down;
 * - `failing`: down (failed probes, or a failing check); discovery leaves it out, watch reports it `down`;
 * - `unknown`: no registry that answered probes it yet.
 */
export type HealthStatus = 'passing' | 'suspect' | 'failing' | 'unknown'

export interface CheckResult {
  name: string
  passing: boolean
  /** What the check said (its string result, its error's message, "timed out"), at most 96 bytes. */
  output: string
  /** When it last ran (ms since the epoch, on the reader's clock). */
  lastRun: number
}

export interface LoadFigures {
  /** CPU the instance's process used recently, in cores (1 = one core busy). */
  cpu: number
  /** Event-loop delay, 99th percentile over the last sampling period (ms). */
  eventLoopDelay: number
  /** Resident memory of its process (MiB). */
  rss: number
}

export interface InstanceHealth {
  status: HealthStatus
  /** When a registry last had an answer from it (ms since the epoch); undefined while unknown. */
  lastSeen?: number
  /** Its named checks, as they last ran. */
  checks: CheckResult[]
  load?: LoadFigures
}

/** `last_seen_ms_ago` of an instance that never answered this registry (0 would read as "just now"). */
const NEVER_SEEN = 0xffffffff

export const MAX_CHECKS = 16
export const MAX_CHECK_OUTPUT_BYTES = 96
const CHECK_NAME = /^[a-z0-9_.-]{1,32}$/

export function unknownHealth (): InstanceHealth {
  return { status: 'unknown', checks: [] }
}

export function isCheckName (name: string): boolean {
  return CHECK_NAME.test(name)
}

/** `text` cut to at most `max` bytes of UTF-8, never inside a character. */
export function truncateUtf8 (text: string, max = MAX_CHECK_OUTPUT_BYTES): string {
  if (Buffer.byteLength(text) <= max) return text
  let out = text.slice(0, max)
  while (Buffer.byteLength(out) > max) out = out.slice(0, -1)
  // A lone high surrogate left at the end would encode as U+FFFD (3 bytes): drop it.
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1)
  return out
}

export function checksToWire (checks: CheckResult[], now: number): WireCheck[] {
  return checks.slice(0, MAX_CHECKS).map(c => ({
    name: c.name,
    failing: !c.passing,
    output: truncateUtf8(c.output),
    ageMs: clampUint32(now - c.lastRun)
  }))
}

/** Checks read off the wire: at most MAX_CHECKS, named properly, outputs bounded; the rest is dropped. */
export function checksFromWire (wire: WireCheck[], now: number): CheckResult[] {
  const out: CheckResult[] = []
  const names = new Set<string>()
  for (const c of wire) {
    if (out.length === MAX_CHECKS) break
    if (!isCheckName(c.name) || names.has(c.name)) continue
    names.add(c.name)
    out.push({ name: c.name, passing: !c.failing, output: truncateUtf8(c.output), lastRun: now - c.ageMs })
  }
  return out
}

export function loadToWire (load: LoadFigures): WireLoad {
  return {
    cpuPermille: clampUint32(Math.round(load.cpu * 1000)),
    eventLoopDelayUs: clampUint32(Math.round(load.eventLoopDelay * 1000)),
    rssMib: clampUint32(Math.round(load.rss))
  }
}

export function loadFromWire (wire: WireLoad | undefined): LoadFigures | undefined {
  if (wire === undefined) return undefined
  return { cpu: wire.cpuPermille / 1000, eventLoopDelay: wire.eventLoopDelayUs / 1000, rss: wire.rssMib }
}

const STATUS_TO_WIRE: Record<HealthStatus, WireHealth.Status> = {
  unknown: WireHealth.Status.UNKNOWN,
  passing: WireHealth.Status.PASSING,
  suspect: WireHealth.Status.SUSPECT,
  failing: WireHealth.Status.FAILING
}

export function healthToWire (health: InstanceHealth | undefined, now: number): WireHealth {
  if (health === undefined || health.status === 'unknown') return { status: WireHealth.Status.UNKNOWN, lastSeenMsAgo: 0, checks: [] }
  return {
    status: STATUS_TO_WIRE[health.status],
    lastSeenMsAgo: health.lastSeen === undefined ? NEVER_SEEN : Math.min(clampUint32(now - health.lastSeen), NEVER_SEEN - 1),
    checks: checksToWire(health.checks, now),
    ...(health.load !== undefined ? { load: loadToWire(health.load) } : {})
  }
}

export function healthFromWire (wire: WireHealth | undefined, now: number): InstanceHealth {
  if (wire === undefined) return unknownHealth()
  let status: HealthStatus
  switch (wire.status) {
    case WireHealth.Status.PASSING: status = 'passing'; break
    case WireHealth.Status.SUSPECT: status = 'suspect'; break
    // A registry serves no record of an instance it found down (it is left out, or `gone`): a record sent as
    // FAILING is another registry's claim that no honest one makes, and would hide a live instance from pick().
    default: return unknownHealth()
  }
  const load = loadFromWire(wire.load)
  return { status, ...(wire.lastSeenMsAgo !== NEVER_SEEN ? { lastSeen: now - wire.lastSeenMsAgo } : {}), checks: checksFromWire(wire.checks, now), ...(load !== undefined ? { load } : {}) }
}

/**
 * Of two registries' views of one instance, the one to believe: a known status over unknown, then the most
 * recent answer (the registry that heard from it last knows best).
 */
export function fresher (a: InstanceHealth, b: InstanceHealth): InstanceHealth {
  if (a.status === 'unknown') return b
  if (b.status === 'unknown') return a
  return (b.lastSeen ?? 0) > (a.lastSeen ?? 0) ? b : a
}

/**
 * Whether a watcher should hear of a change: the status or a check's verdict changed, or a check came or went.
 * Outputs, run times, load figures and lastSeen change at every probe and are not a change.
 */
export function sameVerdicts (a: InstanceHealth, b: InstanceHealth): boolean {
  if (a.status !== b.status || a.checks.length !== b.checks.length) return false
  const verdicts = new Map(a.checks.map(c => [c.name, c.passing]))
  return b.checks.every(c => verdicts.get(c.name) === c.passing)
}

export function copyHealth (health: InstanceHealth): InstanceHealth {
  return { ...health, checks: health.checks.map(c => ({ ...c })), ...(health.load !== undefined ? { load: { ...health.load } } : {}) }
}

function clampUint32 (n: number): number {
  if (!Number.isFinite(n) || n < 0) return 0
  return Math.min(Math.floor(n), 0xffffffff)
}
