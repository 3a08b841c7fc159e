/**
 * Registry-side failure detector: probes every instance whose record the registry holds, marks it down
 * after `unhealthyThreshold` consecutive misses and up again at its first good answer.
 * Down instances are still probed (until their record expires) so that they can come back.
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
  /** The instances to probe now: peer id → addresses from its record. */
  targets: () => Map<string, string[]>
  onDown: (peerId: string, reason: string) => void
  onUp: (peerId: string) => void
}

interface TargetState {
  misses: number
  down: boolean
  inFlight: boolean
  /** Rounds passed over while down. */
  skipped: number
}

/** Probes running at once on one registry. */
export const MAX_CONCURRENT_PROBES = 64
/** A down instance is probed once every this many rounds. */
const DOWN_PROBE_EVERY = 3

export class Prober {
  private readonly init: ProberInit
  private readonly node: NetgetLibp2p
  private readonly states = new Map<string, TargetState>()
  private addresses = new Map<string, string[]>()
  private timer?: ReturnType<typeof setInterval>
  private controller?: AbortController
  private running = 0

  constructor (node: NetgetLibp2p, init: ProberInit) {
    this.node = node
    this.init = init
  }

  start (): void {
    if (this.timer !== undefined) return
    this.controller = new AbortController()
    this.timer = setInterval(() => { this.round() }, this.init.interval)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.controller?.abort()
    this.controller = undefined
    this.states.clear()
  }

  isDown (peerId: string): boolean {
    return this.states.get(peerId)?.down === true
  }

  /** Probes one instance now, e.g. when its connection just closed. */
  probeSoon (peerId: string): void {
    void this.probeOne(peerId)
  }

  private round (): void {
    const targets = this.init.targets()
    this.addresses = targets
    for (const peerId of this.states.keys()) {
      if (!targets.has(peerId)) this.states.delete(peerId)
    }
    for (const peerId of targets.keys()) void this.probeOne(peerId)
  }

  private async probeOne (peerId: string): Promise<void> {
    const controller = this.controller
    if (controller === undefined) return
    let state = this.states.get(peerId)
    if (state === undefined) {
      state = { misses: 0, down: false, inFlight: false, skipped: 0 }
      this.states.set(peerId, state)
    }
    if (state.inFlight) return
    // Bounded work per round: however many records a registry holds, at most this many probes run at once.
    if (this.running >= MAX_CONCURRENT_PROBES) return
    // An instance that is down is probed every DOWN_PROBE_EVERY rounds only (it can still come back).
    if (state.down && state.skipped++ % DOWN_PROBE_EVERY !== 0) return
    state.inFlight = true
    this.running++
    const limit = deadline(this.init.timeout, controller.signal)
    try {
      const result = await probe(this.node, this.init.network, peerIdFromString(peerId), limit.signal, this.addresses.get(peerId))
      if (controller.signal.aborted) return
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
      state.inFlight = false
      this.running--
    }
  }
}
