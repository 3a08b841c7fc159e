/**
 * Registry-side failure detector: probes every instance `targets()` names and keeps what it learns of each
 * (status, last answer, named checks, load). Suspicion before removal, as SWIM/Lifeguard do: a failed probe makes
 * an instance `suspect` and brings its next probe forward (SUSPECT_RETRY_MS); at `unhealthyThreshold`
 * consecutive failures it is marked down, at once if it answered NOT_SERVING (a failing check says so itself), or
 * else only after a confirmation probe with twice the deadline also fails, so that a stall of up to twice the
 * probe timeout or one lost answer never removes a live instance. The first good answer brings it back.
 * Down instances that still answer are probed every round (they come back within an interval of passing);
 * those that do not are probed every DOWN_PROBE_EVERY rounds, until their record expires.
 *
 * Fair, paced and bounded: each round appends the targets that are neither queued nor being probed to one FIFO
 * queue, whose probes start one every interval / (targets queued) ms, at most MAX_CONCURRENT_PROBES at once; a
 * probe asked for by probeSoon() (a suspect's retry, a confirmation) starts at once, but such probes hold at most
 * MAX_URGENT_PROBES slots, and a confirmation never runs in a round probe's slot. No target is ever passed over:
 * with N targets, the probe timeout T and the round interval I, a target is probed again at most
 * 2I + (⌈N / 32⌉ + 1) × T after its last probe started (it waits at most I to be queued again and at most I for
 * its turn in the queue, or behind at most N − 1 others in the ROUND_PROBE_SLOTS (32) slots the queue always has,
 * each freed within T, and its own probe ends within T); in a steady round order it is probed every I. Once the queue takes longer than I to drain, rounds follow the drain time instead of piling
 * up: a target is in the queue at most once. Timing model and worst cases: docs/health.md.
 */
import { deadline } from '../util/deadline.js'
import { sameVerdicts } from './model.js'
import { ProbeSessions } from './probe-sessions.js'
import type { InstanceHealth } from './model.js'
import type { ProbeResult } from './probe.js'
import type { ProbeSessionsComponents } from './probe-sessions.js'
import type { NetgetServices } from '../node/create-node.js'
import type { Logger } from '@libp2p/interface'

/** Its probe sessions', and the connection policy that keeps the probed instances' connections open. */
export type ProberComponents = ProbeSessionsComponents & { services: Pick<NetgetServices, 'connections'> }

export interface ProberInit {
  network: string
  /** Time between rounds (ms). */
  interval: number
  /** Deadline of one probe (ms). */
  timeout: number
  /** Consecutive misses before an instance is marked down. */
  unhealthyThreshold: number
  /**
   * The instances to probe now: peer id → addresses from its record. Called once per round; whatever it leaves
   * out is no longer probed and its state is dropped (e.g. a registry probes only the instances for which it is
   * among the closest few holders).
   */
  targets: () => Map<string, string[]>
  onDown: (peerId: string, reason: string) => void
  onUp: (peerId: string) => void
  /** What a watcher would see changed: the status, or a check's verdict (not outputs, load or lastSeen). */
  onHealthChange?: (peerId: string, health: InstanceHealth) => void
}

interface TargetState {
  misses: number
  down: boolean
  /** Rounds passed over while down. */
  skipped: number
  /** Whether its last probe got an answer (NOT_SERVING included). */
  answered: boolean
  health: InstanceHealth
  /** The early probe of a suspect. */
  retry?: ReturnType<typeof setTimeout>
  /** Missed unhealthyThreshold probes: its next probe is the confirmation, with the longer deadline. */
  confirming: boolean
}

/** Probes running at once on one registry. */
export const MAX_CONCURRENT_PROBES = 64
/**
 * Of those, the most that probeSoon() (a suspect's early retry, a confirmation, a closed connection) may hold: the
 * rest are the round queue's, so that silent targets' retries and confirmations, which jump the queue and hold a
 * slot for up to twice the timeout, cannot starve the targets that answer (their wait bound counts on it).
 */
export const MAX_URGENT_PROBES = 32
/** Slots the round queue always has. */
export const ROUND_PROBE_SLOTS = MAX_CONCURRENT_PROBES - MAX_URGENT_PROBES
/** A down instance that does not answer is probed once every this many rounds. */
export const DOWN_PROBE_EVERY = 3
/** A suspect is probed again this soon (ms) rather than at its next turn, or at the next interval if sooner. */
export const SUSPECT_RETRY_MS = 1000
/** The confirmation probe's deadline, in probe timeouts. */
export const CONFIRM_TIMEOUTS = 2

