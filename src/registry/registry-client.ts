/**
 * The client side of the registry protocol: publish a record at the registries closest to its service key,
 * discover a name from the closest ones, and find the registries closest to any position. All three are one
 * iterative lookup (src/routing/walk.ts) over registry-protocol requests whose answers name closer registries,
 * so they converge on the same registries whichever registry a node started from.
 */
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import {
  CONFIRMING_ANSWERS, LOOKUP_ALPHA, LOOKUP_MAX_CANDIDATES, LOOKUP_MIN_QUERIES, LOOKUP_SPARE_SEEDS, MAX_FIND_HINTS, MAX_HINTS, MAX_RECORDS_PER_RESPONSE, RELAY_DIRECT
} from '../constants.js'
import { LimitExceededError, NetgetError, NoRegistryReachableError, RecordValidationError } from '../errors.js'
import { compareRecords, isLive, openRecord } from '../records/service-record.js'
import { VerifyCache } from '../records/verify-cache.js'
import { decodeHints } from '../routing/hints.js'
import { HedgeDelay } from '../routing/hedge.js'
import { compareDistance, peerPosition, servicePosition } from '../routing/position.js'
import { RouteCache } from '../routing/route-cache.js'
import { walk } from '../routing/walk.js'
import { fresher, healthFromWire, unknownHealth } from '../health/model.js'
import type { InstanceHealth } from '../health/model.js'
import { BoundedMap } from '../util/bounded-map.js'
import { Refusal, noAnswerError } from './refusal.js'
import { RegistryConnections } from './registry-connections.js'
import type { ClientCounters, PublishResult, RegistryClientInit } from './client-types.js'
import type { RegistryConnectionsComponents, RequestFields } from './registry-connections.js'
import type { HeldRecord } from './registry-server.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { RecordExpectations, VerifiedRecord } from '../records/service-record.js'
import type { RegistryTable } from '../routing/registry-table.js'
import type { Answered, Candidate, QueryAnswer, WalkResult } from '../routing/walk.js'
import type { Logger, Stream } from '@libp2p/interface'

export type RegistryClientComponents = Pick<NetgetLibp2p, 'peerId' | 'logger'> & RegistryConnectionsComponents

/** One registry's DISCOVER answer: what it holds, and whether it said it is settling (not to be taken alone). */
interface DiscoverAnswer {
  held: HeldRecord[]
  settling: boolean
}

/** Instances whose newest sequence a client remembers (rule 7). */
const MAX_SEEN_INSTANCES = 10_000

type PublishAnswer = { ok: true } | { ok: false, refusal: string }

export class RegistryClient {
  readonly counters: ClientCounters = { lookups: 0, requests: 0, requestBytes: 0, responseBytes: 0, hops: 0, hedges: 0 }
  /** `netget:registry-client` (DEBUG=netget*): failed requests and records dropped from answers, with why. */
  private readonly log: Logger
  private readonly init: RegistryClientInit
  private readonly table: RegistryTable
  private readonly routes: RouteCache
  /** This client's recent DISCOVER answer times: when a discovery asks the next registry too. */
  private readonly hedge = new HedgeDelay()
  private readonly excluded = new Set<string>()
  private readonly self: string
  private readonly selfPosition: Uint8Array
  /**
   * Highest record seen per instance, so discovery never goes back to an older one (rule 7); bounded, the least
   * recently seen first out (a record seen again moves back).
   */
  private readonly seen = new BoundedMap<string, VerifiedRecord>(MAX_SEEN_INSTANCES)
  private readonly verified = new VerifyCache()
  private readonly connections: RegistryConnections

  constructor (node: RegistryClientComponents, init: RegistryClientInit) {
    this.log = node.logger.forComponent('netget:registry-client')
    this.init = init
    this.table = init.table
    this.self = node.peerId.toString()
    this.selfPosition = peerPosition(node.peerId)
    this.routes = new RouteCache({ ttl: init.routeCacheTtl, size: init.replicationFactor, position: id => this.position(id), excluded: id => this.excluded.has(id) })
    this.connections = new RegistryConnections(node, init, this.counters)
  }

  /** Whether this node still wants its connection to a registry: a session is open, or it is one to keep. */
  wants (id: string): boolean {
    return this.connections.wants(id)
  }

