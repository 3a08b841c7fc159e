/**
 * Assembles one libp2p node: TCP + Noise + Yamux, bootstrap to the registry nodes, identify + ping, and on
 * registries a kad-dht namespaced to the network (they are its servers). Services and clients run no kad-dht:
 * they find registries through the registry protocol's own answers, and a DHT client's self-queries and table
 * refreshes doubled their connections (measured: 90 nodes in one process, 2634 → 1404 sockets).
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { NODE_MAX_CONNECTIONS, REGISTRY_MAX_CONNECTIONS, kadProtocol } from '../constants.js'
import { connectionPolicy } from './connection-policy.js'
import type { ConnectionPolicy } from './connection-policy.js'
import type { Identify } from '@libp2p/identify'
import type { KadDHT } from '@libp2p/kad-dht'
import type { ComponentLogger, ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'

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
  /** Registries serve the DHT; everyone else is a DHT client. */
  dhtServer: boolean
  listen: string[]
  bootstrapList: string[]
  dialTimeout: number
  logger?: ComponentLogger
  /** Private network key (@libp2p/pnet): peers without it cannot complete a connection. */
  psk?: Uint8Array
  connectionGater?: ConnectionGater
}

export async function createNode (init: CreateNodeInit): Promise<NetgetLibp2p> {
  return createLibp2p<NetgetServices>({
    start: false,
    privateKey: init.privateKey,
    ...(init.logger !== undefined ? { logger: init.logger } : {}),
    ...(init.psk !== undefined ? { connectionProtector: preSharedKey({ psk: init.psk }) } : {}),
    ...(init.connectionGater !== undefined ? { connectionGater: init.connectionGater } : {}),
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: init.bootstrapList.length > 0
      ? [bootstrap({ list: init.bootstrapList, timeout: 10 })]
      : [],
    // libp2p pings every connection every 10 s by default: on an idle network that was most of the CPU (33 % → 9 %
    // for 90 nodes in one process, measured). netget has its own liveness (probes, leases, registry checks); the
    // monitor only needs to find half-open connections, so once a minute.
    connectionMonitor: { pingInterval: 60_000 },
    connectionManager: {
      // Registries meet many peers (other registries, every instance they probe, every client); services and
      // clients need a connection per registry they use, and close the others once idle (registry-client.ts).
      maxConnections: init.dhtServer ? REGISTRY_MAX_CONNECTIONS : NODE_MAX_CONNECTIONS,
      dialTimeout: init.dialTimeout,
      // Many peers share one host on loopback/LAN test networks; the default (5/s per host) refuses the sixth.
      inboundConnectionThreshold: 1000,
      maxIncomingPendingConnections: 100
    },
    services: {
      identify: identify(),
      ping: ping(),
      connections: connectionPolicy({ network: init.network }),
      ...(init.dhtServer ? { dht: kadDHT({
        protocol: kadProtocol(init.network),
        clientMode: !init.dhtServer,
        // The default mapper drops private addresses, which leaves loopback/LAN routing tables empty forever.
        peerInfoMapper: passthroughMapper
      }) } : {})
    }
  })
}
