/**
 * `new Netget(options)`: the options, their documented defaults, and their validation.
 * Every bad value throws InvalidOptionError naming the option, at construction.
 */
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_ADDRESS_BYTES, MAX_ADDRESSES, MAX_NETWORK_BYTES, MAX_RECORD_LIFETIME_MS, NAME_PATTERN, SETTLING_MS } from './constants.js'
import { InvalidOptionError } from './errors.js'
import { parsePublicKey } from './node/identity.js'
import { MAX_CHECKS, isCheckName } from './health/model.js'
import { checkRegistryUrl, isRegistryUrl } from './http/well-known.js'
import type { HealthCheck } from './health/checks.js'
import type { Metadata } from './records/service-record.js'
import type { ComponentLogger, ConnectionGater, PrivateKey, PublicKey } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

export type NodeType = 'service' | 'registry'

export interface NetgetOptions {
  /** `'service'` joins through registries and may register; `'registry'` serves the DHT and holds records. @default 'service' */
  nodeType?: NodeType
  /** Describes the node; `metadata.name` is the service name registered. JSON object, ≤ 8 KiB, ≤ 64 keys. @default {} */
  metadata?: Metadata
  /** Isolated network to join: `[A-Za-z0-9._-]`, ≤ 64 bytes. @default 'development' */
  network?: string
  /**
   * Registries: multiaddrs ending in `/p2p/<peerId>`, or `http(s)://host:port` URLs of registries that serve
   * `/.well-known/netget` (`netget registry --http`), resolved to their multiaddrs when the node starts. @default []
   */
  registryNodes?: Iterable<string>
  /** Multiaddrs to listen on. Loopback by default: pass `/ip4/0.0.0.0/tcp/<port>` to be reachable from other hosts. @default ['/ip4/127.0.0.1/tcp/0'] */
  listen?: string[]
  /**
   * Application endpoints to publish with the record besides the libp2p multiaddrs (e.g. `http://10.0.0.5:8080`):
   * each 1–256 bytes, at most 31 (a record carries 32 addresses, the node's own multiaddrs included). @default []
   */
  announce?: string[]
  /** Identity from a key file written by `netget keygen`. */
  keyFile?: string
  /** Identity as a libp2p private key, or its protobuf bytes. */
  privateKey?: PrivateKey | Uint8Array
  /**
   * Directory holding a persistent identity (`identity.key`, created on first start) and, on a registry, its
   * datastore (`datastore/`, LevelDB): the records it holds and the registries it knows survive a restart.
   */
  dataDir?: string
  /**
   * Registry: where the records it holds, the registries it knows and libp2p's peer store (from which kad-dht
   * refills its table) survive restarts: any `interface-datastore` Datastore (`datastore-level`, `datastore-fs`…),
   * opened and closed by the caller. With `dataDir` and no `datastore`, the node opens a LevelDB datastore in
   * `<dataDir>/datastore` itself. @default in memory
   */
  datastore?: Datastore
  /**
   * One health check, the short form of `healthChecks: { default: check }`. It passes unless it returns `false`,
   * throws or misses `healthTimeout`; a failing check makes the node answer probes NOT_SERVING.
   */
  healthCheck?: HealthCheck
  /**
   * Named health checks (name `[a-z0-9_.-]{1,32}` → check, at most 16), run every `healthCheckInterval` with the
   * `healthTimeout` deadline. Probe answers carry each one's last result; the node answers NOT_SERVING while any
   * fails. A string result is kept as the check's output. @default {}
   */
  healthChecks?: Record<string, HealthCheck>
  /** Time between runs of each health check (ms). @default 5000 */
  healthCheckInterval?: number
  /** Dial deadline per peer (ms). @default 5000 */
  dialTimeout?: number
  /** Deadline of one request to one registry (ms). @default 3000 */
  requestTimeout?: number
  /** Deadline of `registerWithNetwork()` as a whole (ms). @default 10000 */
  registerTimeout?: number
  /** Deadline of `discoverServiceNode()` as a whole (ms). @default 5000 */
  discoverTimeout?: number
  /** Lifetime of a published record (ms); it is republished at a third of it. ≤ 1 h. @default 60000 */
  recordTtl?: number
  /** Registries that must store a record for `registerWithNetwork()` to succeed. @default 1 */
  minAcks?: number
  /** Registries closest to a service key that hold its records. @default 20 */
  replicationFactor?: number
  /**
   * The closest registries whose answers one discovery needs (merged). With 1 the next one is asked as well when
   * the first fails, refuses, or is slower than this client's recent p95 answer time (a hedge). @default 1
   */
  queryFanout?: number
  /** Health probe period on registries (ms). @default 5000 */
  healthInterval?: number
  /** Deadline of one health probe (ms). @default 2000 */
  healthTimeout?: number
  /** Consecutive failed probes before an instance is hidden from discovery. @default 2 */
  unhealthyThreshold?: number
  /** How long a Kademlia lookup of a service's registries is reused (ms). @default 30000 */
  routeCacheTtl?: number
  /**
   * Closed network: the authority's public key, as `netget keygen` printed it ("z…"), or a PublicKey.
   * Records and peers then need the authority's admission certificate; `admission` becomes required.
   */
  authority?: string | PublicKey
  /** Closed network: this node's admission certificate, a file path (as `netget admit` writes) or its bytes. */
  admission?: string | Uint8Array
  /** Private network key (@libp2p/pnet), a file path (as `netget psk` writes) or its bytes. */
  psk?: string | Uint8Array
  /** Registry: records held in all; beyond it expired records go first, then the one with the longest lease left. @default 100000 */
  maxRecords?: number
  /** Registry: records held per publisher. @default 32 */
  maxRecordsPerPeer?: number
  /** Registry: PUBLISH requests accepted per peer per second, on average. @default 10 */
  publishRate?: number
  /** Registry: PUBLISH requests a peer may burst before the rate applies. @default 20 */
  publishBurst?: number
  /** Registry: DISCOVER requests accepted per peer per second, on average (bursts of twice that). @default 5000 */
  discoverRate?: number
  /**
   * Registry: how long (ms) after it joins the network, or sees a registry leave, it answers DISCOVER as
   * `settling` (clients then confirm its answer with the next closest registry): time for re-replication to fill
   * a closest set it just entered. Raise it where registries hold many thousands of records. 0: never. @default 10000
   */
  settlingTime?: number
  /**
   * Advanced: a libp2p connection gater consulted for every dial and connection (e.g. to keep a node away from
   * given peers). On a closed network the admission guard's gater runs first; a peer is refused if either refuses.
   */
  connectionGater?: ConnectionGater
  /**
   * Advanced: where netget and libp2p log (a libp2p ComponentLogger). netget's components log as `netget:<module>`
   * (`netget:registry-client`, `netget:replicator`, `netget:membership`, `netget:node`, `netget:prober`, `netget:probe`,
   * `netget:admission`, `netget:connection-policy`, `netget:persistence`) and libp2p's as `libp2p:*`.
   * @default `@libp2p/logger`'s, silent unless the `DEBUG` environment variable enables a name (`DEBUG=netget*`)
   */
  logger?: ComponentLogger
  /**
   * Collect Prometheus metrics (libp2p's and netget's) in a registry of this node's own, read with `getMetrics()`
   * and served at `/metrics` by `netget registry --http`. @default false
   */
  metrics?: boolean
}