export class Prober {
  private readonly init: ProberInit
  private readonly node: ProberComponents
  private readonly log: Logger
  private readonly states = new Map<string, TargetState>()
  private addresses = new Map<string, string[]>()
  /** Probes asked for by probeSoon(): they go first. Insertion-ordered sets: FIFO, each peer at most once. */
  private readonly urgent = new Set<string>()
  private readonly queue = new Set<string>()
  /** Targets being probed now (a set of its own: a target's state may be dropped and re-made meanwhile). */
  private readonly inFlight = new Set<string>()
  private timer?: ReturnType<typeof setInterval>
  /** Round probes start one per `spacing` ms, spread over the interval rather than all at its start. */
  private spacing = 0
  private nextStart = 0
  private paceTimer?: ReturnType<typeof setTimeout>
  private controller?: AbortController
  private running = 0
  private urgentRunning = 0
  private releaseConnections?: () => void
  private readonly sessions: ProbeSessions

  constructor (node: ProberComponents, init: ProberInit) {
    this.node = node
    this.log = node.logger.forComponent('netget:prober')
    this.init = init
    this.sessions = new ProbeSessions(node, init)
  }

  start (): void {
    if (this.timer !== undefined) return
    this.controller = new AbortController()
    this.timer = setInterval(() => { this.round() }, this.init.interval)
    this.timer.unref()
    // Probed every round: their connections stay open rather than being closed idle and re-dialled.
    this.releaseConnections = this.node.services.connections?.keep(peerId => this.states.has(peerId))
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    clearTimeout(this.paceTimer)
    this.paceTimer = undefined
    this.controller?.abort()
    this.controller = undefined
    this.releaseConnections?.()
    this.releaseConnections = undefined
    this.sessions.closeAll()
    for (const state of this.states.values()) clearTimeout(state.retry)
    this.states.clear()
    this.urgent.clear()
    this.queue.clear()
    // Probes still in flight end at once (their signal fired) and no longer count against a later start().
    this.inFlight.clear()
    this.running = 0
    this.urgentRunning = 0
  }

  isDown (peerId: string): boolean {
    return this.states.get(peerId)?.down === true
  }

  /** What this prober knows of an instance's health; undefined when it does not probe it. */
  healthOf (peerId: string): InstanceHealth | undefined {
    return this.states.get(peerId)?.health
  }

  /** Probes one instance as soon as a slot is free, ahead of the round's queue (e.g. its connection just closed). */
  probeSoon (peerId: string): void {
    if (this.controller === undefined) return
    if (this.inFlight.has(peerId)) return
    this.queue.delete(peerId)
    this.urgent.add(peerId)
    this.pump()
  }

  private round (): void {
    const targets = this.init.targets()
    this.addresses = targets
    for (const [peerId, state] of this.states) {
      if (targets.has(peerId)) continue
      clearTimeout(state.retry)
      this.states.delete(peerId)
      this.sessions.forget(peerId)
      // No longer probed here (its record left, or a closer registry probes it): if it was down, this registry
      // serves it again, unknown, and its watchers must hear of it.
      if (state.down) this.init.onHealthChange?.(peerId, { status: 'unknown', checks: [] })
    }
    for (const peerId of this.queue) {
      if (!targets.has(peerId)) this.queue.delete(peerId)
    }
    // A confirmation or retry may wait for an urgent slot for seconds: one whose target left is not probed.
    for (const peerId of this.urgent) {
      if (!targets.has(peerId)) this.urgent.delete(peerId)
    }
    for (const peerId of targets.keys()) {
      let state = this.states.get(peerId)
      if (state === undefined) {
        state = newState()
        this.states.set(peerId, state)
      }
      // At most one probe per target in flight or waiting: a target still queued keeps its place.
      if (this.inFlight.has(peerId) || this.queue.has(peerId) || this.urgent.has(peerId)) continue
      // A down instance that does not answer is probed every DOWN_PROBE_EVERY rounds only (it can still come
      // back); one that answers NOT_SERVING every round, so that it is back within an interval of passing.
      if (state.down && !state.answered && state.skipped++ % DOWN_PROBE_EVERY !== 0) continue
      this.queue.add(peerId)
    }
    this.spacing = this.queue.size > 0 ? this.init.interval / this.queue.size : 0
    this.pump()
  }