  /** A registry this node no longer needs to stay connected to: closed now if nothing uses it. */
  release (id: string): void {
    this.connections.release(id)
  }

  /** Verified registries this node knows now, less those removed with removeRegistryNode(). */
  knownRegistries (): string[] {
    return [...this.table.all()].filter(e => e.verified && !this.excluded.has(e.id)).map(e => e.id)
  }

  /** Forgets cached routes, e.g. after the set of registries changed. */
  invalidateRoutes (): void {
    this.routes.clear()
  }

  /** Stops using a registry (removeRegistryNode), even if others still name it in their answers. */
  exclude (peerId: string): void {
    this.excluded.add(peerId)
    this.table.remove(peerId)
    this.invalidateRoutes()
    this.connections.close(peerId)
  }

  /** Whether removeRegistryNode() took this registry out of use. */
  isExcluded (peerId: string): boolean {
    return this.excluded.has(peerId)
  }

  /** Uses a registry again (addRegistryNode). */
  include (peerId: string): void {
    this.excluded.delete(peerId)
    this.invalidateRoutes()
  }

  /**
   * Stores a signed record at the `replicationFactor` registries closest to its name. A node without a route for
   * the name first finds them (a FIND lookup), so that the record is not left at registries met on the way.
   * With `relay` (renewals and withdrawals) it goes to the RELAY_DIRECT closest live registries only, which send
   * it on to the rest of the closest set (protocols/registry.md, "Relayed renewals"); `accepted` then lists those
   * few. It is published to all of the closest set after all when one of those few refused, or fewer answered;
   * and, when `strict`, also when a registry failed on the way: the one that took a failed one's place may still
   * rank it closer, and then relays nothing, so the failed one's share would go without. Withdrawals are strict
   * (such a share would keep serving a stopped instance); a renewal is `lenient` (the share keeps its previous,
   * live, copy) until renewals keep meeting a failed registry (lease.ts): a renewal to all K from every service
   * that lost a holder made a third of the network dying cost ≈ 17 new connections per service at once (K = 20;
   * docs/performance.md).
   */
  async publish (name: string, bytes: Uint8Array, signal: AbortSignal, relay: false | 'lenient' | 'strict' = false): Promise<PublishResult> {
    const target = servicePosition(this.init.network, name)
    const k = this.init.replicationFactor
    const relayed = relay !== false && k > RELAY_DIRECT
    const need = relayed ? RELAY_DIRECT : k
    if (!this.routes.has(name)) {
      // All of the closest set at once (α = K), as the publication itself will: a first publication is a few round trips.
      const found = await this.findClosest(target, need, signal, need)
      if (found.closest.length > 0) this.routes.remember(name, target, found.closest.map(a => a.id), false)
    }
    // Publications always ask for closer registries: they are rare (a renewal every recordTtl / 3), and a record
    // must reach a registry that joined near its key even while the route is fresh.
    const result = await this.lookup<PublishAnswer>(target, name, need, need, signal,
      async (candidate, closer, s) => this.publishTo(candidate, bytes, closer, relayed ? k : 0, s), true)
    const failedOnTheWay = relay === 'strict' && result.failures.size > 0
    if (relayed && !signal.aborted && (failedOnTheWay || result.closest.some(a => !a.value.ok) || result.closest.length < need)) {
      return this.publish(name, bytes, signal, false)
    }
    const outcome: PublishResult = { accepted: [], refusals: {}, unreachable: {}, missedCloser: false }
    for (const answer of result.closest) {
      if (answer.value.ok) outcome.accepted.push(answer.id)
      else outcome.refusals[answer.id] = answer.value.refusal
    }
    const farthest = result.closest.at(-1)?.id
    for (const [id, err] of result.failures) {
      outcome.unreachable[id] = err.message
      if (farthest === undefined || result.closest.length < need || compareDistance(target, this.position(id), this.position(farthest)) < 0) outcome.missedCloser = true
    }
    if (outcome.accepted.length === 0 && Object.keys(outcome.refusals).length === 0 && result.closest.length === 0 && result.queries === 0) {
      throw new NoRegistryReachableError('No registry node is known: give registryNodes')
    }
    return outcome
  }