export interface ResolvedOptions {
  nodeType: NodeType
  metadata: Metadata
  network: string
  registryNodes: Set<string>
  listen: string[]
  announce: string[]
  keyFile?: string
  datastore?: Datastore
  privateKey?: PrivateKey
  dataDir?: string
  /** `healthCheck` and `healthChecks` together, by name. */
  healthChecks: Record<string, HealthCheck>
  healthCheckInterval: number
  dialTimeout: number
  requestTimeout: number
  registerTimeout: number
  discoverTimeout: number
  recordTtl: number
  minAcks: number
  replicationFactor: number
  queryFanout: number
  healthInterval: number
  healthTimeout: number
  unhealthyThreshold: number
  routeCacheTtl: number
  authority?: PublicKey
  admission?: string | Uint8Array
  psk?: string | Uint8Array
  maxRecords: number
  maxRecordsPerPeer: number
  publishRate: number
  publishBurst: number
  discoverRate: number
  settlingTime: number
  connectionGater?: ConnectionGater
  logger?: ComponentLogger
  metrics: boolean
}

export const DEFAULTS = {
  nodeType: 'service',
  network: 'development',
  listen: ['/ip4/127.0.0.1/tcp/0'],
  dialTimeout: 5000,
  requestTimeout: 3000,
  registerTimeout: 10_000,
  discoverTimeout: 5000,
  recordTtl: 60_000,
  minAcks: 1,
  replicationFactor: 20,
  queryFanout: 1,
  healthInterval: 5000,
  healthTimeout: 2000,
  healthCheckInterval: 5000,
  unhealthyThreshold: 2,
  routeCacheTtl: 30_000,
  maxRecords: 100_000,
  maxRecordsPerPeer: 32,
  publishRate: 10,
  publishBurst: 20,
  discoverRate: 5000,
  settlingTime: SETTLING_MS,
  metrics: false
} as const

