/**
 * Closes idle connections. libp2p closes connections only above `maxConnections`, so without this a node keeps
 * every connection it ever made or accepted: lookups, probes and discoveries leave connections behind that nobody uses again.
 *
 * The policy (docs/architecture.md, "Connections"):
 * - A connection with an open stream is in use and is never closed (the registry client's sessions, kept-open
 *   replication streams, a request in flight).
 * - A connection with no stream for `idleTimeout` (60 s) is closed, unless its peer is kept:
 *   - whatever a `keep()` predicate claims: on a registry, its neighbourhood (membership.ts: a closed link to a
 *     sibling is how its death shows) and the instances whose records it holds (it probes them); on services and
 *     clients, the registries their registry client still wants (a session is open, or it is one to keep:
 *     `keepConnection`, registry-connections.ts);
 *   - a peer tagged keep-alive in the peer store (kad-dht tags its closest peers): libp2p would redial it at once.
 * Activity is sampled every `idleTimeout / 4`: a connection counts as idle from the first sweep that finds it
 * without streams, so one used only by short streams (one-shot requests between sweeps) is closed at most
 * `idleTimeout × 1.25` after its last sweep-visible use and re-dialled (≈ 12 ms on loopback) if needed again.
 */
import { repeatingTask } from '@libp2p/utils'
import { KEEP_ALIVE } from '@libp2p/interface'
import type { ComponentLogger, Connection, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'

export interface ConnectionPolicyInit {
  /** Close a connection that had no stream for this long (ms). @default 60000 */
  idleTimeout?: number
}

export interface ConnectionPolicyComponents {
  connectionManager: { getConnections(peerId?: PeerId): Connection[] }
  peerStore: PeerStore
  logger: ComponentLogger
}

/** Why a connection stays open although idle; true keeps it. */
export type KeepPredicate = (peerId: string) => boolean

export const IDLE_CONNECTION_TIMEOUT_MS = 60_000

export class ConnectionPolicy implements Startable {
  private readonly components: ConnectionPolicyComponents
  private readonly idleTimeout: number
  private readonly keepers = new Set<KeepPredicate>()
  /** Connection id → when a sweep first found it without streams. */
  private readonly idleSince = new Map<string, number>()
  /** The sweep, every idleTimeout / 4; a sweep that runs long delays the next rather than overlapping it. */
  private readonly sweeper: RepeatingTask
  private readonly log: Logger
  /** Connections closed because idle (for tests and stats). */
  closed = 0

  constructor (components: ConnectionPolicyComponents, init: ConnectionPolicyInit) {
    this.components = components
    this.log = components.logger.forComponent('netget:connection-policy')
    this.idleTimeout = init.idleTimeout ?? IDLE_CONNECTION_TIMEOUT_MS
    this.sweeper = repeatingTask(async () => {
      await this.sweep().catch((err: unknown) => { this.log.error('idle connection sweep failed: %e', err) })
    }, Math.max(10, Math.floor(this.idleTimeout / 4)))
  }

  readonly [Symbol.toStringTag] = 'netget/connection-policy'

  start (): void {
    this.sweeper.start()
  }

  stop (): void {
    this.sweeper.stop()
    this.idleSince.clear()
  }

  /** Keeps idle connections to the peers `predicate` claims, until the returned function is called. */
  keep (predicate: KeepPredicate): () => void {
    this.keepers.add(predicate)
    return () => { this.keepers.delete(predicate) }
  }

  /** One pass: closes the connections idle for `idleTimeout` whose peers nobody keeps. */
  async sweep (now = Date.now()): Promise<void> {
    const open = new Set<string>()
    const candidates: Connection[] = []
    for (const connection of this.components.connectionManager.getConnections()) {
      open.add(connection.id)
      if (connection.status !== 'open' || connection.streams.length > 0) {
        this.idleSince.delete(connection.id)
        continue
      }
      const since = this.idleSince.get(connection.id)
      if (since === undefined) {
        // First seen idle: from its last stream's end we know nothing, so from now (or its opening, if recent).
        this.idleSince.set(connection.id, Math.max(connection.timeline.upgraded ?? connection.timeline.open, now - this.idleTimeout / 4))
        continue
      }
      if (now - since >= this.idleTimeout) candidates.push(connection)
    }
    for (const id of this.idleSince.keys()) if (!open.has(id)) this.idleSince.delete(id)
    for (const connection of candidates) {
      if (await this.kept(connection)) continue
      // Re-check: a stream may have opened while the peer store answered.
      if (connection.status !== 'open' || connection.streams.length > 0) continue
      this.idleSince.delete(connection.id)
      this.closed++
      await connection.close({ signal: AbortSignal.timeout(1000) }).catch(err => { connection.abort(err as Error) })
    }
  }

  private async kept (connection: Connection): Promise<boolean> {
    const id = connection.remotePeer.toString()
    for (const keep of this.keepers) {
      try {
        if (keep(id)) return true
      } catch (err) {
        // A keeper that throws is a bug in its owner; the connection is judged by the others.
        this.log.error('keep predicate failed for %s: %e', id, err)
      }
    }
    // Claimed by nobody: still kept if libp2p would redial it as soon as it closed. Read for the connections idle
    // long enough to close, not cached (kad-dht moves its tags as its closest peers change): on a registry, its
    // keep-alive peers are nearly all its siblings, which the membership claims first.
    try {
      const info = await this.components.peerStore.get(connection.remotePeer)
      for (const tag of info.tags.keys()) if (tag.startsWith(KEEP_ALIVE)) return true
      return false
    } catch {
      // Not in the peer store (NotFoundError): no tag.
      return false
    }
  }
}

export function connectionPolicy (init: ConnectionPolicyInit): (components: ConnectionPolicyComponents) => ConnectionPolicy {
  return components => new ConnectionPolicy(components, init)
}