  /**
   * Every live, verified instance of `name`, from the `queryFanout` closest registries that answer (all
   * reachable ones when fewer), merged by publisher.
   */
  async discover (name: string, signal: AbortSignal): Promise<HeldRecord[]> {
    const target = servicePosition(this.init.network, name)
    const need = Math.min(this.init.queryFanout, this.init.replicationFactor)
    const ask = async (need: number, alwaysHints: boolean, hedge: number | undefined): Promise<WalkResult<DiscoverAnswer>> => this.lookup<DiscoverAnswer>(target, name, need,
      Math.max(LOOKUP_ALPHA, need), signal, async (candidate, closer, s) => this.discoverFrom(candidate, name, closer, s), alwaysHints, hedge)
    const routeWasFresh = (this.routes.get(name)?.fresh ?? 0) > Date.now()
    let result = await ask(need, false, this.hedge.delay())
    const confirmations = Math.max(need, Math.min(CONFIRMING_ANSWERS, this.init.replicationFactor))
    // One registry's answer is not taken alone when it found nothing (the route may be one a lookup found while the
    // network was still forming, or the registry may withhold records: it cannot forge any), nor when that
    // registry says it is settling (it may have just joined the name's closest set, and re-replication is still
    // filling it). Asked again with hints, until the CONFIRMING_ANSWERS closest answered; a name nobody registered
    // pays this one more round, and so does every discovery in the seconds after a registry joins or leaves.
    // This lookup hedges only after half the request deadline, not after the recent p95: a registry slow to answer
    // now may be the one holder left after the others died (busy re-replicating what it holds), and the registries
    // a hedge would ask instead are the ones still filling. Not never: a hostile closest registry that answers the
    // first request at once and stalls this one would otherwise cost every discovery of its name the whole deadline.
    // Records the first lookup got are kept whatever the confirming one finds: they are signed, so the union of
    // both is safe, and a confirmation cut short by the deadline must not lose them.
    let first: Array<Answered<DiscoverAnswer>> = []
    if (!signal.aborted && confirmations > need && result.closest.length > 0 &&
      (result.closest.every(a => a.value.held.length === 0) || result.closest.some(a => a.value.settling))) {
      const confirmed = await ask(confirmations, true, this.init.requestTimeout / 2)
      if (confirmed.closest.length > 0) {
        first = result.closest
        result = confirmed
      }
    } else if (!signal.aborted && result.closest.every(a => a.value.held.length === 0) && routeWasFresh) {
      // queryFanout ≥ 2 already asked several: still, a fresh route asked without hints may be a stale one.
      result = await ask(need, true, this.hedge.delay())
    }
    if (result.closest.length === 0) {
      if (result.queries === 0) throw new NoRegistryReachableError('No registry node is known: give registryNodes')
      throw noAnswerError(name, result.failures)
    }
    // Only the closest answer: a registry farther away may hold a copy from an older route whose instance
    // is down, and only the closest probe what they hold (docs/architecture.md, "Health").
    const merged = new Map<string, VerifiedRecord>()
    const health = new Map<string, InstanceHealth>()
    for (const answer of [...first, ...result.closest]) {
      for (const held of answer.value.held) {
        mergeInto(merged, held.record)
        if (held.health !== undefined) health.set(held.record.peerId, fresher(health.get(held.record.peerId) ?? unknownHealth(), held.health))
      }
    }
    const now = Date.now()
    const out: HeldRecord[] = []
    for (const record of merged.values()) {
      const key = `${name}/${record.peerId}`
      const seen = this.seen.get(key)
      // Only a live record holds the line: once it expired, whatever the registries hold now is the truth.
      const best = seen !== undefined && isLive(seen, now) && compareRecords(seen, record) > 0 ? seen : record
      this.seen.delete(key)
      this.seen.set(key, best)
      if (!best.withdrawn && isLive(best, now)) out.push({ record: best, health: health.get(best.peerId) ?? unknownHealth() })
    }
    return out.sort((a, b) => a.record.peerId < b.record.peerId ? -1 : 1)
  }

