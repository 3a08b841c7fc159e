/**
 * The lease of this node's own record: sign and publish it to the closest registries, renew it at a third of
 * its lifetime until stopped, withdraw it (a signed tombstone) on a clean stop or a rename.
 *
 * The first publication goes to all replicationFactor closest registries. Renewals and withdrawals go to the
 * RELAY_DIRECT closest, which relay them to the rest: a service keeps connections to those few holders only
 * (they probe it, and their connection closing is how it notices one died), not to all K.
 */
import { HOLDER_LOST_DELAY_MS, HOLDER_LOST_MIN_INTERVAL_MS, MAX_ADDRESSES, RELAY_DIRECT } from '../constants.js'
import { InvalidOptionError, NoRegistryReachableError, PublishFailedError, RecordValidationError } from '../errors.js'
import { copyInstance, toInstance } from '../records/instance.js'
import { signRecord } from '../records/service-record.js'
import { deadline } from '../util/deadline.js'
import type { RegistryClient } from './registry-client.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { ServiceInstance } from '../records/instance.js'
import type { Metadata } from '../records/service-record.js'
import type { PrivateKey } from '@libp2p/interface'

export interface RegistrationResult {
  /** What was published. */
  instance: ServiceInstance
  /** Number of registries that stored the record. */
  accepted: number
  /** Their peer ids. */
  registries: string[]
}

export type LeaseComponents = Pick<NetgetLibp2p, 'peerId' | 'getMultiaddrs' | 'logger'>

export interface LeaseInit {
  node: LeaseComponents
  privateKey: PrivateKey
  client: RegistryClient
  network: string
  /** Lifetime of each published record (ms). */
  recordTtl: number
  /** Deadline of one renewal (ms). */
  renewTimeout: number
  /** Application endpoints published after the libp2p multiaddrs. */
  announce: string[]
  /**
   * Withdrawals go to the nearest holders, which relay them. @default true. A registry node withdraws to all of
   * the closest set itself: if it is one of the nearest, its own relay queue stops with it before sending.
   */
  relayWithdrawals?: boolean
  /** Closed networks: this node's encoded certificate, carried in every record. */
  admission?: Uint8Array
  /** The metadata to publish, read at each publication (the user may change it). */
  metadata: () => Metadata
  onRenewed: (result: RegistrationResult) => void
  /** Registries that are no longer among the nearest holders (their connections need not be kept any more). */
  onHoldersLeft?: (ids: string[]) => void
  onRenewError: (err: Error) => void
}

export class Lease {
  private readonly init: LeaseInit
  private lastSequence = 0n
  private timer?: ReturnType<typeof setTimeout>
  /** The nearest registries that stored the last publication (at most RELAY_DIRECT peer ids). */
  private holders = new Set<string>()
  private lastEarlyRenewal = 0
  /** Renewals in a row that a registry among the closest did not answer. */
  private missStreak = 0
  private renewing = false
  private renewAgain = false
  /** When an early renewal is due (ms since the epoch), if one is scheduled. */
  private earlyAt?: number
  private readonly stopping = new AbortController()
  /** The name the record is published under, once registered. */
  name?: string
  /** A name being registered right now: a stop in the meantime must withdraw it too. */
  private pending?: string
  /** The multiaddrs that did not fit in a record were logged once. */
  private warnedAddresses = false

  constructor (init: LeaseInit) {
    this.init = init
  }

  /** Publishes under `name` now and keeps the lease; a rename withdraws the record under the old name. */
  async register (name: string, minAcks: number, signal: AbortSignal): Promise<RegistrationResult> {
    const previous = this.name
    this.pending = name
    try {
      const { result, missed } = await this.publish(name, false, minAcks, false, signal)
      if (previous !== undefined && previous !== name) {
        // The new name is registered; the old record expires by itself if its withdrawal is lost.
        await this.publish(previous, true, 1, true, signal).catch((err: unknown) => {
          this.init.node.logger.forComponent('netget:lease')('the withdrawal of the record under "%s" failed (it expires with its lease): %e', previous, err)
        })
      }
      this.name = name
      this.setHolders(result.registries)
      this.schedule(this.init.recordTtl / 3)
      if (missed) this.renewSoon()
      return result
    } finally {
      this.pending = undefined
    }
  }

