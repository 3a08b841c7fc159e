/**
 * Re-replication: keeps each record at the `replicationFactor` registries closest to its key when that set
 * changes, without waiting for the publisher's next renewal.
 *
 * - A registry joins (it entered this node's table, verified): every holder among the closest few
 *   (REPLICATION_SENDERS) of a record whose closest set it now belongs to sends it the record. A few, not all
 *   K-1, so a joining registry is not sent the same record K-1 times; not one, so a holder that has not met
 *   it yet does not leave it empty.
 * - A registry leaves or dies (it left the table): for each record whose closest set it was in, the nearest
 *   surviving holder sends the record to the registries that entered the set in its place.
 *
 * Changes are gathered for a moment and handled in one pass over the store. Sending is paced per receiver
 * (one request at a time, at most REPLICATE_SEND_RATE per second) and follows the receiver's answers: a rate
 * refusal is retried after a growing pause, so nothing is lost past the receiver's burst.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import {
  MAX_REGISTRY_MESSAGE_BYTES, REPLICATE_SEND_RATE, REPLICATION_BATCH_DELAY_MS, REPLICATION_SENDERS, SESSION_CLIENT_IDLE_TIMEOUT_MS,
  registryProtocol
} from '../constants.js'
import { LimitErrorCodes } from '../errors.js'
import { SessionPool } from '../node/session.js'
import { isLive } from '../records/service-record.js'
import { compareDistance, peerPosition, servicePosition } from '../routing/position.js'
import { deadline } from '../util/deadline.js'
import type { RecordStore } from './record-store.js'
import type { RequestComponents } from '../node/rpc.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { VerifiedRecord } from '../records/service-record.js'
import type { RegistryTable, TableEntry } from '../routing/registry-table.js'
import type { Logger } from '@libp2p/interface'

export type ReplicatorComponents = Pick<NetgetLibp2p, 'peerId' | 'logger'> & RequestComponents

export interface ReplicatorInit {
  network: string
  store: RecordStore
  table: RegistryTable
  replicationFactor: number
  /** Deadline of one REPLICATE request (ms). */
  requestTimeout: number
  /** Records were sent to a registry (one call per pass and receiver). */
  onReplicated?: (to: string, records: number, reason: ReplicationReason) => void
}

export interface ReplicatorCounters {
  /** Records a receiver stored or already held. */
  replicated: number
  /** Records a receiver refused for good (it holds a newer one, or refused the record). */
  refused: number
  /** Records not delivered: the receiver was unreachable or kept refusing for rate. */
  failed: number
  /** Copies of publishers' renewals and withdrawals queued for relay to the rest of their closest set. */
  relayed: number
}

/** Why records were sent: a registry joined or left a closest set, or a publisher's renewal was relayed. */
export type ReplicationReason = 'join' | 'leave' | 'relay'

interface Outbox {
  /**
   * By (network, name, publisher): a newer copy replaces a queued one in its place, so a receiver is sent each
   * record once however many renewals came while it waited, and the queue is bounded by what the store holds.
   */
  records: Map<string, VerifiedRecord>
  reason: ReplicationReason
  running: boolean
}

/** Rate refusals of one record before the receiver is given up on for this pass. */
const MAX_RATE_RETRIES = 6
const RATE_BACKOFF_MIN_MS = 250
const RATE_BACKOFF_MAX_MS = 8000
/** Records waiting for one receiver at most (a registry holds at most maxRecords anyway). */
const MAX_OUTBOX = 100_000

export class Replicator {
  readonly counters: ReplicatorCounters = { replicated: 0, refused: 0, failed: 0, relayed: 0 }
  private readonly init: ReplicatorInit
  private readonly self: string
  private readonly selfPosition: Uint8Array
  private readonly joined = new Map<string, TableEntry>()
  private readonly left = new Map<string, TableEntry>()
  private readonly outboxes = new Map<string, Outbox>()
  private readonly sessions: SessionPool<RegistryRequest, RegistryResponse>
  private timer?: ReturnType<typeof setTimeout>
  private controller?: AbortController
  /** `netget:replicator` (DEBUG=netget*): records a receiver could not be sent, and why. */
  private readonly log: Logger

  constructor (node: ReplicatorComponents, init: ReplicatorInit) {
    this.init = init
    this.log = node.logger.forComponent('netget:replicator')
    this.self = node.peerId.toString()
    this.selfPosition = peerPosition(node.peerId)
    this.sessions = new SessionPool({
      node,
      protocol: registryProtocol(init.network),
      codecs: { request: RegistryRequest, response: RegistryResponse },
      responseLimits: { records: 0, closer: 0, health: 0, gone: 0 },
      maxDataLength: MAX_REGISTRY_MESSAGE_BYTES,
      idleTimeout: SESSION_CLIENT_IDLE_TIMEOUT_MS,
      openTimeout: init.requestTimeout
    })
  }

