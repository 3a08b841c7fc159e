// The part of hyperdht (CommonJS, no typings) that the benchmark uses; from its README and source (6.x).
declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events'

  export interface KeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }

  export interface HostPort {
    host: string
    port: number
  }

  export interface LookupReply {
    from: { id: Buffer | null, host: string, port: number }
    to: HostPort | null
    peers: Array<{ publicKey: Buffer, relayAddresses: HostPort[] }>
  }

  /** A running query: iterate it for replies, or await finished(). */
  export interface Query extends AsyncIterable<LookupReply> {
    finished(): Promise<void>
    destroy(err?: Error): void
  }

  export interface DHTOptions {
    bootstrap?: Array<HostPort | string>
    host?: string
    port?: number
    ephemeral?: boolean
    firewalled?: boolean
    keyPair?: KeyPair
  }

  export default class DHT extends EventEmitter {
    constructor (options?: DHTOptions)
    static keyPair (seed?: Buffer): KeyPair
    static hash (data: Buffer | Uint8Array): Buffer
    readonly ephemeral: boolean
    fullyBootstrapped (): Promise<void>
    address (): { host: string, family: number, port: number }
    lookup (topic: Buffer, options?: Record<string, unknown>): Query
    announce (topic: Buffer, keyPair: KeyPair, relayAddresses?: HostPort[], options?: Record<string, unknown>): Query
    unannounce (topic: Buffer, keyPair: KeyPair, options?: Record<string, unknown>): Promise<void>
    destroy (options?: { force?: boolean }): Promise<void>
  }
}

declare module 'hyperdht/testnet.js' {
  import type DHT from 'hyperdht'
  import type { DHTOptions, HostPort } from 'hyperdht'

  export interface Testnet {
    nodes: DHT[]
    bootstrap: HostPort[]
    createNode (options?: DHTOptions): DHT
    destroy (): Promise<void>
  }

  export default function createTestnet (size?: number, options?: { host?: string, port?: number, bootstrap?: HostPort[] }): Promise<Testnet>
}
