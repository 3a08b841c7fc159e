/**
 * Following a service: watch streams to the registries closest to its name (the ones that hold and probe its
 * instances), merged into one view, handed out as `up`/`down`/`changed` events (protocols/registry.md, "Watch").
 *
 * Each registry sends a snapshot, then deltas as its view changes, and a heartbeat. The merged view is the union
 * of the registries' views (as discovery merges their answers): per instance its newest record and its freshest
 * health. A stream that fails, or stays silent past WATCH_SILENCE_MS, is a gap: the watch looks up the closest
 * registries again, subscribes afresh, replaces what it held with the new snapshots, emits the differences and
 * then a `resync` event with the whole set, so a consumer never silently misses a change. Until the new
 * snapshots arrive, the last known view stands.
 */
import { pbStream } from '@libp2p/utils'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_RECORDS_PER_RESPONSE, MAX_REGISTRY_MESSAGE_BYTES, WATCH_REGISTRIES, WATCH_SILENCE_MS, watchProtocol } from '../constants.js'
import { NetgetError, ProtocolError } from '../errors.js'
import { fresher, sameVerdicts, unknownHealth } from '../health/model.js'
import { copyInstance, toInstance } from '../records/instance.js'
import { compareRecords, isLive } from '../records/service-record.js'
import { REGISTRY_RESPONSE_LIMITS } from '../registry/registry-server.js'
import { deadline, follow } from '../util/deadline.js'
import type { InstanceMatcher } from './filters.js'
import type { InstanceHealth } from '../health/model.js'
import type { ServiceInstance } from '../records/instance.js'
import type { HeldRecord } from '../registry/registry-server.js'
import type { RegistryClient } from '../registry/registry-client.js'
import type { LocalListener } from '../registry/watch-server.js'
import type { Stream } from '@libp2p/interface'

/** What a watch yields: an instance that came, went or changed, and after a gap the whole set again. */
export type WatchEvent =
  | { type: 'up' | 'down' | 'changed', instance: ServiceInstance }
  | { type: 'resync', instances: ServiceInstance[] }

export interface WatchInit {
  network: string
  client: RegistryClient
  replicationFactor: number
  /** Deadline of one resubscription round (lookup, dials, snapshots), ms. */
  roundTimeout: number
  /** The node's lifetime: a stop ends every watch. */
  lifetime: AbortSignal
  /** On a registry node: its own view, read without a stream when it is among the closest. */
  local?: {
    id: string
    snapshot: (name: string) => HeldRecord[]
    subscribe: (name: string, listener: LocalListener) => () => void
  }
  /** Every event of the unfiltered view (for the node's typed events). */
  onEvent?: (name: string, event: WatchEvent) => void
  onError: (err: Error) => void
}

/** Instances one registry's view may hold (twice what a registry serves: room for a view changing under a delta). */
const MAX_VIEW_RECORDS = 2 * MAX_RECORDS_PER_RESPONSE
/** Events a consumer may leave unread; beyond it they are replaced by one `resync` with the whole set. */
const MAX_QUEUED_EVENTS = 1024
/** Waits between resubscription rounds that found no registry: from the first to the last, doubling. */
const RETRY_MIN_MS = 250
const RETRY_MAX_MS = 10_000

/** The watches of one node, one subscription per name shared by its consumers. */
export class Watches {
  private readonly init: WatchInit
  private readonly byName = new Map<string, NameWatch>()

  constructor (init: WatchInit) {
    this.init = init
  }

  /** A consumer of `name`'s events, filtered by `matches`, until `signal` fires or the node stops. */
  watch (name: string, matches: InstanceMatcher, signal?: AbortSignal): AsyncIterableIterator<WatchEvent> {
    let watch = this.byName.get(name)
    if (watch === undefined) {
      watch = new NameWatch(name, this.init, () => { this.byName.delete(name) })
      this.byName.set(name, watch)
    }
    return watch.consumer(matches, signal)
  }

  /** The current instances of a watched name whose view is complete (no gap), or undefined. */
  instances (name: string): ServiceInstance[] | undefined {
    return this.byName.get(name)?.current()
  }

  closeAll (): void {
    for (const watch of [...this.byName.values()]) watch.close()
    this.byName.clear()
  }
}

class NameWatch {
  private readonly name: string
  private readonly init: WatchInit
  private readonly onEmpty: () => void
  private readonly consumers = new Set<Consumer>()
  /** Per registry: its view (peer id → record and health), as its last snapshot and deltas made it. */
  private readonly views = new Map<string, Map<string, HeldRecord>>()
  private readonly subscriptions = new Map<string, Subscription | LocalSubscription>()
  /** The merged, unfiltered view last computed. */
  private merged = new Map<string, ServiceInstance>()
  /** Every consumer's view is complete: the first snapshots arrived and no gap is open. */
  private synced = false
  private gap = false
  private roundRunning = false
  private roundAgain = false
  private retryTimer?: ReturnType<typeof setTimeout>
  private retryDelay = RETRY_MIN_MS
  private readonly controller = new AbortController()
  private readonly lifetime: { signal: AbortSignal, clear: () => void }
  private readonly all: Consumer

