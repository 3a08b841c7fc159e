/**
 * Assembles one libp2p node: TCP + Noise + Yamux, bootstrap to the registry nodes, identify + ping, and on
 * registries a kad-dht namespaced to the network (they are its servers). Services and clients run no kad-dht:
 * they find registries through the registry protocol's own answers, and a DHT client's self-queries and table
 * refreshes doubled their connections (measured: 90 nodes in one process, 2634 → 1404 sockets).
 */
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { createLibp2p } from 'libp2p'
import { NODE_MAX_CONNECTIONS, REGISTRY_MAX_CONNECTIONS, kadProtocol } from '../constants.js'
import { coalescingTcp } from './coalescing-tcp.js'
import { connectionPolicy } from './connection-policy.js'
import { noiseCrypto } from './noise-crypto.js'
import { cheapFramingNoise } from './noise-framing.js'
import { quietLogger } from './logger.js'
import { halfWindowYamux } from './yamux-window.js'
import type { ConnectionPolicy } from './connection-policy.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { ComponentLogger, ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'
import type { Registry } from 'prom-client'

export type NetgetServices = {
  identify: Identify
  ping: Ping
  /** Closes idle connections; `keep()` claims peers whose idle connections stay open (connection-policy.ts). */
  connections: ConnectionPolicy
  /** Registries only: they are the DHT's servers. Other nodes find registries through the registry protocol. */
  dht?: KadDHT
}

export type NetgetLibp2p = Libp2p<NetgetServices>

export interface CreateNodeInit {
  privateKey: PrivateKey
  network: string
  /** Registries serve the DHT (and dial `bootstrapList` at start); other nodes run no DHT. */
  dhtServer: boolean
  listen: string[]
  bootstrapList: string[]
  dialTimeout: number
  logger?: ComponentLogger
  /** Private network key (@libp2p/pnet): peers without it cannot complete a connection. */
  psk?: Uint8Array
  connectionGater?: ConnectionGater
  /** Collect libp2p's metrics into this Prometheus registry (the node's own). */
  metricsRegistry?: Registry
  /** libp2p's peer store (and kad-dht's records) are kept here: a registry that restarts knows its peers again. */
  datastore?: Datastore
}

/** Kernel keepalive probes after 30 s without traffic (Node then probes every second, 10 times). */
const TCP_KEEPALIVE = { keepAlive: true, keepAliveInitialDelay: 30_000 }

export async function createNode (init: CreateNodeInit): Promise<NetgetLibp2p> {
  // Loaded only when asked for: most nodes collect no metrics.
  const metrics = init.metricsRegistry === undefined ? undefined : (await import('@libp2p/prometheus-metrics')).prometheusMetrics
  return createLibp2p<NetgetServices>({
    start: false,
    privateKey: init.privateKey,
    ...(init.datastore !== undefined ? { datastore: init.datastore } : {}),
    logger: init.logger ?? quietLogger(),
    // The node's own registry, and the global one left alone: several nodes in one process must not collide.
    ...(metrics !== undefined ? { metrics: metrics({ registry: init.metricsRegistry, preserveExistingMetrics: true }) } : {}),
    ...(init.psk !== undefined ? { connectionProtector: preSharedKey({ psk: init.psk }) } : {}),
    ...(init.connectionGater !== undefined ? { connectionGater: init.connectionGater } : {}),
    addresses: { listen: init.listen },
    // Dead peers on idle connections are the kernel's to find (TCP keepalive: no CPU, no frames on live links);
    // peers that stop answering requests are netget's (sessions and probes hang up on them).
    // No socket inactivity timeout (@libp2p/tcp closes a socket after 2 min without traffic by default): with no
    // pings, every idle registry-to-registry link was cut every 2 min and redialled at once (kad-dht keeps its
    // contacts), a Noise handshake and identify per registry pair in bursts that doubled CPU at rest. Idle
    // connections are the connection policy's to close (connection-policy.ts).
    // One socket write per send, not one per chunk (coalescing-tcp.ts).
    transports: [coalescingTcp({ dialOpts: TCP_KEEPALIVE, listenOpts: TCP_KEEPALIVE, inboundSocketInactivityTimeout: 0, outboundSocketInactivityTimeout: 0 })],
    // Noise with a key object per session key for large frames (noise-crypto.ts): the same cipher, fewer key imports;
    // and a frame reader that builds no exception per socket read (noise-framing.ts).
    connectionEncrypters: [cheapFramingNoise({ crypto: noiseCrypto })],
    // yamux pings every connection every 30 s by default, and libp2p's connection monitor pings each over a new
    // stream: idle, a 300-node network spent more CPU on these than on everything else (measured: 50 % of a core
    // → 20 %, docs/performance.md). Both are off; see `transports` for what finds dead peers instead.
    // A window update when half the window is used, not after every frame (yamux-window.ts).
    streamMuxers: [halfWindowYamux({ enableKeepAlive: false })],
    // Registries dial their bootstrap registries at once (they join the overlay through them). Services and
    // clients dial a registry when a request needs it: the bootstrap module dialled every configured registry
    // 10 ms after start, a handshake and identify per registry in a fresh client's first milliseconds.
    peerDiscovery: init.dhtServer && init.bootstrapList.length > 0
      ? [bootstrap({ list: init.bootstrapList, timeout: 10 })]
      : [],
    connectionMonitor: { enabled: false },
    connectionManager: {
      // Registries meet many peers (other registries, every instance they probe, every client); services and
      // clients need a connection per registry they use, and close the others once idle (registry-connections.ts).
      maxConnections: init.dhtServer ? REGISTRY_MAX_CONNECTIONS : NODE_MAX_CONNECTIONS,
      dialTimeout: init.dialTimeout,
      // Many peers share one host on loopback/LAN test networks; the default (5/s per host) refuses the sixth.
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 100
    },
    services: {
      // Services and clients do not ask a registry for its identify on every new connection: they verify a
      // registry by its answers, and know its addresses from their configuration and from hints. A fresh client's
      // first answer waited behind the identify exchange (its signed peer record made and checked on both ends).
      // Registries still identify every peer (that is how they meet other registries).
      identify: identify({ runOnConnectionOpen: init.dhtServer }),
      ping: ping(),
      connections: connectionPolicy({}),
      ...(init.dhtServer ? { dht: kadDHT({
        protocol: kadProtocol(init.network),
        clientMode: !init.dhtServer,
        // The default mapper drops private addresses, which leaves loopback/LAN routing tables empty forever.
        peerInfoMapper: passthroughMapper
        // Its closest-peer set (20 peers, tagged keep-alive, recomputed every 5 s) cannot be sized: `closestPeerSetSize`
        // is no option of kadDHT(), which builds its routing table without it (docs/upstream.md, item 12). netget
        // keeps its own sibling list's links itself (membership.isNeighbour).
      }) } : {})
    }
  })
}

/**
 * libp2p's address manager debounces a peer-store update by 1 s on every transport event, the listener's close at
 * stop() included, and never clears that timer: a process that stopped its nodes stayed alive 1 s for nothing
 * (`netget discover` took 1.3 s instead of 0.3). Cleared here until libp2p does it (docs/upstream.md, item 9);
 * a no-op if the internals change.
 */
export function cancelAddressUpdate (node: NetgetLibp2p): void {
  const manager = (node as unknown as { components?: { addressManager?: { _updatePeerStoreAddresses?: { stop?: () => void } } } }).components?.addressManager
  manager?._updatePeerStoreAddresses?.stop?.()
}