  /** The `need` registries closest to `target` that answer (a FIND lookup: nothing stored, nothing read). */
  async findClosest (target: Uint8Array, need: number, signal: AbortSignal, alpha = LOOKUP_ALPHA): Promise<WalkResult<undefined>> {
    return this.lookup<undefined>(target, undefined, need, alpha, signal, async (candidate, _closer, s) => this.findFrom(candidate, target, need, s))
  }

  /** The `count` live registries closest to `name`'s service key, nearest first (this node too, if a registry). */
  async closestRegistries (name: string, count: number, signal: AbortSignal): Promise<string[]> {
    const result = await this.findClosest(servicePosition(this.init.network, name), count, signal)
    if (result.closest.length === 0 && result.queries === 0) throw new NoRegistryReachableError('No registry node is known: give registryNodes')
    return result.closest.map(a => a.id)
  }

  /** Opens a stream of `protocol` to a registry (dialling it from what the table knows of it if needed). */
  async openStream (id: string, protocol: string, signal: AbortSignal): Promise<Stream> {
    return this.connections.openStream(id, protocol, signal)
  }

  /** Whether a registry answers a request now (a liveness check). */
  async isAlive (id: string, signal: AbortSignal): Promise<boolean> {
    const entry = this.table.get(id)
    const candidate: Candidate = { id, position: this.position(id), addrs: entry?.addrs ?? [], hop: 0, state: 'new', seed: true }
    try {
      await this.ask(candidate, { type: RegistryRequest.Type.FIND, key: this.selfPosition as Uint8Array<ArrayBuffer>, closer: 0 }, signal)
      return true
    } catch (err) {
      this.log('registry %s did not answer a liveness check: %e', id, err)
      return false
    }
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
    this.connections.closeAll()
  }

  /** One lookup: seeds from the name's route, the table and this node if it is a registry. */
  private async lookup<T> (target: Uint8Array, name: string | undefined, need: number, alpha: number, signal: AbortSignal,
    query: (candidate: Candidate, closer: number, signal: AbortSignal) => Promise<QueryAnswer<T>>, alwaysHints = false, hedgeAfter?: number): Promise<WalkResult<T>> {
    const route = name === undefined ? undefined : this.routes.get(name)
    // A fresh route is asked without asking for closer registries (smaller answers); a stale one is repaired.
    const closer = !alwaysHints && route !== undefined && route.fresh > Date.now() ? 0 : Math.min(MAX_HINTS, Math.max(need, this.init.replicationFactor))
    const seeds: Array<{ id: string, position: Uint8Array }> = []
    for (const id of route?.ids ?? []) {
      const entry = this.table.get(id)
      if (entry !== undefined && !this.excluded.has(id)) seeds.push(entry)
    }
    // More seeds than needed: the walk asks only the closest, and the others stand in for those that fail (a route
    // whose registries all died at once must not leave the lookup with nobody to ask).
    const width = Math.max(need, this.init.replicationFactor)
    // Registries this node has proof of (or was given) are seeded apart from those only named in hints: a registry
    // that names many made-up peers close to the key would otherwise fill every seed slot, and a lookup whose
    // candidates all fail would end with the liar's answer alone (found by the lying-registry test).
    const spare = width + Math.max(width, LOOKUP_SPARE_SEEDS)
    for (const entry of this.table.closest(target, spare, e => !this.excluded.has(e.id) && (e.verified || e.configured))) seeds.push(entry)
    // As many hinted ones: after a whole process of registries died, the verified ones near a key may all be gone,
    // and the hints are then what leads to the survivors (a quota of `width` left services unable to renew).
    for (const entry of this.table.closest(target, spare, e => !this.excluded.has(e.id) && !e.verified && !e.configured)) seeds.push(entry)
    if (this.init.localRegistry !== undefined) seeds.push({ id: this.self, position: this.selfPosition })
    this.counters.lookups++
    // Whether some registry named as many hints as it was asked for: it may know more than it said.
    let namedInFull = false
    const once = async (closer: number, skip?: Set<string>, from = seeds): Promise<WalkResult<T>> => walk<T>({
      target,
      seeds: from,
      need,
      alpha,
      maxQueries: Math.max(LOOKUP_MIN_QUERIES, 3 * need),
      maxCandidates: LOOKUP_MAX_CANDIDATES,
      signal,
      accept: id => !this.excluded.has(id) && skip?.has(id) !== true && (id !== this.self || this.init.localRegistry !== undefined),
      // Discovery only: a record must reach the true closest set even when one of them is slow.
      ...(hedgeAfter !== undefined ? { hedgeAfter, hedgeWithin: this.init.replicationFactor } : {}),
      query: async (candidate, s) => {
        const answer = await query(candidate, closer, s)
        if (closer > 0 && answer.closer.length >= closer) namedInFull = true
        return answer
      }
    })
    let result = await once(closer)
    const failed = [...result.failures].filter(([, err]) => !(err instanceof Refusal)).map(([id]) => id)
    // Fewer answers than needed because registries failed, after an answer named all the hints it was asked for
    // (DISCOVER and PUBLISH walks; a FIND asks for 20 already): they may all have been dead (a registry learns that
    // one it has no link to died when it next names it). Asked again for MAX_HINTS, as Kademlia always asks for k:
    // among that many some are alive, and lead to the registries around the key.
    // Registries that refused (over a rate) are alive: that is no reason to ask again. Those that failed are not
    // asked again, and the second walk counts only if it did better than the first.
    if (name !== undefined && closer < MAX_HINTS && namedInFull && result.closest.length < need && failed.length > 0 && !signal.aborted) {
      this.log('a lookup met %d failed registries and too few answers: asked again for %d hints', failed.length, MAX_HINTS)
      // From the registries that answered (they are alive, and know more than they said), then the first seeds.
      const answered = result.answers.map(a => ({ id: a.id, position: this.position(a.id) }))
      const wider = await once(MAX_HINTS, new Set(failed), [...answered, ...seeds])
      // Hedges of the walk whose result is not returned (those of the returned one are counted below).
      if (wider.closest.length >= result.closest.length) {
        this.counters.hedges += result.hedges
        result = { ...wider, failures: new Map([...result.failures, ...wider.failures]), queries: result.queries + wider.queries }
      } else {
        this.counters.hedges += wider.hedges
      }
    }
    this.counters.hops += result.hops
    this.counters.hedges += result.hedges
    if (name !== undefined) {
      if (result.closest.length === 0) this.routes.delete(name)
      // A registry that refused (over a rate, say) is alive and still among the closest: it stays in the route.
      else this.routes.remember(name, target, result.closest.map(a => a.id), closer === 0, [...result.failures].filter(([, err]) => !(err instanceof Refusal)).map(([id]) => id))
    }
    return result
  }