  constructor (name: string, init: WatchInit, onEmpty: () => void) {
    this.name = name
    this.init = init
    this.onEmpty = onEmpty
    this.lifetime = follow(init.lifetime, this.controller.signal)
    // The node's own events see the unfiltered view; it is not a consumer that keeps the watch alive.
    this.all = new Consumer(() => true, event => { init.onEvent?.(name, event) }, () => {})
    void this.round()
  }

  consumer (matches: InstanceMatcher, signal?: AbortSignal): Consumer {
    const consumer = new Consumer(matches, undefined, () => {
      this.consumers.delete(consumer)
      if (this.consumers.size === 0) this.close()
    })
    this.consumers.add(consumer)
    if (this.lifetime.signal.aborted || signal?.aborted === true) {
      consumer.end()
      return consumer
    }
    if (signal !== undefined) {
      const onAbort = (): void => { consumer.end() }
      signal.addEventListener('abort', onAbort, { once: true })
      consumer.onEnded(() => { signal.removeEventListener('abort', onAbort) })
    }
    // Joining a watch that is already synced: its current set, as `up` events.
    if (this.synced) consumer.update(this.merged, false)
    return consumer
  }

  current (): ServiceInstance[] | undefined {
    if (!this.synced || this.gap) return undefined
    // The view was merged at the last message: a lease may have ended since (the registry's sweep follows).
    const now = Date.now()
    return [...this.merged.values()].filter(i => i.expiresAt > now).map(copyInstance)
  }

  close (): void {
    if (this.controller.signal.aborted) return
    this.controller.abort()
    this.lifetime.clear()
    clearTimeout(this.retryTimer)
    for (const sub of this.subscriptions.values()) sub.close()
    this.subscriptions.clear()
    for (const consumer of [...this.consumers]) consumer.end()
    this.onEmpty()
  }

