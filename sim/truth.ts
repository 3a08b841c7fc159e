/**
 * Ground truth: which service instances exist, since when, and how they ended, as the coordinator saw it; and
 * the judgement of a lookup against it. Times are Date.now() ms: all processes share the machine's clock.
 */

export interface Instance {
  id: string
  peerId: string
  name: string
  process: number
  startedAt: number
  /** When registerWithNetwork() resolved; undefined while pending or if it failed. */
  registeredAt?: number
  registerFailed?: boolean
  /** When stop() was called and when it resolved (the withdrawal was published by then). */
  stopRequestedAt?: number
  stoppedAt?: number
  /** When the coordinator sent SIGKILL to the instance's process. */
  killedAt?: number
  /** Registries whose prober holds this instance down now (registry id → since), and every down mark seen. */
  downAt?: Map<string, number>
  downMarks?: Array<{ registry: string, at: number, up?: number, reason?: string }>
  /** Its lease renewals: when, which registries stored each, or why it failed (the last few). */
  renewals?: Array<{ at: number, registries: string[], error?: string }>
}

export interface Rules {
  /** An instance must be returned once registered this long, and must not be once stopped this long. */
  graceMs: number
  /** A SIGKILLed instance may still be returned for this long: the registries' failure-detection bound. */
  detectionBoundMs: number
}

export interface LookupResult {
  name: string
  start: number
  end: number
  peerIds: string[]
  error?: string
}

export interface Verdict {
  ok: boolean
  /** Required instances not returned. */
  missing: string[]
  /** Returned instances that must not be: stopped or killed long enough ago, or unknown, or of another name. */
  extra: string[]
  required: number
}

export class Truth {
  readonly instances = new Map<string, Instance>()
  readonly registries = new Map<string, { id: string, peerId: string, process: number, startedAt: number, killedAt?: number }>()
  private readonly byName = new Map<string, Set<Instance>>()

  constructor (readonly rules: Rules) {}

  addInstance (instance: Instance): void {
    this.instances.set(instance.peerId, instance)
    let set = this.byName.get(instance.name)
    if (set === undefined) {
      set = new Set()
      this.byName.set(instance.name, set)
    }
    set.add(instance)
  }

  addRegistry (id: string, peerId: string, process: number, startedAt: number): void {
    this.registries.set(peerId, { id, peerId, process, startedAt })
  }

  /** Everything of process `index` died at `at`. */
  killProcess (index: number, at: number): { instances: Instance[], registries: number } {
    const instances: Instance[] = []
    for (const i of this.instances.values()) {
      if (i.process === index && i.killedAt === undefined && i.stoppedAt === undefined) {
        i.killedAt = at
        instances.push(i)
      }
    }
    let registries = 0
    for (const r of this.registries.values()) {
      if (r.process === index && r.killedAt === undefined) {
        r.killedAt = at
        registries++
      }
    }
    return { instances, registries }
  }

  /** Live at `at`: started, not stopping, not killed. */
  isLive (i: Instance, at: number): boolean {
    return i.startedAt <= at && (i.stopRequestedAt === undefined || i.stopRequestedAt > at) && (i.killedAt === undefined || i.killedAt > at)
  }

  /** Registered at least graceMs before `at` and still live at `at`: it must be found. */
  isSettled (i: Instance, at: number): boolean {
    return i.registeredAt !== undefined && i.registeredAt <= at - this.rules.graceMs && this.isLive(i, at)
  }

  registryAt (peerId: string, at: number): string {
    const r = this.registries.get(peerId)
    if (r === undefined) return short(peerId)
    return `${r.id}@p${r.process}${r.killedAt !== undefined && r.killedAt <= at ? '†' : ''}`
  }

  liveRegistries (at: number): string[] {
    return [...this.registries.values()].filter(r => r.startedAt <= at && (r.killedAt === undefined || r.killedAt > at)).map(r => r.peerId)
  }

  namesInUse (): string[] {
    return [...this.byName.keys()]
  }

  liveInstances (at: number): Instance[] {
    return [...this.instances.values()].filter(i => this.isLive(i, at))
  }