/** Checks a registry multiaddr: parses, and ends in /p2p/<peerId>. Returns the peer id. */
export function checkRegistryAddress (value: unknown, option = 'registryNodes'): string {
  if (typeof value !== 'string') throw new InvalidOptionError(option, `expected a multiaddr string, got ${typeof value}`)
  let peerId: string | undefined
  try {
    peerId = multiaddr(value).getComponents().findLast(c => c.name === 'p2p')?.value
  } catch (err) {
    throw new InvalidOptionError(option, `"${value}" is not a multiaddr: ${(err as Error).message}`)
  }
  if (peerId === undefined) {
    throw new InvalidOptionError(option, `"${value}" must end in /p2p/<peerId> (the registry's identity), as "netget registry" prints it`)
  }
  return peerId
}

/**
 * A registryNodes entry: a multiaddr ending in /p2p/<peerId>, or an http(s) URL of a registry that serves
 * `/.well-known/netget` (`netget registry --http`), resolved to its multiaddrs at start.
 */
export function checkRegistryEntry (value: unknown, option = 'registryNodes'): void {
  if (typeof value === 'string' && isRegistryUrl(value)) checkRegistryUrl(value, option)
  else checkRegistryAddress(value, option)
}

export function checkNetwork (value: unknown, option = 'network'): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_NETWORK_BYTES || !NAME_PATTERN.test(value)) {
    throw new InvalidOptionError(option, `expected 1–${MAX_NETWORK_BYTES} characters of [A-Za-z0-9._-], got ${JSON.stringify(value)}`)
  }
  return value
}

// At most 2^31 - 1: every such option is a count or a duration that ends in a timer, which Node cuts to 1 ms past it.
function positiveInt (options: Record<string, unknown>, name: keyof typeof DEFAULTS, max = 2_147_483_647): number {
  const value = options[name] ?? DEFAULTS[name]
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    throw new InvalidOptionError(name, `expected a positive integer${max < Number.MAX_SAFE_INTEGER ? ` ≤ ${max}` : ''}, got ${JSON.stringify(value)}`)
  }
  return value
}

function booleanOption (options: Record<string, unknown>, name: 'metrics'): boolean {
  const value = options[name] ?? DEFAULTS[name]
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, `expected true or false, got ${JSON.stringify(value)}`)
  return value
}

function nonNegativeInt (options: Record<string, unknown>, name: keyof typeof DEFAULTS): number {
  const value = options[name] ?? DEFAULTS[name]
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(name, `expected an integer ≥ 0, got ${JSON.stringify(value)}`)
  }
  return value
}

function stringList (value: unknown, option: string, check: (s: string, option: string) => void): string[] {
  if (value === undefined) return []
  if (typeof value === 'string' || value === null || typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new InvalidOptionError(option, 'expected an array (or iterable) of strings')
  }
  const out: string[] = []
  let i = 0
  for (const item of value as Iterable<unknown>) {
    if (typeof item !== 'string') throw new InvalidOptionError(`${option}[${i}]`, `expected a string, got ${typeof item}`)
    check(item, `${option}[${i}]`)
    out.push(item)
    i++
  }
  return out
}

function checkMultiaddr (value: string, option: string): void {
  try {
    multiaddr(value)
  } catch (err) {
    throw new InvalidOptionError(option, `"${value}" is not a multiaddr: ${(err as Error).message}`)
  }
}

function checkMetadata (value: unknown): Metadata {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('metadata', 'expected a plain object')
  }
  const name = (value as Metadata).name
  if (name !== undefined && (typeof name !== 'string' || !NAME_PATTERN.test(name) || Buffer.byteLength(name) > 253)) {
    throw new InvalidOptionError('metadata.name', `expected 1–253 characters of [A-Za-z0-9._-], got ${JSON.stringify(name)}`)
  }
  try {
    JSON.stringify(value)
  } catch (err) {
    throw new InvalidOptionError('metadata', `must be serialisable as JSON: ${(err as Error).message}`)
  }
  return value as Metadata
}

