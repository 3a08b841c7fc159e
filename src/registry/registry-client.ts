/**
 * The client side of the registry protocol: find the registries closest to a service key (Kademlia lookup,
 * cached), publish a record to them, and discover a name from a few of them in one round trip each,
 * verifying and merging what they return.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_RECORDS_PER_RESPONSE, MAX_REGISTRY_MESSAGE_BYTES, SESSION_IDLE_TIMEOUT_MS, registryProtocol } from '../constants.js'
import { LimitExceededError, NoRegistryReachableError, RecordValidationError } from '../errors.js'
import { SessionPool } from '../node/session.js'
import { deadline } from '../util/deadline.js'
import { compareRecords, isLive, openRecord } from '../records/service-record.js'
import { serviceKey } from '../records/service-key.js'
import { VerifyCache } from '../records/verify-cache.js'
import { closestTo } from './distance.js'
import type { RegistryServer } from './registry-server.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { RecordExpectations, VerifiedRecord } from '../records/service-record.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { IdentifyResult, PeerId, PeerInfo, PublicKey } from '@libp2p/interface'
import type { SingleKadDHT } from '@libp2p/kad-dht'

export interface RegistryClientInit {
  network: string
  /** Peer ids of the configured registry nodes (their addresses are in the peer store). */
  configuredRegistries: () => Iterable<string>
  /** The local registry, when this node is one: it is part of every closest set it belongs to. */
  localRegistry?: RegistryServer
  replicationFactor: number
  /** Registries asked in parallel per discovery. */
  queryFanout: number
  /** Deadline of one request to one registry (ms). */
  requestTimeout: number
  /** How long a routing lookup result is reused (ms). */
  routeCacheTtl: number
  /** Deadline of one Kademlia lookup (ms). */
  lookupTimeout: number
  /** Closed networks: only peers admitted as registries are asked, and records need the authority's admission. */
  guard?: AdmissionGuard
  authority?: PublicKey
}

export interface PublishResult {
  /** Registries (peer ids) that hold the record now. */
  accepted: string[]
  /** Registries that refused it: peer id → `code: message`. */
  refusals: Record<string, string>
  /** Registries that could not be reached: peer id → reason. */
  unreachable: Record<string, string>
}

const EMPTY = new Uint8Array(0)
/** A registry that failed is deprioritised for this long, doubling per failure up to the max (ms). */
const SUSPECT_BACKOFF_MIN_MS = 1000
const SUSPECT_BACKOFF_MAX_MS = 30_000
/** How long a lookup waits for an empty routing table to get its first registry (ms). */
const ROUTING_TABLE_WAIT_MS = 1000
/** Unverified registries (reported by a lookup, never contacted) a route may add, tried after the known ones. */
const MAX_UNVERIFIED_REGISTRIES = 3
/** Closer peers taken from one DHT answer, and from one lookup in all. */
const MAX_REPORTED_PER_RESPONSE = 20
const MAX_REPORTED_PEERS = 60
/** Instances whose newest sequence a client remembers (rule 7). */
const MAX_SEEN_INSTANCES = 10_000

/** Registries for one name: the closest set of those known, then a few merely reported by a lookup. */
export interface Route {
  /** Closest known registries first (configured ones always included), then unverified ones. */
  registries: string[]
  /** How many of `registries` are known registries (configured, identified, or answering the DHT walk). */
  trusted: number
}

interface CachedRoute extends Route {
  expires: number
  refreshing?: boolean
}

/** Routes kept at most (one per service name looked up). */
const MAX_CACHED_ROUTES = 4096

