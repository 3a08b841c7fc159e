/**
 * Wires one node's parts to its libp2p node: the registry table, the registry client and (on a registry) the
 * registry role, membership, health, watches and the lease, each told only what it needs of the others. The
 * result lists the parts in the order they start (`steps`); the facade starts them, and stops them in reverse.
 */
import { Watches } from '../discovery/watch.js'
import { HealthService } from '../health/health-service.js'
import { copyInstance, toInstance } from '../records/instance.js'
import { Lease } from '../registry/lease.js'
import { RegistryClient } from '../registry/registry-client.js'
import { RegistryRole } from '../registry/registry-role.js'
import { siblingCount } from '../constants.js'
import { Membership } from '../routing/membership.js'
import { RegistryTable } from '../routing/registry-table.js'
import type { TableEntry } from '../routing/registry-table.js'
import type { Step } from './lifecycle.js'
import type { NetgetEvents } from './types.js'
import type { NodeMetrics } from '../metrics/node-metrics.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { ResolvedOptions } from '../options.js'
import type { Metadata } from '../records/service-record.js'
import type { RegistryDatastore } from '../registry/datastore.js'
import type { RegistryPersistence } from '../registry/persistence.js'
import type { RestoreResult } from '../registry/registry-role.js'
import type { Security } from '../security/setup.js'
import type { PrivateKey } from '@libp2p/interface'

/** Emits one of the facade's events (its `safeDispatchEvent`). */
export type Dispatch = <K extends keyof NetgetEvents>(type: K, detail: NetgetEvents[K] extends CustomEvent<infer D> ? D : never) => void

export interface AssemblyInit {
  options: ResolvedOptions
  node: NetgetLibp2p
  privateKey: PrivateKey
  security: Security
  /** A registry's datastore and what saves to it (registries with a data dir or a `datastore` only). */
  stores?: RegistryDatastore
  persistence?: RegistryPersistence
  metrics?: NodeMetrics
  /** The node's lifetime: aborted at stop. */
  lifetime: AbortSignal
  /** The node's metadata now (it may change between registrations). */
  metadata: () => Metadata
  /** The configured registries as multiaddrs now. */
  registryAddresses: () => string[]
  /** A registry stored or withdrew a record of `name`: cached discoveries of it are stale. */
  recordChanged: (name: string) => void
  dispatch: Dispatch
}

/** A node's parts, wired; nothing started yet. */
export interface Parts {
  node: NetgetLibp2p
  security: Security
  table: RegistryTable
  client: RegistryClient
  membership: Membership
  health: HealthService
  watches: Watches
  lease: Lease
  registry?: RegistryRole
  stores?: RegistryDatastore
}

export interface Assembly {
  parts: Parts
  /** In start order; a start that fails stops those already started, newest first. */
  steps: Step[]
  /** What a registry's start read back from its datastore, once the `restore` step ran. */
  restored?: RestoreResult
}