  /**
   * Success: every instance of the name registered ≥ graceMs before the lookup started and live until it ended
   * is returned; none that stopped cleanly ≥ graceMs before it started, nor one SIGKILLed more than
   * detectionBoundMs before it started; no unknown peer; and no error. Instances in between (registering, just
   * stopped, just killed, failed registration) may be returned or not.
   */
  judge (lookup: LookupResult): Verdict {
    const { graceMs, detectionBoundMs } = this.rules
    const returned = new Set(lookup.peerIds)
    const missing: string[] = []
    let required = 0
    for (const i of this.byName.get(lookup.name) ?? []) {
      const mustBeThere = i.registeredAt !== undefined && i.registeredAt <= lookup.start - graceMs && this.isLive(i, lookup.end)
      if (!mustBeThere) continue
      required++
      if (!returned.has(i.peerId)) missing.push(i.peerId)
    }
    const extra: string[] = []
    for (const peerId of returned) {
      const i = this.instances.get(peerId)
      if (i === undefined || i.name !== lookup.name) {
        extra.push(peerId)
        continue
      }
      const stoppedLongAgo = i.stoppedAt !== undefined && i.stoppedAt <= lookup.start - graceMs
      const killedLongAgo = i.killedAt !== undefined && i.killedAt <= lookup.start - detectionBoundMs
      if (stoppedLongAgo || killedLongAgo) extra.push(peerId)
    }
    return { ok: lookup.error === undefined && missing.length === 0 && extra.length === 0, missing, extra, required }
  }

  /** A registry's prober marked an instance down or up again. */
  renewal (peerId: string, at: number, registries: string[], error?: string): void {
    const i = this.instances.get(peerId)
    if (i === undefined) return
    i.renewals ??= []
    i.renewals.push({ at, registries, ...(error !== undefined ? { error } : {}) })
    if (i.renewals.length > 4) i.renewals.shift()
  }

  health (registry: string, peerId: string, down: boolean, at: number, reason?: string): void {
    const i = this.instances.get(peerId)
    if (i === undefined) return
    i.downMarks ??= []
    if (down) {
      i.downAt ??= new Map()
      i.downAt.set(registry, at)
      i.downMarks.push({ registry, at, ...(reason !== undefined ? { reason } : {}) })
    } else {
      i.downAt?.delete(registry)
      const open = i.downMarks.findLast(m => m.registry === registry && m.up === undefined)
      if (open !== undefined) open.up = at
    }
  }

  /** Down marks given while the instance was live and answering: the failure detector was wrong. */
  falseDownMarks (): Array<{ peerId: string, registry: string, at: number, up?: number, reason?: string }> {
    const out: Array<{ peerId: string, registry: string, at: number, up?: number, reason?: string }> = []
    for (const i of this.instances.values()) {
      for (const m of i.downMarks ?? []) {
        if (this.isLive(i, m.at) && (i.stopRequestedAt === undefined || i.stopRequestedAt > m.at + 1000)) out.push({ peerId: i.peerId, ...m })
      }
    }
    return out.sort((a, b) => a.at - b.at)
  }

  /** Why a peer id is where it is, for failure reports; times relative to `at` (the lookup's start). */
  describe (peerId: string, at: number): string {
    const i = this.instances.get(peerId)
    if (i === undefined) return `${short(peerId)} (unknown)`
    const rel = (t: number, what: string): string => t <= at ? `${what} ${((at - t) / 1000).toFixed(1)}s before` : `${what} ${((t - at) / 1000).toFixed(1)}s after`
    const parts: string[] = []
    parts.push(i.registeredAt !== undefined ? rel(i.registeredAt, 'registered') : i.registerFailed === true ? 'registration failed' : 'not registered')
    if (i.stopRequestedAt !== undefined) parts.push(rel(i.stopRequestedAt, 'stop() called'))
    if (i.killedAt !== undefined) parts.push(rel(i.killedAt, 'SIGKILLed'))
    // Down marks in force at the lookup: the registries hid a live instance, which explains a "missing".
    const downNow = (i.downMarks ?? []).filter(m => m.at <= at && (m.up === undefined || m.up > at))
    if (downNow.length > 0) parts.push(`held down by ${downNow.map(m => m.registry).join(',')} (${downNow[0].reason ?? ''})`)
    const renewal = (i.renewals ?? []).findLast(r => r.at <= at)
    if (renewal !== undefined) {
      parts.push(rel(renewal.at, renewal.error !== undefined ? `last renewal failed (${renewal.error})` : `last renewal stored by ${renewal.registries.map(r => this.registryAt(r, at)).join(' ')}`))
    } else if (i.registeredAt !== undefined) {
      parts.push('no renewal yet')
    }
    return `${short(peerId)} ${i.id}@p${i.process} ${i.name}: ${parts.join(', ')}`
  }
}

export function short (peerId: string): string {
  return peerId.length > 12 ? `…${peerId.slice(-8)}` : peerId
}
