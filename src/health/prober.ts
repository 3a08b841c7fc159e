/**
 * Registry-side failure detector: probes every instance `targets()` names, marks it down after
 * `unhealthyThreshold` consecutive misses and up again at its first good answer.
 * Down instances are still probed (every DOWN_PROBE_EVERY rounds, until their record expires) so that they can
 * come back.
 *
 * Fair and bounded: each round appends the targets that are neither queued nor being probed to one FIFO queue,
 * which at most MAX_CONCURRENT_PROBES probes drain. No target is ever passed over: with N targets, the probe
 * timeout T and the round interval I, a target is probed again at most I + (⌈N / 64⌉ + 1) × T after its last
 * probe started (it waits at most I to be queued again, behind at most N − 1 others that free a slot each within
 * T, and its own probe ends within T). Once the queue takes longer than I to drain, rounds follow the drain time
 * (⌈N / 64⌉ × T at worst) instead of piling up: a target is in the queue at most once.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { deadline } from '../util/deadline.js'
import { probe } from './probe.js'
import type { NetgetLibp2p } from '../node/create-node.js'

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
}

interface TargetState {
  misses: number
  down: boolean
  /** Rounds passed over while down. */
  skipped: number
}

/** Probes running at once on one registry. */
export const MAX_CONCURRENT_PROBES = 64
/** A down instance is probed once every this many rounds. */
export const DOWN_PROBE_EVERY = 3

export class Prober {
  private readonly init: ProberInit
  private readonly node: NetgetLibp2p
  private readonly states = new Map<string, TargetState>()
  private addresses = new Map<string, string[]>()
  /** Probes asked for by probeSoon(): they go first. Insertion-ordered sets: FIFO, each peer at most once. */
  private readonly urgent = new Set<string>()
  private readonly queue = new Set<string>()
  /** Targets being probed now (a set of its own: a target's state may be dropped and re-made meanwhile). */
  private readonly inFlight = new Set<string>()
  private timer?: ReturnType<typeof setInterval>
  private controller?: AbortController
  private running = 0
  private releaseConnections?: () => void

  constructor (node: NetgetLibp2p, init: ProberInit) {
    this.node = node
    this.init = init
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
    this.controller?.abort()
    this.controller = undefined
    this.releaseConnections?.()
    this.releaseConnections = undefined
    this.states.clear()
    this.urgent.clear()
    this.queue.clear()
    // Probes still in flight end at once (their signal fired) and no longer count against a later start().
    this.inFlight.clear()
    this.running = 0
  }

  isDown (peerId: string): boolean {
    return this.states.get(peerId)?.down === true
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
    for (const peerId of this.states.keys()) {
      if (!targets.has(peerId)) this.states.delete(peerId)
    }
    for (const peerId of this.queue) {
      if (!targets.has(peerId)) this.queue.delete(peerId)
    }
    for (const peerId of targets.keys()) {
      let state = this.states.get(peerId)
      if (state === undefined) {
        state = { misses: 0, down: false, skipped: 0 }
        this.states.set(peerId, state)
      }
      // At most one probe per target in flight or waiting: a target still queued keeps its place.
      if (this.inFlight.has(peerId) || this.queue.has(peerId) || this.urgent.has(peerId)) continue
      // An instance that is down is probed every DOWN_PROBE_EVERY rounds only (it can still come back).
      if (state.down && state.skipped++ % DOWN_PROBE_EVERY !== 0) continue
      this.queue.add(peerId)
    }
    this.pump()
  }

  /** Starts queued probes while fewer than MAX_CONCURRENT_PROBES run. */
  private pump (): void {
    const controller = this.controller
    if (controller === undefined) return
    while (this.running < MAX_CONCURRENT_PROBES) {
      const peerId = first(this.urgent) ?? first(this.queue)
      if (peerId === undefined) return
      this.urgent.delete(peerId)
      this.queue.delete(peerId)
      if (this.inFlight.has(peerId)) continue
      let state = this.states.get(peerId)
      if (state === undefined) {
        // probeSoon() for an instance no round has named yet.
        state = { misses: 0, down: false, skipped: 0 }
        this.states.set(peerId, state)
      }
      this.inFlight.add(peerId)
      this.running++
      this.probeOne(peerId, state, controller)
        .catch(() => {})
        .finally(() => {
          // After stop() (and maybe a new start()) this probe no longer counts.
          if (this.controller !== controller) return
          this.inFlight.delete(peerId)
          this.running--
          this.pump()
        })
    }
  }

  private async probeOne (peerId: string, state: TargetState, controller: AbortController): Promise<void> {
    const limit = deadline(this.init.timeout, controller.signal)
    try {
      const result = await probe(this.node, this.init.network, peerIdFromString(peerId), limit.signal, this.addresses.get(peerId))
      // Stopped meanwhile, or the target left (its state was dropped): the verdict no longer matters.
      if (controller.signal.aborted || this.states.get(peerId) !== state) return
      if (result.healthy) {
        state.misses = 0
        if (state.down) {
          state.down = false
          this.init.onUp(peerId)
        }
      } else {
        state.misses++
        if (!state.down && state.misses >= this.init.unhealthyThreshold) {
          state.down = true
          this.init.onDown(peerId, result.error ?? 'no answer')
        }
      }
    } finally {
      limit.clear()
    }
  }
}

function first (set: Set<string>): string | undefined {
  for (const value of set) return value
  return undefined
}