  /**
   * Stops renewing and publishes a tombstone for the registered name, and for a name whose registration is
   * still in flight (a registry may have stored it already; the tombstone's higher sequence wins either way).
   * Resolves with how many registries stored the tombstone of the registered (or pending) name.
   */
  async withdraw (signal: AbortSignal): Promise<number | undefined> {
    this.stop()
    const names = [...new Set([this.name, this.pending].filter((n): n is string => n !== undefined))]
    if (names.length === 0) return undefined
    const relay = this.init.relayWithdrawals ?? true
    const results = await Promise.all(names.map(async name => this.publish(name, true, 1, relay, signal)))
    return results[0].result.accepted
  }

  stop (): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.stopping.abort()
  }

  /** Whether a registry is one of the nearest that stored the last publication (a connection to keep). */
  holds (peerId: string): boolean {
    return this.holders.has(peerId)
  }

  /**
   * A registry holding the record went away (its connection closed): renew soon rather than at the next
   * third of the lease, so that the lookup finds the registries that now make up the closest set. Without
   * it, a record whose holders all died at once (a whole process or host) would be missing until then.
   */
  holderLost (peerId: string): void {
    if (!this.holders.has(peerId)) return
    this.renewSoon()
  }

  /**
   * Renews soon, not at the next third of the lease: a holder went away, or a registry among the closest did not
   * answer the last publication (a slow one would otherwise lack the record until then, and a discovery that asks
   * it first would miss the instance). Deferred, never dropped, at most once per HOLDER_LOST_MIN_INTERVAL_MS.
   */
  private renewSoon (): void {
    if (this.name === undefined || this.stopping.signal.aborted) return
    // A renewal under way may have reached the registry that just went: renew once more after it.
    if (this.renewing) {
      this.renewAgain = true
      return
    }
    // Registries that die one after another each get a renewal that skips them.
    const now = Date.now()
    const at = Math.max(now + HOLDER_LOST_DELAY_MS, this.lastEarlyRenewal + HOLDER_LOST_MIN_INTERVAL_MS)
    if (this.earlyAt !== undefined && this.earlyAt <= at && this.earlyAt > now) return
    this.lastEarlyRenewal = at
    this.earlyAt = at
    this.schedule(at - now)
  }

  private setHolders (registries: string[]): void {
    const next = nearest(registries)
    const left = [...this.holders].filter(id => !next.has(id))
    this.holders = next
    if (left.length > 0) this.init.onHoldersLeft?.(left)
  }

  private nextSequence (): bigint {
    // Microseconds since the epoch: a restarted instance with the same key still publishes a higher sequence.
    const now = BigInt(Date.now()) * 1000n
    this.lastSequence = now > this.lastSequence ? now : this.lastSequence + 1n
    return this.lastSequence
  }

  /**
   * This node's multiaddrs and the announced endpoints, at most MAX_ADDRESSES: every announced one (the options
   * allow MAX_ADDRESSES - 1), then as many of the node's own as fit. A node whose multiaddrs grow (a new interface
   * under a wildcard listen) keeps renewing rather than publishing a record every registry would refuse.
   */
  private addresses (): string[] {
    const { node, announce } = this.init
    const own = node.getMultiaddrs().map(ma => ma.toString())
    const room = MAX_ADDRESSES - announce.length
    if (own.length > room && !this.warnedAddresses) {
      this.warnedAddresses = true
      node.logger.forComponent('netget:lease')('the record carries %d of this node\'s %d multiaddrs: at most %d addresses, %d of them announced', room, own.length, MAX_ADDRESSES, announce.length)
    }
    return [...own.slice(0, room), ...announce]
  }

  /** Publishes one record; `missed`: a registry among the closest did not answer (it may lack the record). */
  private async publish (name: string, withdrawn: boolean, minAcks: number, relay: boolean, signal: AbortSignal): Promise<{ result: RegistrationResult, missed: boolean }> {
    const { node, network, recordTtl, admission } = this.init
    const issuedAt = Date.now()
    const fields = {
      network,
      name,
      addresses: this.addresses(),
      // The name published: a withdrawal under an old name after a rename must not carry the new one.
      metadata: { ...this.init.metadata(), name },
      sequence: this.nextSequence(),
      issuedAt,
      expiresAt: issuedAt + recordTtl,
      withdrawn
    }
    let bytes: Uint8Array
    try {
      bytes = await signRecord(this.init.privateKey, { ...fields, ...(admission !== undefined ? { admission } : {}) })
    } catch (err) {
      if (err instanceof RecordValidationError) throw new InvalidOptionError('metadata', err.message)
      throw err
    }
    // A renewal past a failed registry is relayed by the nearest live ones (lenient), unless two renewals in a row
    // already met one: a registry that fails for this node but not for the relayers (they still rank it, and the
    // one that took its place relays nothing) would leave its share's copies to expire. Not at the first miss:
    // after a registry died, the next renewal (1 s later) would meet it again and send to all K after all.
    const strict = withdrawn || this.missStreak >= 2
    const outcome = await this.init.client.publish(name, bytes, signal, relay ? (strict ? 'strict' : 'lenient') : false)
    if (outcome.accepted.length < minAcks) {
      if (outcome.accepted.length === 0 && Object.keys(outcome.refusals).length === 0) {
        const reasons = Object.entries(outcome.unreachable).map(([id, why]) => `${id}: ${why}`).join('; ')
        throw new NoRegistryReachableError(`No registry stored the record of "${name}": ${reasons === '' ? 'none reachable' : reasons}`)
      }
      const unreachable = Object.keys(outcome.unreachable).length
      throw new PublishFailedError(`${outcome.accepted.length} registries stored the record of "${name}", ${minAcks} required` +
        ` (${Object.keys(outcome.refusals).length} refused, ${unreachable} unreachable)`, outcome.accepted.length, outcome.refusals)
    }
    const instance = copyInstance(toInstance({ ...fields, peerId: node.peerId.toString() }))
    return { result: { instance, accepted: outcome.accepted.length, registries: outcome.accepted }, missed: outcome.missedCloser }
  }

  private schedule (delay: number): void {
    clearTimeout(this.timer)
    if (this.stopping.signal.aborted) return
    this.timer = setTimeout(() => { void this.renew() }, delay)
    // The lease timer alone never keeps a process alive: the libp2p node's sockets decide that.
    this.timer.unref()
  }

  private async renew (): Promise<void> {
    const name = this.name
    if (name === undefined || this.stopping.signal.aborted) return
    const limit = deadline(this.init.renewTimeout, this.stopping.signal)
    this.renewing = true
    this.earlyAt = undefined
    try {
      const { result, missed } = await this.publish(name, false, 1, true, limit.signal)
      this.setHolders(result.registries)
      this.init.onRenewed(result)
      // A registry among the closest that keeps not answering (a configured one that is down stays in the table)
      // is retried 1 s, 2 s, 4 s… later, up to the usual third of the lease.
      this.missStreak = missed ? this.missStreak + 1 : 0
      const delay = this.renewAgain
        ? HOLDER_LOST_MIN_INTERVAL_MS
        : missed ? Math.min(this.init.recordTtl / 3, HOLDER_LOST_MIN_INTERVAL_MS * 2 ** (this.missStreak - 1)) : this.init.recordTtl / 3
      this.renewAgain = false
      if (delay < this.init.recordTtl / 3) {
        this.lastEarlyRenewal = Date.now()
        this.earlyAt = this.lastEarlyRenewal + delay
      }
      this.schedule(delay)
    } catch (err) {
      if (this.stopping.signal.aborted) return
      this.init.onRenewError(err as Error)
      this.schedule(Math.max(1000, this.init.recordTtl / 10))
    } finally {
      this.renewing = false
      limit.clear()
    }
  }
}

/** The first RELAY_DIRECT of the registries that stored a publication (listed nearest first). */
function nearest (registries: string[]): Set<string> {
  return new Set(registries.slice(0, RELAY_DIRECT))
}