function checkPrivateKey (value: unknown): PrivateKey | undefined {
  if (value === undefined) return undefined
  let key: PrivateKey
  if (value instanceof Uint8Array) {
    try {
      key = privateKeyFromProtobuf(value)
    } catch (err) {
      throw new InvalidOptionError('privateKey', `bytes do not decode as a libp2p private key: ${(err as Error).message}`)
    }
  } else if (typeof value === 'object' && value !== null && typeof (value as PrivateKey).sign === 'function' && 'publicKey' in value) {
    key = value as PrivateKey
  } else {
    throw new InvalidOptionError('privateKey', 'expected a libp2p PrivateKey or its protobuf bytes')
  }
  if (key.type !== 'Ed25519') throw new InvalidOptionError('privateKey', `expected an Ed25519 key, got ${key.type}`)
  return key
}

function checkAuthority (value: unknown): PublicKey | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') {
    try {
      return parsePublicKey(value)
    } catch (err) {
      throw new InvalidOptionError('authority', (err as Error).message)
    }
  }
  if (typeof value === 'object' && value !== null && typeof (value as PublicKey).verify === 'function' && 'raw' in value) return value as PublicKey
  throw new InvalidOptionError('authority', 'expected the authority public key as "netget keygen" printed it ("z…"), or a PublicKey')
}

function checkPathOrBytes (options: Record<string, unknown>, name: string): string | Uint8Array | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  if (value instanceof Uint8Array) {
    if (value.byteLength === 0) throw new InvalidOptionError(name, 'expected non-empty bytes')
    return value
  }
  if (typeof value === 'string' && value.length > 0) return value
  throw new InvalidOptionError(name, 'expected a file path or the file\'s bytes')
}

function optionalString (options: Record<string, unknown>, name: string): string | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0) throw new InvalidOptionError(name, 'expected a non-empty string (a path)')
  return value
}

export function resolveOptions (input: NetgetOptions = {}): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw new InvalidOptionError('options', 'expected an object')
  const options = input as Record<string, unknown>
  const nodeType = options.nodeType ?? DEFAULTS.nodeType
  if (nodeType !== 'service' && nodeType !== 'registry') {
    throw new InvalidOptionError('nodeType', `expected 'service' or 'registry', got ${JSON.stringify(nodeType)}`)
  }
  const identities = ['keyFile', 'privateKey', 'dataDir'].filter(k => options[k] !== undefined)
  if (identities.length > 1) {
    throw new InvalidOptionError(identities[1], `give only one of keyFile, privateKey and dataDir (got ${identities.join(', ')})`)
  }
  const healthChecks = checkHealthChecks(options.healthCheck, options.healthChecks)
  const listen = options.listen === undefined ? [...DEFAULTS.listen] : stringList(options.listen, 'listen', checkMultiaddr)
  const resolved: ResolvedOptions = {
    nodeType,
    metadata: checkMetadata(options.metadata),
    network: checkNetwork(options.network ?? DEFAULTS.network),
    registryNodes: new Set(stringList(options.registryNodes, 'registryNodes', checkRegistryEntry)),
    listen,
    announce: checkAnnounce(options.announce),
    dialTimeout: positiveInt(options, 'dialTimeout'),
    requestTimeout: positiveInt(options, 'requestTimeout'),
    registerTimeout: positiveInt(options, 'registerTimeout'),
    discoverTimeout: positiveInt(options, 'discoverTimeout'),
    recordTtl: positiveInt(options, 'recordTtl', MAX_RECORD_LIFETIME_MS),
    minAcks: positiveInt(options, 'minAcks'),
    replicationFactor: positiveInt(options, 'replicationFactor', 64),
    queryFanout: positiveInt(options, 'queryFanout', 64),
    healthInterval: positiveInt(options, 'healthInterval'),
    healthTimeout: positiveInt(options, 'healthTimeout'),
    healthChecks,
    healthCheckInterval: positiveInt(options, 'healthCheckInterval'),
    unhealthyThreshold: positiveInt(options, 'unhealthyThreshold', 1000),
    routeCacheTtl: positiveInt(options, 'routeCacheTtl'),
    maxRecords: positiveInt(options, 'maxRecords'),
    maxRecordsPerPeer: positiveInt(options, 'maxRecordsPerPeer'),
    publishRate: positiveInt(options, 'publishRate'),
    publishBurst: positiveInt(options, 'publishBurst'),
    discoverRate: positiveInt(options, 'discoverRate'),
    settlingTime: nonNegativeInt(options, 'settlingTime'),
    metrics: booleanOption(options, 'metrics')
  }
  if (resolved.recordTtl < 3000) throw new InvalidOptionError('recordTtl', 'must be at least 3000 ms (it is republished at a third of it)')
  const keyFile = optionalString(options, 'keyFile')
  const dataDir = optionalString(options, 'dataDir')
  const privateKey = checkPrivateKey(options.privateKey)
  if (keyFile !== undefined) resolved.keyFile = keyFile
  if (dataDir !== undefined) resolved.dataDir = dataDir
  if (privateKey !== undefined) resolved.privateKey = privateKey
  const authority = checkAuthority(options.authority)
  const admission = checkPathOrBytes(options, 'admission')
  const psk = checkPathOrBytes(options, 'psk')
  if (authority !== undefined && admission === undefined) {
    throw new InvalidOptionError('admission', 'a closed network (authority given) needs this node\'s admission certificate (netget admit)')
  }
  if (admission !== undefined && authority === undefined) {
    throw new InvalidOptionError('authority', 'an admission certificate needs the authority public key that issued it')
  }
  if (authority !== undefined) resolved.authority = authority
  if (admission !== undefined) resolved.admission = admission
  if (psk !== undefined) resolved.psk = psk
  if (options.connectionGater !== undefined) {
    if (options.connectionGater === null || typeof options.connectionGater !== 'object') throw new InvalidOptionError('connectionGater', 'expected a libp2p ConnectionGater object')
    resolved.connectionGater = options.connectionGater as ConnectionGater
  }
  if (options.datastore !== undefined) {
    const ds = options.datastore as Partial<Datastore> | null
    if (ds === null || typeof ds !== 'object' || typeof ds.batch !== 'function' || typeof ds.query !== 'function') {
      throw new InvalidOptionError('datastore', 'expected an interface-datastore Datastore (e.g. new LevelDatastore(path) from datastore-level, opened)')
    }
    if (nodeType !== 'registry') throw new InvalidOptionError('datastore', 'only a registry node keeps a datastore (nodeType: \'registry\')')
    resolved.datastore = ds as Datastore
  }
  if (options.logger !== undefined) {
    if (options.logger === null || typeof (options.logger as ComponentLogger).forComponent !== 'function') throw new InvalidOptionError('logger', 'expected a libp2p ComponentLogger (an object with forComponent(name))')
    resolved.logger = options.logger as ComponentLogger
  }
  return resolved
}