export function assemble (init: AssemblyInit): Assembly {
  const { options: o, node, security, dispatch } = init
  const guard = security.guard
  const onError = (err: Error): void => { dispatch('error', err) }
  // The registries this node knows; on a registry, a change of who is closest re-replicates records.
  // Buckets as large as the sibling list: near this node, where a bucket can hold more than 20 of the registries
  // a closest set spans, a full bucket would drop one of them.
  const table = new RegistryTable(node.peerId.toString(), siblingCount(o.replicationFactor), {
    onVerified: entry => { registry?.replicator.registryJoined(entry) },
    onRemoved: entry => {
      registry?.replicator.registryLeft(entry)
      registry?.registryLeft(entry)
      if (!client.isExcluded(entry.id)) membership.registryLeft(entry)
    }
  })
  // Answers name registries; the membership confirms those it has not heard from since their links closed.
  const registry = o.nodeType === 'registry' ? registryRole(init, table, entries => { membership.confirmNamed(entries) }) : undefined
  const client = new RegistryClient(node, {
    network: o.network,
    table,
    ...(registry !== undefined ? { localRegistry: registry.server } : {}),
    replicationFactor: o.replicationFactor,
    queryFanout: o.queryFanout,
    requestTimeout: o.requestTimeout,
    routeCacheTtl: o.routeCacheTtl,
    // A registry leaves its connections to registries to the connection policy, which keeps its neighbourhood and
    // those libp2p would redial (kad-dht's closest peers), and closes the rest when idle. A service keeps those to
    // its nearest record holders (for its early renewal).
    keepConnection: id => registry !== undefined || lease.holds(id),
    ...(guard !== undefined ? { guard } : {}),
    ...(o.authority !== undefined ? { authority: o.authority } : {})
  })
  // Connections the idle-connection policy keeps open: a registry keeps those to the instances whose records
  // it holds (closing one would read as a crash to its prober and to the instance's early renewal).
  if (registry !== undefined) node.services.connections.keep(id => registry.store.hasPublisher(id))
  // On services and clients the policy keeps no registry by itself: those the registry client still wants.
  else node.services.connections.keep(id => client.wants(id))
  const membership = new Membership(node, {
    network: o.network,
    table,
    client,
    registry: registry !== undefined,
    requestTimeout: o.requestTimeout,
    siblings: siblingCount(o.replicationFactor),
    ...(registry !== undefined ? { checkOnClose: (id: string) => registry.sharesClosestSet(id) } : {}),
    ...(guard !== undefined ? { guard } : {}),
    onError
  })
  // A registry's links to its neighbourhood stay open (a closed one is how a death there shows); the others close
  // when idle, so what a registry holds open does not grow with the network (docs/architecture.md, "Connections").
  if (registry !== undefined) node.services.connections.keep(id => membership.isNeighbour(id) || registry.sharesClosestSet(id))
  const health = new HealthService(node, {
    network: o.network,
    timeout: o.healthTimeout,
    checks: o.healthChecks,
    checkInterval: o.healthCheckInterval,
    ...(guard !== undefined ? { guard } : {}),
    onError
  })
  const watches = new Watches({
    network: o.network,
    client,
    ...(registry !== undefined ? { local: { id: node.peerId.toString(), snapshot: name => registry.watch.snapshot(name), subscribe: (name, listener) => registry.watch.subscribeLocal(name, listener) } } : {}),
    replicationFactor: o.replicationFactor,
    roundTimeout: o.discoverTimeout,
    lifetime: init.lifetime,
    onEvent: (name, event) => {
      if (event.type === 'resync') dispatch('watch:resync', { name, instances: event.instances })
      else dispatch(`watch:${event.type}`, { name, instance: event.instance })
    },
    onError
  })
  const lease = new Lease({
    node,
    privateKey: init.privateKey,
    client,
    network: o.network,
    recordTtl: o.recordTtl,
    renewTimeout: o.registerTimeout,
    announce: o.announce,
    relayWithdrawals: registry === undefined,
    ...(security.admission !== undefined ? { admission: security.admission.bytes } : {}),
    metadata: init.metadata,
    onRenewed: result => { dispatch('republished', result) },
    onRenewError: err => { dispatch('republish:error', err) },
    onHoldersLeft: ids => { for (const id of ids) client.release(id) }
  })
  node.addEventListener('peer:connect', evt => { dispatch('peer:connect', evt.detail.toString()) })
  node.addEventListener('peer:disconnect', evt => {
    const id = evt.detail.toString()
    dispatch('peer:disconnect', id)
    registry?.peerDisconnected(id)
    lease.holderLost(id)
  })

  const assembly: Assembly = { parts: { node, security, table, client, membership, health, watches, lease, ...(registry !== undefined ? { registry } : {}), ...(init.stores !== undefined ? { stores: init.stores } : {}) }, steps: [] }
  const none = (): void => {}
  // Handlers and restored records come before the node listens: no early stream is refused, no stale record served.
  assembly.steps.push(
    { name: 'admission guard', start: async () => guard?.start(node), stop: async () => guard?.stop() },
    { name: 'health', start: async () => health.start(), stop: () => { health.stop() } },
    { name: 'registry', start: async () => registry?.start(), stop: async () => registry?.stop() }
  )
  if (registry !== undefined && init.persistence !== undefined) {
    assembly.steps.push({
      name: 'restore',
      start: async () => { assembly.restored = await registry.restore((id, addrs) => { table.add(id, addrs) }, init.lifetime) },
      stop: none
    })
  }
  // The node itself stops after every part (the facade's stop): its parts unhandle their protocols on a live node.
  assembly.steps.push(
    { name: 'libp2p node', start: async () => node.start(), stop: none },
    // Before membership in this list, so after it when stopping: a membership check under way would open a session again.
    { name: 'registry client', start: none, stop: () => { client.close() } },
    { name: 'membership', start: () => { membership.start(init.registryAddresses()) }, stop: () => { membership.stop() } },
    // Its stop is the registry's.
    { name: 'probing', start: () => { registry?.startProbing(ids => { membership.watch(ids) }) }, stop: none },
    { name: 'watches', start: none, stop: () => { watches.closeAll() } }
  )
  return assembly
}

/** The registry side, its events forwarded as the node's. */
function registryRole (init: AssemblyInit, table: RegistryTable, onNamed: (entries: TableEntry[]) => void): RegistryRole {
  const { dispatch, metrics } = init
  return new RegistryRole(init.node, init.options, table, init.security.guard, {
    onStored: (record, from) => {
      init.recordChanged(record.name)
      const instance = { ...copyInstance(toInstance(record)), from }
      if (record.withdrawn) dispatch('record:withdrawn', instance)
      else dispatch('record:stored', instance)
    },
    onRejected: (err, from) => { dispatch('record:rejected', { code: err.code, message: err.message, from }) },
    onLimited: (err, from) => { dispatch('record:limited', { code: err.code, message: err.message, from }) },
    onDown: (peerId, reason) => {
      metrics?.instanceEvents.inc({ event: 'down' })
      dispatch('instance:down', { peerId, reason })
    },
    onUp: peerId => {
      metrics?.instanceEvents.inc({ event: 'up' })
      dispatch('instance:up', { peerId })
    },
    onReplicated: (to, records, reason) => { dispatch('records:replicated', { to, records, reason }) },
    onNamed,
    onError: err => { dispatch('error', err) }
  }, init.persistence)
}