  private position (id: string): Uint8Array {
    return id === this.self ? this.selfPosition : (this.table.get(id)?.position ?? peerPosition(id))
  }

  private async publishTo (candidate: Candidate, bytes: Uint8Array, closer: number, relay: number, signal: AbortSignal): Promise<QueryAnswer<PublishAnswer>> {
    if (candidate.id === this.self && this.init.localRegistry !== undefined) {
      try {
        await this.init.localRegistry.accept(bytes, this.self, 'publish', relay)
        return { value: { ok: true }, closer: [] }
      } catch (err) {
        if (err instanceof RecordValidationError || err instanceof LimitExceededError) return { value: { ok: false, refusal: `${err.code}: ${err.message}` }, closer: [] }
        throw err
      }
    }
    const response = await this.ask(candidate, { type: RegistryRequest.Type.PUBLISH, record: bytes as Uint8Array<ArrayBuffer>, closer, relay }, signal)
    const hints = this.hints(response, MAX_HINTS)
    if (response.status !== RegistryResponse.Status.OK) return { value: { ok: false, refusal: `${response.code}: ${response.message}` }, closer: hints }
    return { value: { ok: true }, closer: hints }
  }

  private async discoverFrom (candidate: Candidate, name: string, closer: number, signal: AbortSignal): Promise<QueryAnswer<DiscoverAnswer>> {
    if (candidate.id === this.self && this.init.localRegistry !== undefined) {
      return { value: { held: this.init.localRegistry.lookup(name), settling: this.init.localRegistry.isSettling() }, closer: [] }
    }
    const sent = performance.now()
    let response: RegistryResponse
    try {
      response = await this.ask(candidate, { type: RegistryRequest.Type.DISCOVER, name, closer }, signal)
    } catch (err) {
      // Given up while still pending (the lookup ended without it): at least this slow, which the p95 must see.
      if (signal.aborted) this.hedge.record(performance.now() - sent)
      throw err
    }
    this.hedge.record(performance.now() - sent)
    // A refusal (rate limit, admission) is not an answer about the name: the lookup asks the next registry.
    if (response.status !== RegistryResponse.Status.OK) throw new Refusal(response.code, response.message)
    return { value: { held: await this.openHeld(response, name), settling: response.settling }, closer: this.hints(response, MAX_HINTS) }
  }

