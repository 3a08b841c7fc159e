/**
 * One health probe: a random nonce out, the same nonce and SERVING back, within a deadline.
 */
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import { MAX_HEALTH_RESPONSE_BYTES, healthProtocol } from '../constants.js'
import { request } from '../node/rpc.js'
import { checksFromWire, loadFromWire } from './model.js'
import type { CheckResult, LoadFigures } from './model.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Dials the probe; the peer store takes the addresses it was given when no connection is open. */
export type ProbeComponents = Pick<NetgetLibp2p, 'logger' | 'peerStore' | 'getConnections' | 'dialProtocol'>

/** Addresses from a record that a probe may dial. */
const MAX_PROBE_ADDRESSES = 2

export interface ProbeResult {
  healthy: boolean
  /** Round-trip time in ms (also when unhealthy, until the failure). */
  rtt: number
  /** Why the probe failed, when it did. */
  error?: string
  /** Whether the peer answered at all (a NOT_SERVING answer is unhealthy but answered). */
  answered: boolean
  /** Its named checks as it reported them (answered probes only). */
  checks?: CheckResult[]
  /** Its process's load figures (answered probes only). */
  load?: LoadFigures
}

/**
 * Probes `peer`. `addresses` (e.g. from its record) are how to reach it when no connection is open;
 * only multiaddrs that name the same peer are used.
 */
export async function probe (node: ProbeComponents, network: string, peer: PeerId, signal: AbortSignal, addresses: string[] = []): Promise<ProbeResult> {
  const started = performance.now()
  await rememberAddresses(node, peer, addresses)
  const nonce = new Uint8Array(randomBytes(16))
  try {
    const response = await request(node, peer, healthProtocol(network), { nonce, id: 0 }, { request: HealthRequest, response: HealthResponse },
      { signal, maxDataLength: MAX_HEALTH_RESPONSE_BYTES })
    const rtt = performance.now() - started
    if (response.nonce === undefined || !uint8ArrayEquals(response.nonce, nonce)) return { healthy: false, rtt, error: 'answer does not echo the nonce', answered: false }
    return verdict(response, rtt)
  } catch (err) {
    return { healthy: false, rtt: performance.now() - started, error: (err as Error).message, answered: false }
  }
}

/** What an answer that reached its prober says. */
export function verdict (response: HealthResponse, rtt: number): ProbeResult {
  const now = Date.now()
  const checks = checksFromWire(response.checks, now)
  const load = loadFromWire(response.load)
  const reported = { checks, ...(load !== undefined ? { load } : {}) }
  if (response.status !== HealthResponse.Status.SERVING) {
    const failing = checks.filter(c => !c.passing).map(c => c.output === '' ? c.name : `${c.name}: ${c.output}`)
    return { healthy: false, rtt, error: `instance reports NOT_SERVING${failing.length > 0 ? ` (${failing.join('; ')})` : ''}`, answered: true, ...reported }
  }
  return { healthy: true, rtt, answered: true, ...reported }
}

/**
 * With no connection to `peer`, makes the addresses from its record dialable (a couple of those naming that
 * peer: a record names up to 32 of the publisher's choosing, and a probe never dials them all).
 */
export async function rememberAddresses (node: ProbeComponents, peer: PeerId, addresses: string[]): Promise<void> {
  if (addresses.length === 0 || node.getConnections(peer).length > 0) return
  const dialable = dialableAddresses(peer, addresses).slice(0, MAX_PROBE_ADDRESSES)
  if (dialable.length === 0) return
  await node.peerStore.merge(peer, { multiaddrs: dialable }).catch((err: unknown) => {
    node.logger.forComponent('netget:probe')('could not note the addresses of %p: %e', peer, err)
  })
}

function dialableAddresses (peer: PeerId, addresses: string[]): Multiaddr[] {
  const suffix = `/p2p/${peer.toString()}`
  const out: Multiaddr[] = []
  for (const address of addresses) {
    if (!address.startsWith('/') || !address.endsWith(suffix)) continue
    try {
      out.push(multiaddr(address.slice(0, -suffix.length)))
    } catch {
      // A record's addresses are the publisher's to choose: one that does not parse is not dialled.
    }
  }
  return out
}
