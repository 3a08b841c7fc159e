/** How service instances are shown to people: shared by `netget discover` and the demo. */
import { formatTable } from './table.js'
import type { ServiceInstance } from '../netget.js'
import type { Metadata } from '../records/service-record.js'

/** `12D3KooWAbc…xyz123`: enough to tell instances apart on a screen. */
export function shortPeerId (peerId: string): string {
  return peerId.length <= 20 ? peerId : `${peerId.slice(0, 12)}…${peerId.slice(-6)}`
}

/** `key=value` pairs on one line; non-string values as JSON. The service name is left out: it heads the table. */
export function formatMetadata (metadata: Metadata): string {
  return Object.entries(metadata)
    .filter(([key]) => key !== 'name')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ')
}

export interface InstanceTableOptions {
  /** Shorten peer ids and drop the `/p2p/<peerId>` suffix of addresses (the demo's compact view). */
  compact?: boolean
}

export function formatInstances (instances: readonly ServiceInstance[], options: InstanceTableOptions = {}): string[] {
  const compact = options.compact === true
  const rows = instances.map(instance => [
    compact ? shortPeerId(instance.peerId) : instance.peerId,
    instance.addresses.map(a => compact ? a.replace(`/p2p/${instance.peerId}`, '') : a).join('\n'),
    formatMetadata(instance.metadata)
  ])
  return formatTable(['PEER ID', 'ADDRESSES', 'METADATA'], rows)
}