  /**
   * Subscribes to the closest registries (keeping the subscriptions still among them), waits for the new ones'
   * snapshots, drops the views of registries no longer subscribed, and emits what changed. After a gap, ends
   * with a `resync` event.
   */
  private async round (): Promise<void> {
    if (this.controller.signal.aborted) return
    if (this.roundRunning) {
      this.roundAgain = true
      return
    }
    this.roundRunning = true
    const resync = this.synced
    const limit = deadline(this.init.roundTimeout, this.lifetime.signal)
    try {
      const want = Math.min(WATCH_REGISTRIES, this.init.replicationFactor)
      const ids = await this.init.client.closestRegistries(this.name, want, limit.signal)
      for (const [id, sub] of this.subscriptions) {
        if (ids.includes(id)) continue
        sub.close()
        this.subscriptions.delete(id)
      }
      const opened = await Promise.allSettled(ids.filter(id => !this.subscriptions.has(id)).map(async id => this.subscribe(id, limit.signal)))
      for (const id of this.views.keys()) if (!this.subscriptions.has(id)) this.views.delete(id)
      if (this.subscriptions.size === 0) {
        const reason = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected')?.reason as Error | undefined
        throw reason ?? new NetgetError(`no registry of "${this.name}" could be watched`)
      }
      this.retryDelay = RETRY_MIN_MS
      this.gap = false
      this.synced = true
      this.recompute()
      if (resync) this.emitResync()
    } catch (err) {
      if (!this.controller.signal.aborted && !this.init.lifetime.aborted) {
        this.gap = true
        this.scheduleRound(this.retryDelay)
        this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS)
        if (!(err instanceof NetgetError)) this.init.onError(err as Error)
      }
    } finally {
      limit.clear()
      this.roundRunning = false
      // A gap opened while this round ran: one more round, now that this one's view is in.
      if (this.roundAgain) {
        this.roundAgain = false
        this.scheduleRound(0)
      }
    }
  }

  private scheduleRound (delay: number): void {
    if (this.retryTimer !== undefined || this.controller.signal.aborted) return
    // Jittered: the watchers of a registry that restarts do not all come back in the same millisecond.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      void this.round()
    }, delay + Math.random() * (delay + RETRY_MIN_MS))
    this.retryTimer.unref()
  }

  /** Opens one registry's watch stream and waits for its snapshot; its deltas are then applied as they come. */
  private async subscribe (id: string, signal: AbortSignal): Promise<void> {
    const local = this.init.local
    if (local !== undefined && id === local.id) {
      // This node's own registry: its view directly, and its changes as they are made.
      const view = new Map<string, HeldRecord>()
      for (const held of local.snapshot(this.name)) view.set(held.record.peerId, held)
      this.views.set(id, view)
      const sub = new LocalSubscription(local.subscribe(this.name, change => {
        if (this.subscriptions.get(id) !== sub) return
        for (const peerId of change.gone) view.delete(peerId)
        for (const held of change.upserts) view.set(held.record.peerId, held)
        this.recompute()
      }))
      this.subscriptions.set(id, sub)
      return
    }
    const stream = await this.init.client.openStream(id, watchProtocol(this.init.network), signal)
    const sub = new Subscription(stream)
    this.subscriptions.set(id, sub)
    try {
      const first = await sub.start(this.name, signal)
      this.views.set(id, await this.readView(first, new Map()))
    } catch (err) {
      sub.close(err as Error)
      this.subscriptions.delete(id)
      throw err
    }
    void this.follow(id, sub)
  }

  /** Applies one registry's deltas until its stream fails or falls silent; then opens a gap. */
  private async follow (id: string, sub: Subscription): Promise<void> {
    try {
      while (!sub.closed) {
        const message = await sub.next()
        const view = this.views.get(id)
        if (view === undefined || this.subscriptions.get(id) !== sub) return
        this.views.set(id, await this.readView(message, message.snapshot ? new Map() : view))
        if (this.subscriptions.get(id) === sub) this.recompute()
      }
    } catch (err) {
      if (this.controller.signal.aborted || this.subscriptions.get(id) !== sub) return
      sub.close(err as Error)
      this.subscriptions.delete(id)
      // The registry's view stays until the next round replaces it: the last known state, not an empty one.
      this.gap = true
      this.scheduleRound(0)
    }
  }

  /** A message applied to a registry's view: its records (verified) upserted, its `gone` removed. */
  private async readView (message: RegistryResponse, view: Map<string, HeldRecord>): Promise<Map<string, HeldRecord>> {
    if (message.status !== RegistryResponse.Status.OK) throw new ProtocolError(`the registry refused the watch: ${message.code}: ${message.message}`)
    for (const bytes of message.gone) {
      try {
        view.delete(peerIdFromMultihash(Digest.decode(bytes)).toString())
      } catch {
        // A `gone` entry that is no peer id names nothing this view holds.
      }
    }
    for (const held of await this.init.client.openHeld(message, this.name)) {
      if (held.record.withdrawn) view.delete(held.record.peerId)
      else view.set(held.record.peerId, held)
    }
    // A registry serves at most MAX_RECORDS_PER_RESPONSE records of a name: one that pushes more is not believed.
    if (view.size > MAX_VIEW_RECORDS) throw new ProtocolError(`a registry's view of "${this.name}" grew past ${MAX_VIEW_RECORDS} instances`)
    return view
  }

  /** The merged view from every registry's, and the events it makes for each consumer. */
  private recompute (): void {
    const now = Date.now()
    const best = new Map<string, { record: HeldRecord['record'], health: InstanceHealth }>()
    for (const view of this.views.values()) {
      for (const [peerId, held] of view) {
        const known = best.get(peerId)
        const health = held.health ?? unknownHealth()
        if (known === undefined) best.set(peerId, { record: held.record, health })
        else best.set(peerId, { record: compareRecords(held.record, known.record) > 0 ? held.record : known.record, health: fresher(known.health, health) })
      }
    }
    const merged = new Map<string, ServiceInstance>()
    for (const [peerId, { record, health }] of best) {
      if (!record.withdrawn && isLive(record, now)) merged.set(peerId, toInstance(record, health))
    }
    this.merged = merged
    if (!this.synced) return
    this.all.update(merged, false)
    for (const consumer of this.consumers) consumer.update(merged, false)
  }

  private emitResync (): void {
    this.all.update(this.merged, true)
    for (const consumer of this.consumers) consumer.update(this.merged, true)
  }
}

/** A registry node's watch of its own view. */
class LocalSubscription {
  closed = false
  private readonly unsubscribe: () => void

  constructor (unsubscribe: () => void) {
    this.unsubscribe = unsubscribe
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    this.unsubscribe()
  }
}

/** One registry's watch stream. */
class Subscription {
  private readonly stream: Stream
  private readonly pb: ReturnType<typeof pbStream>
  private id = 0
  closed = false

  constructor (stream: Stream) {
    this.stream = stream
    this.pb = pbStream(stream, { maxDataLength: MAX_REGISTRY_MESSAGE_BYTES })
  }