export class RegistryClient {
  private readonly node: NetgetLibp2p
  private readonly init: RegistryClientInit
  private readonly routes = new Map<string, CachedRoute>()
  private readonly excluded = new Set<string>()
  private readonly peerIds = new Map<string, PeerId>()
  /**
   * Peers whose identify lists this network's registry protocol. Not the peer store's protocol lists: libp2p
   * records a protocol for a peer as soon as the peer opens a stream of it to us, so a registry's peer store
   * would count every client that asked it something as a registry.
   */
  private readonly identified = new Set<string>()
  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const id = event.detail.peerId.toString()
    if (event.detail.protocols.includes(registryProtocol(this.init.network))) {
      if (this.identified.size < MAX_SEEN_INSTANCES) this.identified.add(id)
    } else {
      this.identified.delete(id)
    }
  }
  private readonly self: string
  /** Highest record seen per instance, so discovery never goes back to an older one (rule 7). */
  private readonly seen = new Map<string, VerifiedRecord>()
  private readonly verified = new VerifyCache()
  /** Registries that failed recently: skipped (publish) or asked last (discover) until `until`. */
  /** Aborts background work (route refreshes) when the node stops. */
  private readonly closing = new AbortController()
  private readonly suspects = new Map<string, { until: number, backoff: number }>()

  private readonly sessions: SessionPool<RegistryRequest, RegistryResponse>

  constructor (node: NetgetLibp2p, init: RegistryClientInit) {
    this.node = node
    this.init = init
    this.self = node.peerId.toString()
    node.addEventListener('peer:identify', this.onIdentify)
    this.sessions = new SessionPool({
      node,
      protocol: registryProtocol(init.network),
      codecs: { request: RegistryRequest, response: RegistryResponse },
      responseLimits: { records: MAX_RECORDS_PER_RESPONSE },
      maxDataLength: MAX_REGISTRY_MESSAGE_BYTES,
      idleTimeout: SESSION_IDLE_TIMEOUT_MS,
      openTimeout: init.requestTimeout
    })
  }

  /**
   * Registries this node knows now: configured ones and any identified peer that speaks the registry protocol,
   * less those removed with removeRegistryNode().
   */
  async knownRegistries (): Promise<string[]> {
    const ids = new Set(this.init.configuredRegistries())
    const guard = this.init.guard
    for (const id of this.identified) {
      if (guard === undefined || guard.roleOf(id) === 'registry') ids.add(id)
    }
    ids.delete(this.node.peerId.toString())
    for (const id of this.excluded) ids.delete(id)
    return [...ids]
  }

  /** The registries closest to a service's key, nearest first (the local registry as "self"). */
  async closestRegistries (name: string, signal: AbortSignal): Promise<Route> {
    const cached = this.routes.get(name)
    const now = Date.now()
    if (cached !== undefined && cached.expires > now) return cached
    // An expired route is still a good guess: use it now and refresh it in the background,
    // so a discovery does not pay for a Kademlia lookup every routeCacheTtl.
    if (cached !== undefined && cached.expires + this.init.routeCacheTtl > now) {
      if (cached.refreshing !== true) {
        cached.refreshing = true
        const refresh = deadline(this.init.lookupTimeout, this.closing.signal)
        this.route(name, refresh.signal).catch(() => {}).finally(() => {
          cached.refreshing = false
          refresh.clear()
        })
      }
      return cached
    }
    return this.route(name, signal)
  }

  private async route (name: string, signal: AbortSignal): Promise<Route> {
    const key = await serviceKey(this.init.network, name)
    const known = await this.knownRegistries()
    let found = await this.lookup(key, signal)
    if (found.queried.length === 0 && found.reported.length === 0 && await this.routingTableFilled(signal)) found = await this.lookup(key, signal)
    const candidates = new Set([...known, ...found.queried.filter(id => !this.excluded.has(id))])
    const self = this.node.peerId.toString()
    if (this.init.localRegistry !== undefined) candidates.add(self)
    const closest = await closestTo(key, candidates, this.init.replicationFactor)
    // Configured registries always take part, however far: a walk full of made-up close ids cannot push them out.
    const configured = [...this.init.configuredRegistries()].filter(id => id !== self && !this.excluded.has(id) && !closest.includes(id))
    const trusted = [...closest, ...configured]
    // Peers a lookup only heard of (kad-dht does not walk to a reported peer farther than its reporter, so on a
    // small network they are how a node learns of the other registries). Unverified: a few, tried last.
    const reported = found.reported.filter(p => !candidates.has(p.id.toString()) && !this.excluded.has(p.id.toString()) && p.id.toString() !== self)
    const extras = await closestTo(key, reported.map(p => p.id.toString()), MAX_UNVERIFIED_REGISTRIES)
    for (const peer of reported) {
      if (extras.includes(peer.id.toString()) && peer.multiaddrs.length > 0) {
        await this.node.peerStore.merge(peer.id, { multiaddrs: peer.multiaddrs.slice(0, 4) }).catch(() => {})
      }
    }
    const route: Route = { registries: [...trusted, ...extras], trusted: trusted.length }
    // A lookup that found nothing (routing table not filled yet) is retried soon, not reused for long.
    const ttl = found.queried.length > 0 ? this.init.routeCacheTtl : Math.min(1000, this.init.routeCacheTtl)
    if (route.registries.length > 0) {
      if (this.routes.size >= MAX_CACHED_ROUTES) this.routes.delete(this.routes.keys().next().value as string)
      this.routes.set(name, { ...route, expires: Date.now() + ttl })
    }
    return route
  }

  /** Forgets cached routes, e.g. after the set of registries changed. */
  invalidateRoutes (): void {
    this.routes.clear()
  }

  /** Stops using a registry (removeRegistryNode), even if the DHT or the peer store still lists it. */
  exclude (peerId: string): void {
    this.excluded.add(peerId)
    this.invalidateRoutes()
    this.sessions.close(peerId)
  }

  /** Uses a registry again (addRegistryNode). */
  include (peerId: string): void {
    this.excluded.delete(peerId)
    this.invalidateRoutes()
  }

  async publish (name: string, bytes: Uint8Array, signal: AbortSignal): Promise<PublishResult> {
    const { registries } = await this.closestRegistries(name, signal)
    if (registries.length === 0) throw new NoRegistryReachableError('No registry node is known: give registryNodes')
    const result: PublishResult = { accepted: [], refusals: {}, unreachable: {} }
    const self = this.node.peerId.toString()
    // A registry that just failed would hold every publish up to its deadline; it gets the next republish.
    const healthy = registries.filter(id => !this.isSuspect(id))
    await Promise.all((healthy.length > 0 ? healthy : registries).map(async id => {
      try {
        if (id === self && this.init.localRegistry !== undefined) {
          await this.init.localRegistry.accept(bytes, self, 'publish')
        } else {
          const response = await this.send(id, { type: RegistryRequest.Type.PUBLISH, record: bytes as Uint8Array<ArrayBuffer> }, signal)
          if (response.status !== RegistryResponse.Status.OK) {
            result.refusals[id] = `${response.code}: ${response.message}`
            return
          }
        }
        result.accepted.push(id)
        this.suspects.delete(id)
      } catch (err) {
        if (err instanceof RecordValidationError || err instanceof LimitExceededError) {
          result.refusals[id] = `${err.code}: ${err.message}`
        } else {
          result.unreachable[id] = (err as Error).message
          this.markFailed(id)
        }
      }
    }))
    if (result.accepted.length === 0 && Object.keys(result.refusals).length === 0) this.routes.delete(name)
    return result
  }

  /** Every live, verified instance of `name` from the closest registries, merged by publisher. */
  async discover (name: string, signal: AbortSignal): Promise<VerifiedRecord[]> {
    const route = await this.closestRegistries(name, signal)
    if (route.registries.length === 0) throw new NoRegistryReachableError('No registry node is known: give registryNodes')
    // Known registries before unverified ones; within each, those that failed recently last, so one dead
    // registry does not slow every discovery.
    const byHealth = (ids: string[]): string[] => [...ids.filter(id => !this.isSuspect(id)), ...ids.filter(id => this.isSuspect(id))]
    const batches = [
      ...chunk(byHealth(route.registries.slice(0, route.trusted)), this.init.queryFanout),
      ...chunk(byHealth(route.registries.slice(route.trusted)), this.init.queryFanout)
    ]
    const merged = new Map<string, VerifiedRecord>()
    const errors: string[] = []
    let answered = 0
    // Ask `queryFanout` registries at a time, known ones first; move on to the next batch only if none of one
    // answered (so an unverified registry never holds up a discovery that known ones can answer).
    for (const batch of batches) {
      if (answered > 0 || signal.aborted) break
      await Promise.all(batch.map(async id => {
        try {
          const records = await this.fetchRecords(id, name, signal)
          answered++
          this.suspects.delete(id)
          for (const record of records) mergeInto(merged, record)
        } catch (err) {
          errors.push(`${id}: ${err instanceof Error ? err.message : String(err)}`)
          if (!signal.aborted) this.markFailed(id)
        }
      }))
    }
    if (answered === 0) {
      this.routes.delete(name)
      throw new NoRegistryReachableError(`No registry answered for "${name}": ${errors.join('; ')}`)
    }
    const now = Date.now()
    const out: VerifiedRecord[] = []
    for (const record of merged.values()) {
      const key = `${name}/${record.peerId}`
      const seen = this.seen.get(key)
      // Only a live record holds the line: once it expired, whatever the registries hold now is the truth.
      const best = seen !== undefined && isLive(seen, now) && compareRecords(seen, record) > 0 ? seen : record
      this.seen.delete(key)
      this.seen.set(key, best)
      if (!best.withdrawn && isLive(best, now)) out.push(best)
    }
    this.forgetOldest()
    return out.sort((a, b) => a.peerId < b.peerId ? -1 : 1)
  }

  private async fetchRecords (id: string, name: string, signal: AbortSignal): Promise<VerifiedRecord[]> {
    if (id === this.self && this.init.localRegistry !== undefined) {
      return this.init.localRegistry.lookup(name)
    }
    const response = await this.send(id, { type: RegistryRequest.Type.DISCOVER, name }, signal)
    if (response.status !== RegistryResponse.Status.OK) throw new Error(`${response.code}: ${response.message}`)
    const records: VerifiedRecord[] = []
    for (const bytes of response.records.slice(0, MAX_RECORDS_PER_RESPONSE)) {
      // A registry may hold junk or lie: each record stands or falls on its own signature.
      try {
        records.push(await openRecord(bytes, this.expect(name), this.verified))
      } catch {}
    }
    return records
  }

  /** Addresses of an instance from the newest record discovery has seen of it ([] if none). */
  lastKnownAddresses (peerId: string): string[] {
    for (const [key, record] of this.seen) {
      if (record.peerId === peerId && key.endsWith(`/${peerId}`)) return record.addresses
    }
    return []
  }

  /** Closes the request streams to registries. */
  close (): void {
    this.node.removeEventListener('peer:identify', this.onIdentify)
    this.closing.abort()
    this.sessions.closeAll()
  }

  /** Parsed peer ids of registries, kept: parsing base58 on every request showed in profiles. */
  private peerId (id: string): PeerId {
    let peer = this.peerIds.get(id)
    if (peer === undefined) {
      if (this.peerIds.size >= MAX_SEEN_INSTANCES) this.peerIds.clear()
      peer = peerIdFromString(id)
      this.peerIds.set(id, peer)
    }
    return peer
  }

  private expect (name: string): RecordExpectations {
    return { network: this.init.network, name, ...(this.init.authority !== undefined ? { authority: this.init.authority } : {}) }
  }

  private async send (id: string, message: Omit<RegistryRequest, 'id' | 'name' | 'record'> & Partial<RegistryRequest>, signal: AbortSignal): Promise<RegistryResponse> {
    const limit = deadline(this.init.requestTimeout, signal)
    try {
      await this.init.guard?.require(id, ['registry'], limit.signal)
      return await this.sessions.request(this.peerId(id), { name: '', record: EMPTY, ...message }, limit.signal)
    } finally {
      limit.clear()
    }
  }

  /**
   * Just after start the DHT routing table is empty and a lookup finds nothing, so a node would only know the
   * registries it was configured with (a service given one registry of several would publish to that one
   * alone). Waits, bounded, for the first registry to enter the routing table; false if none did (then
   * another lookup would find nothing either).
   */
  private async routingTableFilled (signal: AbortSignal): Promise<boolean> {
    const table = (this.node.services.dht as Partial<SingleKadDHT> & { routingTable?: EventTarget & { size: number } }).routingTable
    // Nobody to wait for: a lone registry's table stays empty, and waiting would only slow it down.
    if (table === undefined || [...this.init.configuredRegistries()].length === 0) return false
    // Filled while the first lookup ran: worth a second one at once.
    if (table.size > 0) return true
    const limit = deadline(Math.min(ROUTING_TABLE_WAIT_MS, this.init.lookupTimeout), signal)
    const { promise, resolve } = Promise.withResolvers<boolean>()
    const onAdd = (): void => { resolve(true) }
    const onAbort = (): void => { resolve(false) }
    table.addEventListener('peer:add', onAdd, { once: true })
    limit.signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await promise
    } finally {
      table.removeEventListener('peer:add', onAdd)
      limit.signal.removeEventListener('abort', onAbort)
      limit.clear()
    }
  }

  /** Kademlia lookup of the DHT servers (all registries) closest to `key`; bounded, never throws. */
  /**
   * Kademlia lookup of the DHT servers (all registries) closest to `key`; bounded, never throws. Returns the
   * peers the walk queried (they answered the DHT protocol) and, apart, the closer peers they only reported.
   */
  private async lookup (key: Uint8Array, signal: AbortSignal): Promise<{ queried: string[], reported: PeerInfo[] }> {
    const queried = new Set<string>()
    const reported = new Map<string, PeerInfo>()
    const limit = deadline(this.init.lookupTimeout, signal)
    const self = this.node.peerId.toString()
    try {
      for await (const event of this.node.services.dht.getClosestPeers(key, { signal: limit.signal })) {
        if (event.name === 'FINAL_PEER') {
          queried.add(event.peer.id.toString())
        } else if (event.name === 'PEER_RESPONSE') {
          for (const peer of event.closer.slice(0, MAX_REPORTED_PER_RESPONSE)) {
            if (reported.size < MAX_REPORTED_PEERS) reported.set(peer.id.toString(), peer)
          }
        }
      }
    } catch {
      // A lookup that times out or fails leaves the known registries as candidates.
    } finally {
      limit.clear()
    }
    queried.delete(self)
    for (const id of queried) reported.delete(id)
    return { queried: [...queried], reported: [...reported.values()] }
  }

  private isSuspect (id: string): boolean {
    return (this.suspects.get(id)?.until ?? 0) > Date.now()
  }

  private markFailed (id: string): void {
    const backoff = Math.min((this.suspects.get(id)?.backoff ?? SUSPECT_BACKOFF_MIN_MS / 2) * 2, SUSPECT_BACKOFF_MAX_MS)
    this.suspects.set(id, { until: Date.now() + backoff, backoff })
  }

  /** Bounded: the least recently seen instances go first (the map keeps insertion order; seen ones move back). */
  private forgetOldest (): void {
    for (const key of this.seen.keys()) {
      if (this.seen.size <= MAX_SEEN_INSTANCES) break
      this.seen.delete(key)
    }
  }
}

function chunk<T> (items: T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

function mergeInto (merged: Map<string, VerifiedRecord>, record: VerifiedRecord): void {
  const held = merged.get(record.peerId)
  if (held === undefined || compareRecords(record, held) > 0) merged.set(record.peerId, record)
}
