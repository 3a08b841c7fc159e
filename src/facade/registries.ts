/**
 * The registries a node was given (`registryNodes`): multiaddrs, and http(s) URLs that stand for the multiaddrs
 * their `/.well-known/netget` lists. The facade reads the current multiaddrs from here; the URLs are resolved at
 * start and when added.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { isRegistryUrl, resolveRegistryUrl } from '../http/well-known.js'
import { deadline } from '../util/deadline.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { ComponentLogger } from '@libp2p/interface'

export class ConfiguredRegistries {
  /** As given (multiaddrs and URLs); the `Netget.registryNodes` set itself. */
  readonly entries: Set<string>
  /** URL entries → the multiaddrs their /.well-known/netget gave. */
  private readonly resolved = new Map<string, string[]>()
  private readonly network: string
  private readonly requestTimeout: number
  private readonly lifetime: AbortSignal

  constructor (entries: Set<string>, init: { network: string, requestTimeout: number, lifetime: AbortSignal }) {
    this.entries = entries
    this.network = init.network
    this.requestTimeout = init.requestTimeout
    this.lifetime = init.lifetime
  }

  /** The configured registries as multiaddrs: URL entries replaced by what they resolved to (nothing if they did not). */
  addresses (): string[] {
    const out: string[] = []
    for (const entry of this.entries) {
      if (isRegistryUrl(entry)) out.push(...(this.resolved.get(entry) ?? []))
      else out.push(entry)
    }
    return out
  }

  /** The multiaddrs a URL entry resolved to (`[]` if it did not, or is not a URL). */
  resolvedFrom (url: string): string[] {
    return this.resolved.get(url) ?? []
  }

  /** Removes an entry; whether it was there. */
  delete (entry: string): boolean {
    this.resolved.delete(entry)
    return this.entries.delete(entry)
  }

  /** The URL entries among those given. */
  urls (): string[] {
    return [...this.entries].filter(isRegistryUrl)
  }

  /** Resolves URL entries through their /.well-known/netget, each within requestTimeout; a failure is logged, not thrown. */
  async resolve (urls: string[], logger: ComponentLogger): Promise<void> {
    const log = logger.forComponent('netget:node')
    await Promise.all(urls.map(async url => {
      const limit = deadline(this.requestTimeout, this.lifetime)
      try {
        this.resolved.set(url, await resolveRegistryUrl(url, this.network, limit.signal))
      } catch (err) {
        log('could not resolve registry %s: %e', url, err)
      } finally {
        limit.clear()
      }
    }))
  }
}

/** Dials a configured registry in the background; a failure is logged (`netget:node`), never thrown. */
export async function connectRegistry (node: Pick<NetgetLibp2p, 'peerId' | 'peerStore' | 'dial' | 'logger'>, address: string, peerId: string, dialTimeout: number, lifetime: AbortSignal): Promise<void> {
  if (peerId === node.peerId.toString()) return
  const limit = deadline(dialTimeout, lifetime)
  try {
    const ma = multiaddr(address)
    await node.peerStore.merge(peerIdFromString(peerId), { multiaddrs: [ma.decapsulateCode(421)] })
    await node.dial(ma, { signal: limit.signal })
  } catch (err) {
    if (!lifetime.aborted) node.logger.forComponent('netget:node')('could not dial registry %s: %e', address, err)
  } finally {
    limit.clear()
  }
}