  async start (name: string, signal: AbortSignal): Promise<RegistryResponse> {
    this.id = 1
    await this.pb.write({ type: RegistryRequest.Type.WATCH, name, id: this.id, record: EMPTY, key: EMPTY, closer: 0, relay: 0 }, RegistryRequest, { signal })
    const first = await this.read(signal)
    if (first.status === RegistryResponse.Status.OK && !first.snapshot) throw new ProtocolError('a watch stream must start with a snapshot')
    return first
  }

  /** The next message, or a failure when the registry stays silent past WATCH_SILENCE_MS (it heartbeats). */
  async next (): Promise<RegistryResponse> {
    const silence = deadline(WATCH_SILENCE_MS)
    try {
      return await this.read(silence.signal)
    } finally {
      silence.clear()
    }
  }

  private async read (signal: AbortSignal): Promise<RegistryResponse> {
    const message = await this.pb.read(RegistryResponse, { signal, limits: REGISTRY_RESPONSE_LIMITS })
    if (message.id !== this.id) throw new ProtocolError(`a watch message for request ${message.id}, not ${this.id}`)
    return message
  }

  close (err?: Error): void {
    if (this.closed) return
    this.closed = true
    if (err !== undefined) this.stream.abort(err)
    // The registry may have closed its side first: a failed close leaves nothing to release.
    else void this.stream.close().catch(() => {})
  }
}

/** One `watch()` caller: its filter, what it was told, and the events it has not read yet. Exported for tests. */
export class Consumer implements AsyncIterableIterator<WatchEvent> {
  private readonly matches: InstanceMatcher
  private readonly sink?: (event: WatchEvent) => void
  private readonly onEnd: () => void
  private cleanup?: () => void
  /** What this consumer was told exists (filtered). */
  private emitted = new Map<string, ServiceInstance>()
  private queue: WatchEvent[] = []
  private readonly waiting: Array<(result: IteratorResult<WatchEvent>) => void> = []
  private done = false

  constructor (matches: InstanceMatcher, sink: ((event: WatchEvent) => void) | undefined, onEnd: () => void) {
    this.matches = matches
    if (sink !== undefined) this.sink = sink
    this.onEnd = onEnd
  }

  /** Emits the differences between what this consumer was told and `merged`; then, after a gap, a resync. */
  update (merged: Map<string, ServiceInstance>, resync: boolean): void {
    if (this.done) return
    const next = new Map<string, ServiceInstance>()
    for (const [peerId, instance] of merged) if (this.matches(instance)) next.set(peerId, instance)
    for (const [peerId, before] of this.emitted) {
      if (!next.has(peerId)) this.push({ type: 'down', instance: before })
    }
    for (const [peerId, instance] of next) {
      const before = this.emitted.get(peerId)
      if (before === undefined) this.push({ type: 'up', instance })
      else if (before.sequence !== instance.sequence || !sameVerdicts(before.health, instance.health)) this.push({ type: 'changed', instance })
    }
    this.emitted = next
    if (resync) this.push({ type: 'resync', instances: [...next.values()] })
    // A consumer that does not read: its backlog becomes one resync with the set it would have reached.
    if (this.queue.length > MAX_QUEUED_EVENTS) this.queue = [{ type: 'resync', instances: [...next.values()].map(copyInstance) }]
  }

  private push (event: WatchEvent): void {
    const copy: WatchEvent = event.type === 'resync' ? { type: 'resync', instances: event.instances.map(copyInstance) } : { type: event.type, instance: copyInstance(event.instance) }
    if (this.sink !== undefined) {
      this.sink(copy)
      return
    }
    const resolve = this.waiting.shift()
    if (resolve !== undefined) {
      resolve({ value: copy, done: false })
      return
    }
    this.queue.push(copy)
  }

  async next (): Promise<IteratorResult<WatchEvent>> {
    const queued = this.queue.shift()
    if (queued !== undefined) return { value: queued, done: false }
    if (this.done) return { value: undefined, done: true }
    return new Promise(resolve => { this.waiting.push(resolve) })
  }

  async return (): Promise<IteratorResult<WatchEvent>> {
    this.end()
    return { value: undefined, done: true }
  }

  onEnded (cleanup: () => void): void {
    this.cleanup = cleanup
  }

  /** Ends the iteration (abort, stop, or the consumer's `break`): queued events are dropped. */
  end (): void {
    if (this.done) return
    this.done = true
    this.cleanup?.()
    this.queue = []
    for (const resolve of this.waiting.splice(0)) resolve({ value: undefined, done: true })
    this.onEnd()
  }

  [Symbol.asyncIterator] (): AsyncIterableIterator<WatchEvent> {
    return this
  }
}

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>
