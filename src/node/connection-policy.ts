/**
 * Closes idle connections. libp2p closes connections only above `maxConnections`, so without this a node keeps
 * every connection it ever made or accepted: lookups, probes and discoveries leave connections behind that nobody uses again.
 *
 * The policy (docs/architecture.md, "Connections"):
 * - A connection with an open stream is in use and is never closed (the registry client's sessions, kept-open
 *   replication streams, a request in flight).
 * - A connection with no stream for `idleTimeout` (60 s) is closed, unless its peer is kept:
 *   - other registries, on a registry (its neighbourhood: a closed connection is how a dead neighbour shows);
 *   - registries, on services and clients, while the registry client claims them (a session is open, or it is one
 *     to keep: `keepConnection`, registry-connections.ts); the client also closes a registry's connection as
 *     soon as its session idles out and nothing else uses it;
 *   - whatever a `keep()` predicate claims: the prober keeps the instances it probes (they would be re-dialled
 *     at the next round anyway).
 * Activity is sampled every `idleTimeout / 4`: a connection counts as idle from the first sweep that finds it
 * without streams, so one used only by short streams (one-shot requests between sweeps) is closed at most
 * `idleTimeout × 1.25` after its last sweep-visible use and re-dialled (≈ 12 ms on loopback) if needed again.
 */
import { repeatingTask } from '@libp2p/utils'
import { kadProtocol } from '../constants.js'
import type { ComponentLogger, Connection, Logger, PeerId, PeerStore, Startable } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'

export interface ConnectionPolicyInit {
  network: string
  /**
   * Keep every connection to a registry (on registries: their neighbourhood). @default true. Services and
   * clients pass false: their registry client claims (keep()) the registry connections it still wants.
   */
  keepRegistries?: boolean
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
  private readonly protocol: string
  private readonly keepRegistries: boolean
  private readonly keepers = new Set<KeepPredicate>()
  /** Connection id → when a sweep first found it without streams. */
  private readonly idleSince = new Map<string, number>()
  /**
   * Connections found to lead to a registry. A registry's links to the others are idle and kept for ever, and
   * reading the peer store for each at every sweep decoded a whole peer record (60 registries a node, every 15 s:
   * 14 % of what a registry process allocated at rest). Only a yes is remembered: a peer not identified yet is
   * read again at the next sweep. A registry never stops serving kad-dht while it runs (netget's registries are
   * always DHT servers), so the answer holds for the connection's life.
   */
  private readonly toRegistry = new Set<string>()
  /** The sweep, every idleTimeout / 4; a sweep that runs long delays the next rather than overlapping it. */
  private readonly sweeper: RepeatingTask
  private readonly log: Logger
  /** Connections closed because idle (for tests and stats). */
  closed = 0

  constructor (components: ConnectionPolicyComponents, init: ConnectionPolicyInit) {
    this.components = components
    this.log = components.logger.forComponent('netget:connection-policy')
    this.idleTimeout = init.idleTimeout ?? IDLE_CONNECTION_TIMEOUT_MS
    this.protocol = kadProtocol(init.network)
    this.keepRegistries = init.keepRegistries ?? true
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
    this.toRegistry.clear()
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
    for (const known of [this.idleSince, this.toRegistry]) {
      for (const id of known.keys()) if (!open.has(id)) known.delete(id)
    }
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
    // Registries: a registry keeps its neighbours; other nodes keep those their registry client claims (above). A
    // registry is a peer that speaks the network's kad-dht protocol (only registries run kad-dht). Not the registry
    // protocol: libp2p adds to a peer's protocols every protocol of a stream it opened, clients' DISCOVER streams included.
    if (!this.keepRegistries) return false
    if (this.toRegistry.has(connection.id)) return true
    try {
      const info = await this.components.peerStore.get(connection.remotePeer)
      const registry = info.protocols.includes(this.protocol)
      if (registry) this.toRegistry.add(connection.id)
      return registry
    } catch {
      // Not in the peer store (NotFoundError): nothing says it is a registry.
      return false
    }
  }
}

export function connectionPolicy (init: ConnectionPolicyInit): (components: ConnectionPolicyComponents) => ConnectionPolicy {
  return components => new ConnectionPolicy(components, init)
}