  /** The records of a DISCOVER or WATCH answer that verify, each with the health the registry gave it. */
  async openHeld (response: RegistryResponse, name: string): Promise<HeldRecord[]> {
    const out: HeldRecord[] = []
    const now = Date.now()
    const records = response.records.slice(0, MAX_RECORDS_PER_RESPONSE)
    for (let i = 0; i < records.length; i++) {
      // A registry may hold junk or lie: each record stands or falls on its own signature.
      try {
        out.push({ record: await openRecord(records[i], this.expect(name), this.verified), health: healthFromWire(response.health[i], now) })
      } catch (err) {
        this.log('a record for "%s" in an answer was dropped: %s', name, err instanceof NetgetError ? `${err.code}: ${err.message}` : String(err))
      }
    }
    return out
  }

  private async findFrom (candidate: Candidate, target: Uint8Array, need: number, signal: AbortSignal): Promise<QueryAnswer<undefined>> {
    if (candidate.id === this.self && this.init.localRegistry !== undefined) return { value: undefined, closer: [] }
    // As many hints as the lookup needs registries (a sibling lookup needs more than 20).
    const closer = Math.min(MAX_FIND_HINTS, Math.max(MAX_HINTS, need))
    const response = await this.ask(candidate, { type: RegistryRequest.Type.FIND, key: target as Uint8Array<ArrayBuffer>, closer }, signal)
    if (response.status !== RegistryResponse.Status.OK) throw new Refusal(response.code, response.message)
    return { value: undefined, closer: this.hints(response, closer) }
  }

  /**
   * Closer registries an answer named, remembered (unverified) in the table for later lookups: at most `max`, what
   * the request could have asked for (only a FIND asks for more than MAX_HINTS), whatever the registry sent.
   */
  private hints (response: RegistryResponse, max: number): ReturnType<typeof decodeHints> {
    if (response.closer.length === 0) return []
    const hints = decodeHints(response.closer.slice(0, max), id => id === this.self || this.excluded.has(id))
    for (const hint of hints) this.table.add(hint.id, hint.addrs)
    return hints
  }

  /** One request to one candidate; its outcome updates what the table knows of it. */
  private async ask (candidate: Candidate, message: RequestFields, signal: AbortSignal): Promise<RegistryResponse> {
    // A registry met through a hint: its addresses must be in the peer store before libp2p can dial it.
    await this.connections.noteAddresses(candidate.id, candidate.addrs)
    this.counters.requests++
    try {
      const response = await this.connections.send(candidate.id, message, signal)
      // It answered the registry protocol: it is a registry, whatever the bucket said about its hint.
      // The addresses came with a hint: they are kept only for a registry not known yet (identify brings its own).
      if (this.table.add(candidate.id, this.table.has(candidate.id) ? [] : candidate.addrs, { verified: true }) !== undefined) this.table.answered(candidate.id)
      return response
    } catch (err) {
      // A lookup that ended cancels its requests still out: that says nothing about the registry.
      if (signal.aborted) throw err
      this.log('%s request to registry %s failed: %e', RegistryRequest.Type[message.type], candidate.id, err)
      if (!(err instanceof NetgetError && err.code.startsWith('NETGET_ERR_ADMISSION'))) this.table.failed(candidate.id)
      throw err
    }
  }

  private expect (name: string): RecordExpectations {
    return { network: this.init.network, name, ...(this.init.authority !== undefined ? { authority: this.init.authority } : {}) }
  }
}

function mergeInto (merged: Map<string, VerifiedRecord>, record: VerifiedRecord): void {
  const held = merged.get(record.peerId)
  if (held === undefined || compareRecords(record, held) > 0) merged.set(record.peerId, record)
}
