/**
 * Keeps a node's registry table filled and true.
 *
 * Every node: configured registries are pinned in the table; a peer whose identify lists this network's
 * registry protocol (admitted as a registry, on a closed network) enters it verified; one that stops listing
 * it leaves.
 *
 * Registries also keep their neighbourhood known, as Kademlia nodes do: a self-lookup as soon as they know
 * another registry (so the registries closest to them learn of them, and they of those), a refresh (a
 * self-lookup and a lookup of a random position) every TABLE_REFRESH_INTERVAL_MS while the table changes, less
 * often while it does not, and a liveness check of a sibling (or closest-set partner) whose connection closed, so
 * that one that died leaves the table (and its records are re-replicated) within moments rather than at the next
 * failed request. Links to other registries close when idle (connection-policy.ts): those registries are checked
 * when an answer of this registry names them (confirmNamed()).
 */
import { randomBytes } from 'node:crypto'
import { peerIdFromString } from '@libp2p/peer-id'
import { repeatingTask } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import {
  BUCKET_REFRESH_NEED, LIVENESS_CHECK_MIN_INTERVAL_MS, REGISTRY_RECONNECT_FIRST_MS, REGISTRY_RECONNECT_GIVE_UP_MS,
  REGISTRY_RECONNECT_MAX_DEPARTED, REGISTRY_RECONNECT_MAX_MS, TABLE_BUCKET_SIZE, TABLE_REFRESH_INTERVAL_MS, TABLE_REFRESH_MAX_INTERVAL_MS,
  TABLE_WARMUP_REFRESHES_MS, registryProtocol
} from '../constants.js'
import { checkRegistryAddress } from '../options.js'
import { deadline } from '../util/deadline.js'
import { peerPosition } from './position.js'
import { BoundedMap } from '../util/bounded-map.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { RegistryClient } from '../registry/registry-client.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { RegistryTable, TableEntry } from './registry-table.js'
import type { IdentifyResult, Logger, PeerId } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

/** How often departed registries due for another try are looked at (ms), and how many are tried at once. */
const RECONNECT_TICK_MS = 1000
const MAX_RECONNECTS_IN_FLIGHT = 8
/** Liveness checks of registries named in answers (confirmNamed()) under way at once, at most. */
const MAX_CONFIRMATIONS_IN_FLIGHT = 8

/** Buckets past this prefix length are not refreshed (2^20 registries would be needed to fill them). */
const MAX_REFRESHED_BUCKET = 20

/** A random position sharing exactly `bits` leading bits with `self`: a target inside k-bucket `bits`. */
export function randomInBucket (self: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(randomBytes(self.length))
  const whole = Math.floor(bits / 8)
  out.set(self.subarray(0, whole))
  if (whole < self.length) {
    const rest = bits % 8
    const keep = rest === 0 ? 0 : (0xff << (8 - rest)) & 0xff
    // The first `rest` bits from self, then the next bit flipped, then random.
    const flip = 0x80 >> rest
    out[whole] = (self[whole] & keep) | (~self[whole] & flip) | (out[whole] & ~(keep | flip) & 0xff)
  }
  return out
}

/** The period after a refresh: the minimum if the table's membership moved since the previous one, else doubled. */
export function nextRefreshPeriod (period: number, tableChanged: boolean): number {
  return tableChanged ? TABLE_REFRESH_INTERVAL_MS : Math.min(period * 2, TABLE_REFRESH_MAX_INTERVAL_MS)
}

interface Departed {
  addrs: Multiaddr[]
  since: number
  next: number
  wait: number
  trying: boolean
}

export type MembershipComponents = Pick<NetgetLibp2p, 'peerId' | 'logger' | 'addEventListener' | 'removeEventListener' | 'getConnections' | 'peerStore'>

export interface MembershipInit {
  network: string
  table: RegistryTable
  client: RegistryClient
  /** This node is a registry: it looks itself up, refreshes, and checks registries that disconnect. */
  registry: boolean
  /** Deadline of one lookup or liveness check (ms). */
  requestTimeout: number
  /** Registries closest to itself a registry's self-lookup finds (siblingCount(); default TABLE_BUCKET_SIZE). */
  siblings?: number
  /** Registries besides its siblings whose closed link a registry checks at once (its closest-set partners). */
  checkOnClose?: (id: string) => boolean
  guard?: AdmissionGuard
  onError?: (err: Error) => void
}