  /**
   * Starts queued probes while fewer than MAX_CONCURRENT_PROBES run: urgent ones at once, a round's one per
   * `spacing` ms. A burst of every target's probe at the round's start cost each registry process an event-loop
   * stall per round (hundreds of probes answered at once), which lookups then waited behind.
   */
  private pump (): void {
    const controller = this.controller
    if (controller === undefined) return
    while (this.running < MAX_CONCURRENT_PROBES) {
      let peerId = this.urgentRunning < MAX_URGENT_PROBES ? first(this.urgent) : undefined
      const urgent = peerId !== undefined
      if (peerId === undefined) {
        peerId = first(this.queue)
        if (peerId === undefined) return
        const now = performance.now()
        if (now < this.nextStart) {
          if (this.paceTimer === undefined) {
            this.paceTimer = setTimeout(() => { this.paceTimer = undefined; this.pump() }, this.nextStart - now)
            this.paceTimer.unref()
          }
          return
        }
        // Never behind by more than one spacing: a queue that waited on the concurrency cap does not then burst.
        this.nextStart = Math.max(this.nextStart, now - this.spacing) + this.spacing
      }
      this.urgent.delete(peerId)
      this.queue.delete(peerId)
      if (this.inFlight.has(peerId)) continue
      let state = this.states.get(peerId)
      if (state === undefined) {
        // probeSoon() for an instance no round has named yet.
        state = newState()
        this.states.set(peerId, state)
      }
      this.inFlight.add(peerId)
      this.running++
      if (urgent) this.urgentRunning++
      const probed = peerId
      this.probeOne(probed, state, controller)
        .catch((err: unknown) => { this.log.error('probing %s failed unexpectedly: %e', probed, err) })
        .finally(() => {
          // After stop() (and maybe a new start()) this probe no longer counts.
          if (this.controller !== controller) return
          this.inFlight.delete(probed)
          this.running--
          if (urgent) this.urgentRunning--
          // Its confirmation, in a slot of its own (below MAX_URGENT_PROBES), ahead of the queue.
          if (this.states.get(probed)?.confirming === true) {
            this.queue.delete(probed)
            this.urgent.add(probed)
          }
          this.pump()
        })
    }
  }

  private async probeOne (peerId: string, state: TargetState, controller: AbortController): Promise<void> {
    clearTimeout(state.retry)
    state.retry = undefined
    const confirming = state.confirming
    state.confirming = false
    const result = await this.probeWithin(peerId, this.init.timeout * (confirming ? CONFIRM_TIMEOUTS : 1), controller)
    // Stopped meanwhile, or the target left (its state was dropped): the verdict no longer matters.
    if (result === undefined || this.states.get(peerId) !== state) return
    const before = state.health
    // A confirmation left unanswered adds no miss: it confirms those counted.
    if (!confirming || result.healthy || result.answered) this.record(state, result)
    if (!confirming && !result.healthy && !state.down && state.misses >= this.init.unhealthyThreshold && !result.answered) {
      // Suspected long enough: confirm with a longer deadline before removing an instance that may only be slow.
      // Not in this slot: a round's probe holds its slot one timeout at most (the wait bound counts on it).
      state.confirming = true
      return
    }
    if (result.healthy) {
      state.misses = 0
      state.health = { ...state.health, status: 'passing' }
      if (state.down) {
        state.down = false
        this.init.onUp(peerId)
      }
    } else if (!state.down && state.misses >= this.init.unhealthyThreshold) {
      state.down = true
      state.health = { ...state.health, status: 'failing' }
      if (!result.answered) this.sessions.hangUp(peerId)
      this.init.onDown(peerId, result.error ?? 'no answer')
    } else if (!state.down) {
      state.health = { ...state.health, status: 'suspect' }
      this.retrySoon(peerId, state)
    }
    if (!sameVerdicts(before, state.health)) this.init.onHealthChange?.(peerId, state.health)
  }

  /** One probe under its own deadline; undefined once the prober stopped. */
  private async probeWithin (peerId: string, timeout: number, controller: AbortController): Promise<ProbeResult | undefined> {
    const limit = deadline(timeout, controller.signal)
    try {
      const result = await this.sessions.probe(peerId, this.addresses.get(peerId) ?? [], limit.signal)
      return controller.signal.aborted ? undefined : result
    } finally {
      limit.clear()
    }
  }

  /** What one probe tells: misses, and from an answer its checks, load and time. */
  private record (state: TargetState, result: ProbeResult): void {
    state.answered = result.answered
    if (!result.healthy) state.misses++
    if (!result.answered) return
    state.health = {
      status: state.health.status,
      lastSeen: Date.now(),
      checks: result.checks ?? [],
      ...(result.load !== undefined ? { load: result.load } : {})
    }
  }

  /** A suspect's next probe, brought forward. */
  private retrySoon (peerId: string, state: TargetState): void {
    clearTimeout(state.retry)
    state.retry = setTimeout(() => {
      state.retry = undefined
      if (this.states.get(peerId) === state) this.probeSoon(peerId)
    }, Math.min(SUSPECT_RETRY_MS, this.init.interval))
    state.retry.unref()
  }
}

function newState (): TargetState {
  return { misses: 0, down: false, skipped: 0, answered: false, health: { status: 'unknown', checks: [] }, confirming: false }
}

function first (set: Set<string>): string | undefined {
  for (const value of set) return value
  return undefined
}