  start (): void {
    this.controller ??= new AbortController()
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.controller?.abort()
    this.controller = undefined
    this.joined.clear()
    this.left.clear()
    this.outboxes.clear()
    this.sessions.closeAll()
  }

  /** A registry entered this node's view. */
  registryJoined (entry: TableEntry): void {
    if (this.controller === undefined) return
    this.left.delete(entry.id)
    this.joined.set(entry.id, entry)
    this.schedule()
  }

  /** A registry left this node's view (it failed, or was removed). */
  registryLeft (entry: TableEntry): void {
    if (this.controller === undefined) return
    this.joined.delete(entry.id)
    this.outboxes.delete(entry.id)
    this.left.set(entry.id, entry)
    this.schedule()
  }

  private schedule (): void {
    if (this.timer !== undefined || this.controller === undefined) return
    // Registries come and go in bursts (a network starting, a process dying): one pass for all of them.
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pass()
    }, REPLICATION_BATCH_DELAY_MS)
    this.timer.unref()
  }

  /** One pass over the store for every change gathered since the last one. */
  private pass (): void {
    const joined = new Map(this.joined)
    const left = new Map(this.left)
    this.joined.clear()
    this.left.clear()
    const k = this.init.replicationFactor
    const now = Date.now()
    const byName = new Map<string, { after: string[], before: string[] }>()
    for (const record of this.init.store.all()) {
      if (!isLive(record, now)) continue
      let sets = byName.get(`${record.network}/${record.name}`)
      if (sets === undefined) {
        const target = servicePosition(record.network, record.name)
        const after = this.holders(target, k, [])
        const before = left.size > 0 ? this.holders(target, k, [...left.values()], joined) : after
        sets = { after, before }
        byName.set(`${record.network}/${record.name}`, sets)
      }
      const { after, before } = sets
      if (!after.includes(this.self)) continue
      for (const id of after) {
        if (!joined.has(id)) continue
        // The holders other than the newcomers, nearest first: the first few of them send.
        const holders = after.filter(h => !joined.has(h))
        if (holders.slice(0, REPLICATION_SENDERS).includes(this.self)) this.enqueue(id, record, 'join')
      }
      if (left.size > 0 && before.some(id => left.has(id))) {
        const survivors = after.filter(id => before.includes(id))
        if (survivors[0] !== this.self) continue
        for (const id of after) {
          if (!before.includes(id) && !joined.has(id)) this.enqueue(id, record, 'leave')
        }
      }
    }
  }

  /** The registries that share a closest set with this one, over every record it holds (its neighbourhood). */
  neighbours (): Set<string> {
    const out = new Set<string>()
    const names = new Set<string>()
    const now = Date.now()
    for (const record of this.init.store.all()) {
      const id = `${record.network}/${record.name}`
      if (names.has(id) || !isLive(record, now)) continue
      names.add(id)
      const holders = this.holders(servicePosition(record.network, record.name), this.init.replicationFactor, [])
      if (holders.includes(this.self)) for (const h of holders) if (h !== this.self) out.add(h)
    }
    return out
  }

  /**
   * The `k` registries closest to `target` among the verified ones this node knows and itself: with `extra`
   * added back (the set before they left) and `without` taken out (the set before they joined).
   */
  private holders (target: Uint8Array, k: number, extra: TableEntry[], without?: Map<string, TableEntry>): string[] {
    const entries: Array<{ id: string, position: Uint8Array }> = this.init.table.closest(target, k + (without?.size ?? 0), e => e.verified)
    entries.push({ id: this.self, position: this.selfPosition }, ...extra)
    const out = entries.filter(e => without === undefined || !without.has(e.id))
    out.sort((a, b) => compareDistance(target, a.position, b.position))
    return out.slice(0, k).map(e => e.id)
  }

  /**
   * A publisher sent this record (new here) to only the `direct` registries it found closest and asked them to
   * relay it to the rest of the `k` closest. The rest is shared out by the receiver's id, not by its position in
   * a view: registry X is sent the record by the direct registry of rank (first byte of X's position) mod
   * `direct`. Views of positions 3…k agree less than views of the first three, and a share by position left
   * some registries with nobody to send them anything (9 % of records not fully placed at K = 20).
   */
  relay (record: VerifiedRecord, k: number, direct: number): void {
    // Never wider than this registry's own closest sets: a publisher asking for more would make it send copies
    // to registries that do not hold the name.
    k = Math.min(k, this.init.replicationFactor)
    if (this.controller === undefined || k <= direct) return
    const closest = this.holders(servicePosition(record.network, record.name), k, [])
    const rank = closest.indexOf(this.self)
    // Not among the direct ones in its own view: it knows closer registries than the publisher reached; those
    // relay (and the publisher's next lookup finds them).
    if (rank < 0 || rank >= direct) return
    for (const id of closest.slice(direct)) {
      if (peerPosition(id)[0] % direct !== rank) continue
      if (this.enqueue(id, record, 'relay')) this.counters.relayed++
    }
  }

  /** Queues a record for one receiver; false when its queue is full. */
  private enqueue (to: string, record: VerifiedRecord, reason: ReplicationReason): boolean {
    let outbox = this.outboxes.get(to)
    if (outbox === undefined) {
      outbox = { records: new Map(), reason, running: false }
      this.outboxes.set(to, outbox)
    }
    const key = `${record.network}/${record.name}/${record.peerId}`
    if (!outbox.records.has(key) && outbox.records.size >= MAX_OUTBOX) return false
    outbox.records.set(key, record)
    if (!outbox.running) {
      outbox.running = true
      void this.drain(to, outbox)
    }
    return true
  }

  /** Sends what waits for one receiver, one record at a time, paced. */
  private async drain (to: string, outbox: Outbox): Promise<void> {
    const signal = this.controller?.signal
    const peer = peerIdFromString(to)
    const interval = 1000 / REPLICATE_SEND_RATE
    let sent = 0
    try {
      while (outbox.records.size > 0 && signal !== undefined && !signal.aborted && this.outboxes.get(to) === outbox) {
        const [key, record] = outbox.records.entries().next().value as [string, VerifiedRecord]
        outbox.records.delete(key)
        if (!isLive(record)) continue
        const started = Date.now()
        const delivered = await this.send(peer, record, signal)
        if (delivered === 'gone') {
          this.counters.failed += outbox.records.size + 1
          this.outboxes.delete(to)
          break
        }
        if (delivered === 'stored') sent++
        const wait = interval - (Date.now() - started)
        if (wait > 0) await sleep(wait, signal)
      }
    } catch {
      // Stopped while sleeping.
    } finally {
      outbox.running = false
      if (this.outboxes.get(to) === outbox && outbox.records.size === 0) this.outboxes.delete(to)
      if (sent > 0 && signal !== undefined && !signal.aborted) this.init.onReplicated?.(to, sent, outbox.reason)
    }
  }

  /** One record to one receiver, retried while it refuses for rate. */
  private async send (peer: ReturnType<typeof peerIdFromString>, record: VerifiedRecord, signal: AbortSignal): Promise<'stored' | 'refused' | 'gone'> {
    let backoff = RATE_BACKOFF_MIN_MS
    for (let attempt = 0; attempt <= MAX_RATE_RETRIES; attempt++) {
      const limit = deadline(this.init.requestTimeout, signal)
      let response: RegistryResponse
      try {
        response = await this.sessions.request(peer, { type: RegistryRequest.Type.REPLICATE, record: record.bytes as Uint8Array<ArrayBuffer>, name: '', key: new Uint8Array(0), closer: 0, relay: 0 }, limit.signal)
      } catch (err) {
        if (!signal.aborted) this.log('REPLICATE of a "%s" record to %s failed: %e', record.name, peer, err)
        return 'gone'
      } finally {
        limit.clear()
      }
      if (response.status === RegistryResponse.Status.OK) {
        this.counters.replicated++
        return 'stored'
      }
      // A receiver that has not finished identifying us yet refuses REPLICATE as from a non-registry: retry too.
      if (response.code !== LimitErrorCodes.RATE && response.code !== 'NETGET_ERR_PROTOCOL') {
        this.counters.refused++
        return 'refused'
      }
      await sleep(backoff, signal)
      backoff = Math.min(backoff * 2, RATE_BACKOFF_MAX_MS)
    }
    this.counters.failed++
    return 'refused'
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  const { promise, resolve, reject } = Promise.withResolvers<void>()
  const onAbort = (): void => {
    clearTimeout(timer)
    reject(signal.reason)
  }
  const timer = setTimeout(() => {
    signal.removeEventListener('abort', onAbort)
    resolve()
  }, ms)
  timer.unref()
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return promise
}