export class Membership {
  private readonly node: MembershipComponents
  private readonly init: MembershipInit
  private readonly protocol: string
  private controller?: AbortController
  private refreshTimer?: ReturnType<typeof setTimeout>
  /** Current period of the periodic refresh (ms), and the table's generation when the last one started. */
  private refreshPeriod = TABLE_REFRESH_INTERVAL_MS
  private refreshedGeneration = -1
  private readonly warmupTimers: Array<ReturnType<typeof setTimeout>> = []
  /** The bucket the next periodic refresh looks into (they take turns). */
  private nextBucket = 0
  private readonly lastChecked = new Map<string, number>()
  private selfLookupDone = false
  private selfLookupRunning = false
  /** Registries that left the table after failures, tried again with back-off (registries only). */
  private readonly departed = new BoundedMap<string, Departed>(REGISTRY_RECONNECT_MAX_DEPARTED)
  private reconnector?: RepeatingTask
  private reconnecting = 0
  private confirming = 0

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, listenAddrs } = event.detail
    const id = peerId.toString()
    if (!protocols.includes(this.protocol)) {
      // It stopped serving the registry protocol (or never did): not a registry any more.
      if (this.init.table.isVerified(id) && this.init.table.get(id)?.configured !== true) this.init.table.remove(id)
      // Not a registry that failed: nothing to try again.
      this.departed.delete(id)
      return
    }
    this.admit(id, listenAddrs)
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    if (!this.init.table.isVerified(id)) return
    // A sibling's link is kept by both ends as a rule (a registry that is not this one's sibling counts it among its
    // own, as far as its table tells: RegistryTable.isNeighbour()), and so is a closest-set partner's: its close is
    // news, checked now (which links them again if it was only the other end's view that differed). Any other may
    // close when idle (either end's connection policy), which says nothing, and checking it would only dial it
    // again: it is checked when an answer of this registry next names it.
    if (this.init.table.isSibling(id, this.siblings) || this.init.checkOnClose?.(id) === true) void this.check(id)
    else this.init.table.linkClosed(id)
  }

  /** `netget:membership` (DEBUG=netget*): registries that left the table, and reconnection attempts. */
  private readonly log: Logger

  constructor (node: MembershipComponents, init: MembershipInit) {
    this.node = node
    this.log = node.logger.forComponent('netget:membership')
    this.init = init
    this.protocol = registryProtocol(init.network)
  }

  start (configured: Iterable<string>): void {
    if (this.controller !== undefined) return
    this.controller = new AbortController()
    for (const address of configured) this.configure(address)
    this.node.addEventListener('peer:identify', this.onIdentify)
    if (this.init.registry) {
      this.node.addEventListener('peer:disconnect', this.onDisconnect)
      this.refreshPeriod = TABLE_REFRESH_INTERVAL_MS
      this.scheduleRefresh()
      this.reconnector = repeatingTask(() => { this.reconnect() }, RECONNECT_TICK_MS)
      this.reconnector.start()
      if (this.init.table.size > 0) void this.selfLookup()
    }
  }

  stop (): void {
    this.node.removeEventListener('peer:identify', this.onIdentify)
    this.node.removeEventListener('peer:disconnect', this.onDisconnect)
    clearTimeout(this.refreshTimer)
    this.refreshTimer = undefined
    this.reconnector?.stop()
    this.reconnector = undefined
    this.departed.clear()
    for (const timer of this.warmupTimers.splice(0)) clearTimeout(timer)
    this.controller?.abort()
    this.controller = undefined
    this.lastChecked.clear()
  }

  /**
   * A registry left the table after failed requests or a failed liveness check. Registries try to reach it again
   * for a while, as memberlist and Serf reconnect to failed members: after a partition heals, or a registry
   * stalled for a few seconds, the two sides meet again within seconds, instead of at the next renewal or table
   * refresh (tens of seconds to minutes). A registry that answers reconnects, and identify puts it back in the
   * table (after its admission check on a closed network).
   */
  registryLeft (entry: { id: string, addrs: Multiaddr[] }): void {
    if (!this.init.registry || this.controller === undefined || this.departed.has(entry.id)) return
    const now = Date.now()
    this.departed.set(entry.id, { addrs: entry.addrs, since: now, next: now + REGISTRY_RECONNECT_FIRST_MS, wait: REGISTRY_RECONNECT_FIRST_MS, trying: false })
  }

  private reconnect (): void {
    const signal = this.controller?.signal
    if (signal === undefined) return
    const now = Date.now()
    for (const [id, d] of this.departed) {
      if (this.init.table.isVerified(id) || now - d.since > REGISTRY_RECONNECT_GIVE_UP_MS) {
        this.departed.delete(id)
        continue
      }
      if (d.trying || now < d.next) continue
      // Bounded: after a whole process of registries died, each survivor has many to try, and on a real network
      // a dial to a host that is gone waits for its deadline.
      if (this.reconnecting >= MAX_RECONNECTS_IN_FLIGHT) return
      this.reconnecting++
      d.trying = true
      void this.tryAgain(id, d, signal).catch((err: unknown) => { this.log('reconnecting to registry %s failed: %e', id, err) }).finally(() => {
        this.reconnecting--
        d.trying = false
        d.wait = Math.min(d.wait * 2, REGISTRY_RECONNECT_MAX_MS)
        d.next = Date.now() + d.wait
      })
    }
  }

  private async tryAgain (id: string, d: Departed, signal: AbortSignal): Promise<void> {
    const limit = deadline(this.init.requestTimeout, signal)
    try {
      const peer = peerIdFromString(id)
      if (d.addrs.length > 0) await this.node.peerStore.merge(peer, { multiaddrs: d.addrs }).catch((err: unknown) => { this.log('could not note the addresses of %s: %e', id, err) })
      if (!(await this.init.client.isAlive(id, limit.signal)) || signal.aborted) return
      this.departed.delete(id)
      // Reconnected: identify puts it back. Over a connection that never closed identify does not run again,
      // so it is put back here, with the same admission check.
      if (!this.init.table.isVerified(id)) this.admit(id, d.addrs)
    } finally {
      limit.clear()
    }
  }

  /** A peer that serves this network's registry protocol enters the table verified, once admitted (closed networks). */
  private admit (id: string, addrs: Multiaddr[]): void {
    const guard = this.init.guard
    const admitted = guard === undefined ? Promise.resolve() : guard.require(id, ['registry'], this.controller?.signal)
    admitted.then(() => {
      if (this.controller === undefined) return
      this.init.table.add(id, addrs, { verified: true })
      if (this.init.registry && !this.selfLookupDone) void this.selfLookup()
    }, () => {
      // Refused admission: the guard reports it (peer:refused).
    })
  }

  /** Whether this registry keeps its link to registry `id` (and checks it when the link closes). */
  isNeighbour (id: string): boolean {
    return this.init.table.isNeighbour(id, this.siblings)
  }

  private get siblings (): number {
    return this.init.siblings ?? TABLE_BUCKET_SIZE
  }

  /** A registry given in registryNodes (or addRegistryNode): pinned in the table. */
  configure (address: string): void {
    const id = checkRegistryAddress(address)
    if (id === this.node.peerId.toString()) return
    this.init.table.add(id, [multiaddr(address)], { configured: true })
  }

  /** Finds the registries closest to this one, which makes them meet it too. */
  private async selfLookup (): Promise<void> {
    if (this.selfLookupRunning) return
    this.selfLookupRunning = true
    try {
      // One more than the siblings: this registry is the closest to its own position, and answers its own lookup.
      const result = await this.lookup(peerPosition(this.node.peerId), (this.init.siblings ?? TABLE_BUCKET_SIZE) + 1)
      // Only other registries count (this one answers its own lookup), and nothing is armed once stopped.
      if (result !== undefined && result > 0 && !this.selfLookupDone && this.controller !== undefined) {
        this.selfLookupDone = true
        // Registries that start after this one settle near it later: look again while the network forms,
        // into every bucket, so that far buckets hold registries this one has spoken to.
        for (const delay of TABLE_WARMUP_REFRESHES_MS) {
          // Jittered: registries started together would otherwise refresh every bucket at the same moment.
          const timer = setTimeout(() => { void this.refresh(true) }, delay * (0.8 + 0.4 * Math.random()))
          timer.unref()
          this.warmupTimers.push(timer)
        }
      }
    } finally {
      this.selfLookupRunning = false
    }
  }

  /**
   * The next periodic refresh, jittered (±20 %) so that registries started together do not refresh together. A
   * table whose membership did not move since the previous refresh started is refreshed half as often (down to
   * once per TABLE_REFRESH_MAX_INTERVAL_MS); any join or leave brings the period back to the minimum. A refresh
   * costs a self-lookup of max(20, K + 10) registries and a bucket lookup: at rest, 60 registries refreshing every minute
   * were the largest burst of a 300-node network's traffic.
   */
  private scheduleRefresh (): void {
    if (this.controller === undefined) return
    const delay = this.refreshPeriod * (0.8 + 0.4 * Math.random())
    this.refreshTimer = setTimeout(() => {
      const generation = this.init.table.generation
      this.refreshPeriod = nextRefreshPeriod(this.refreshPeriod, generation !== this.refreshedGeneration)
      this.refreshedGeneration = generation
      void this.refresh().catch(err => { this.init.onError?.(err as Error) }).finally(() => { this.scheduleRefresh() })
    }, delay)
    this.refreshTimer.unref()
  }

  /**
   * Kademlia's bucket refresh: its own neighbourhood again, and a random position in one bucket (`all`: in each
   * bucket up to the deepest one that holds a registry), so that every part of the key space has registries
   * this one has verified.
   */
  private async refresh (all = false): Promise<void> {
    await this.selfLookup()
    const self = peerPosition(this.node.peerId)
    const deepest = Math.min(Math.max(0, ...this.init.table.bucketIndexes()), MAX_REFRESHED_BUCKET)
    const buckets = all ? Array.from({ length: deepest + 1 }, (_, i) => i) : [this.nextBucket++ % (deepest + 1)]
    for (const bucket of buckets) {
      if (this.controller === undefined) return
      await this.lookup(randomInBucket(self, bucket), BUCKET_REFRESH_NEED)
    }
  }

  /** A bounded FIND lookup; resolves with how many registries answered (undefined if stopped). */
  private async lookup (target: Uint8Array, need: number): Promise<number | undefined> {
    const signal = this.controller?.signal
    if (signal === undefined || signal.aborted) return undefined
    const limit = deadline(this.init.requestTimeout * 2, signal)
    try {
      const result = await this.init.client.findClosest(target, need, limit.signal)
      const self = this.node.peerId.toString()
      return result.answers.filter(a => a.id !== self).length
    } catch (err) {
      if (!signal.aborted) this.init.onError?.(err as Error)
      return undefined
    } finally {
      limit.clear()
    }
  }

  /**
   * Registries this one shares closest sets with, and its siblings: each one that is not connected now is checked
   * (at most every LIVENESS_CHECK_MIN_INTERVAL_MS), so that one that died without this node noticing (no
   * connection to close) still leaves the table and its records are re-replicated. Connected ones need nothing: a
   * close is noticed. A registry that became a sibling while it had no link (the table grew, or a sibling left) is
   * linked again this way, and kept from then on.
   */
  watch (ids: Iterable<string>): void {
    for (const id of new Set([...ids, ...this.init.table.siblingIds(this.siblings)])) {
      const entry = this.init.table.get(id)
      if (entry === undefined || !entry.verified) continue
      if (this.node.getConnections(entry.peerId).length === 0) void this.check(id)
    }
  }

  /**
   * Registries an answer of this one just named as closer to a key: each that nothing was heard from since its link
   * closed (it is no neighbour) is checked, so that one that died stops being named after an answer or two, and
   * every registry's table sheds the dead, not only the tables of their neighbours. At most
   * MAX_CONFIRMATIONS_IN_FLIGHT at once; one skipped is checked when it is named again.
   */
  confirmNamed (entries: Iterable<TableEntry>): void {
    for (const entry of entries) {
      if (this.confirming >= MAX_CONFIRMATIONS_IN_FLIGHT) return
      if (!entry.verified || !entry.unconfirmed || this.node.getConnections(entry.peerId).length > 0) continue
      this.confirming++
      // A link closed since the last check is news: checked even within LIVENESS_CHECK_MIN_INTERVAL_MS of it (one
      // check per link at most: a link that a check opened closes when idle, 60 s or more later).
      void this.check(entry.id, entry.linkClosedAt > (this.lastChecked.get(entry.id) ?? 0))
        .catch((err: unknown) => { this.log('checking registry %s failed: %e', entry.id, err) })
        .finally(() => { this.confirming-- })
    }
  }

  /** Is a registry whose connection closed still there? One request; if it fails, it leaves the table. */
  private async check (id: string, news = false): Promise<void> {
    const signal = this.controller?.signal
    if (signal === undefined) return
    const now = Date.now()
    if (!news && now - (this.lastChecked.get(id) ?? 0) < LIVENESS_CHECK_MIN_INTERVAL_MS) return
    if (this.lastChecked.size > 10_000) this.lastChecked.clear()
    this.lastChecked.set(id, now)
    const limit = deadline(this.init.requestTimeout, signal)
    try {
      const alive = await this.init.client.isAlive(id, limit.signal)
      if (!alive && !signal.aborted) {
        this.log('registry %s did not answer after its connection closed: it leaves the table', id)
        this.init.table.failed(id, true)
      }
    } finally {
      limit.clear()
    }
  }
}