/** Application endpoints: each fits a record's address field, and together they leave room for a multiaddr. */
function checkAnnounce (value: unknown): string[] {
  const announce = stringList(value, 'announce', (s, option) => {
    if (s.length === 0 || Buffer.byteLength(s) > MAX_ADDRESS_BYTES) throw new InvalidOptionError(option, `expected 1–${MAX_ADDRESS_BYTES} bytes`)
  })
  if (announce.length >= MAX_ADDRESSES) {
    throw new InvalidOptionError('announce', `at most ${MAX_ADDRESSES - 1} endpoints, got ${announce.length}: a record carries ${MAX_ADDRESSES} addresses, this node's own multiaddrs included`)
  }
  return announce
}

/** `healthCheck` (named `default`) and `healthChecks`, checked and merged. */
function checkHealthChecks (single: unknown, named: unknown): Record<string, HealthCheck> {
  if (single !== undefined && typeof single !== 'function') throw new InvalidOptionError('healthCheck', 'expected a function')
  const out: Record<string, HealthCheck> = {}
  if (single !== undefined) out.default = single as HealthCheck
  if (named === undefined) return out
  if (named === null || typeof named !== 'object' || Array.isArray(named)) {
    throw new InvalidOptionError('healthChecks', 'expected an object of name → check function')
  }
  for (const [name, check] of Object.entries(named)) {
    if (!isCheckName(name)) throw new InvalidOptionError('healthChecks', `check name ${JSON.stringify(name)}: expected 1–32 of [a-z0-9_.-]`)
    if (typeof check !== 'function') throw new InvalidOptionError('healthChecks', `check ${JSON.stringify(name)}: expected a function`)
    if (name in out) throw new InvalidOptionError('healthChecks', `check ${JSON.stringify(name)} is given twice (healthCheck is named "default")`)
    out[name] = check as HealthCheck
  }
  if (Object.keys(out).length > MAX_CHECKS) throw new InvalidOptionError('healthChecks', `at most ${MAX_CHECKS} checks (got ${Object.keys(out).length})`)
  return out
}
