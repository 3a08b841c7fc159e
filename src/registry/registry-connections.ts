/**
 * How the registry client reaches registries: one pipelined session per registry (a request costs a round trip,
 * no stream setup), and a registry's connection given up once this node no longer asks it.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_REGISTRY_MESSAGE_BYTES, SESSION_CLIENT_IDLE_TIMEOUT_MS, registryProtocol } from '../constants.js'
import { SessionPool } from '../node/session.js'
import { BoundedMap } from '../util/bounded-map.js'
import { deadline } from '../util/deadline.js'
import { REGISTRY_RESPONSE_LIMITS } from './registry-server.js'
import type { ClientCounters, RegistryClientInit } from './client-types.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { Logger, PeerId, Stream } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export type RegistryConnectionsComponents = Pick<NetgetLibp2p, 'logger' | 'peerStore' | 'getConnections' | 'dialProtocol'>

export type RegistryConnectionsInit = Pick<RegistryClientInit, 'network' | 'table' | 'requestTimeout' | 'guard' | 'keepConnection'>

/** A registry request as the client writes it: its type, and the fields that differ from their defaults. */
export type RequestFields = Partial<RegistryRequest> & Pick<RegistryRequest, 'type'>

/** Parsed peer ids kept (as many as the instances a client remembers). */
const MAX_PEER_IDS = 10_000

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>

export class RegistryConnections {
  private readonly node: RegistryConnectionsComponents
  /** `netget:registry-client`, as the client's: connections that would not close, addresses not noted. */
  private readonly log: Logger
  private readonly init: RegistryConnectionsInit
  private readonly peerIds = new BoundedMap<string, PeerId>(MAX_PEER_IDS)
  private readonly sessions: SessionPool<RegistryRequest, RegistryResponse>

  /** `counters`: the client's, where the bytes of requests and answers are counted. */
  constructor (node: RegistryConnectionsComponents, init: RegistryConnectionsInit, counters: Pick<ClientCounters, 'requestBytes' | 'responseBytes'>) {
    this.node = node
    this.log = node.logger.forComponent('netget:registry-client')
    this.init = init
    this.sessions = new SessionPool({
      node,
      protocol: registryProtocol(init.network),
      codecs: {
        request: {
          encode: message => {
            const bytes = RegistryRequest.encode(message)
            counters.requestBytes += bytes.byteLength
            return bytes
          },
          decode: RegistryRequest.decode
        },
        response: {
          encode: RegistryResponse.encode,
          decode: (bytes: Uint8Array | Uint8ArrayList, options?: DecodeOptions<RegistryResponse>) => {
            counters.responseBytes += bytes.byteLength
            return RegistryResponse.decode(bytes, options)
          }
        }
      },
      responseLimits: REGISTRY_RESPONSE_LIMITS,
      maxDataLength: MAX_REGISTRY_MESSAGE_BYTES,
      idleTimeout: SESSION_CLIENT_IDLE_TIMEOUT_MS,
      openTimeout: init.requestTimeout,
      onIdle: peer => { this.closeIfUnused(peer) }
    })
  }

  /** Whether this node still wants its connection to a registry: a session is open, or it is one to keep. */
  wants (id: string): boolean {
    return this.sessions.has(id) || this.init.keepConnection?.(id) === true
  }

  /** A registry this node no longer needs to stay connected to: closed now if nothing uses it (see closeIfUnused). */
  release (id: string): void {
    this.closeIfUnused(this.peerId(id))
  }

  /**
   * A registry this node stopped asking: its connection is closed unless something else uses it (open streams)
   * or it is one to keep, so a node holds the connections it uses and not every registry a lookup ever met.
   */
  private closeIfUnused (peer: PeerId): void {
    // A request may have opened a new session while the idle one closed: its stream may not exist yet.
    if (this.init.keepConnection?.(peer.toString()) === true || this.sessions.has(peer.toString())) return
    for (const connection of this.node.getConnections(peer)) {
      // The session's own stream is still listed until the registry closes its side too (a round trip later):
      // a stream this node can no longer write on is ending, not in use.
      if (connection.streams.every(s => s.writeStatus !== 'writable')) {
        void connection.close().catch((err: unknown) => { this.log('closing the idle connection to %p failed: %e', peer, err) })
      }
    }
  }

  /** Opens a stream of `protocol` to a registry (dialling it from what the table knows of it if needed). */
  async openStream (id: string, protocol: string, signal: AbortSignal): Promise<Stream> {
    const peer = this.peerId(id)
    await this.noteAddresses(id, this.init.table.get(id)?.addrs ?? [])
    await this.init.guard?.require(id, ['registry'], signal)
    return this.node.dialProtocol(peer, protocol, { signal })
  }

  /** With no connection to a registry, puts `addrs` in the peer store, where libp2p dials from. */
  async noteAddresses (id: string, addrs: Multiaddr[]): Promise<void> {
    const peer = this.peerId(id)
    if (addrs.length > 0 && this.node.getConnections(peer).length === 0) {
      await this.node.peerStore.merge(peer, { multiaddrs: addrs }).catch((err: unknown) => { this.log('could not note the addresses of %s: %e', id, err) })
    }
  }

  /** One request on the registry's session, within the request deadline (and `signal`). */
  async send (id: string, message: RequestFields, signal: AbortSignal): Promise<RegistryResponse> {
    const limit = deadline(this.init.requestTimeout, signal)
    try {
      await this.init.guard?.require(id, ['registry'], limit.signal)
      return await this.sessions.request(this.peerId(id), { name: '', record: EMPTY, key: EMPTY, closer: 0, relay: 0, ...message }, limit.signal)
    } finally {
      limit.clear()
    }
  }

  /** Closes the request stream to one registry, if any. */
  close (id: string): void {
    this.sessions.close(id)
  }

  /** Closes the request streams to registries. */
  closeAll (): void {
    this.sessions.closeAll()
  }

  /** Parsed peer ids of registries, kept: parsing base58 on every request showed in profiles. */
  private peerId (id: string): PeerId {
    let peer = this.peerIds.get(id)
    if (peer === undefined) {
      peer = peerIdFromString(id)
      this.peerIds.set(id, peer)
    }
    return peer
  }
}
