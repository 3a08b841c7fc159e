/**
 * One health probe: a random nonce out, the same nonce and SERVING back, within a deadline.
 */
import { randomBytes } from 'node:crypto'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import { MAX_HEALTH_MESSAGE_BYTES, healthProtocol } from '../constants.js'
import { request } from '../node/rpc.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { PeerId } from '@libp2p/interface'

export interface ProbeResult {
  healthy: boolean
  /** Round-trip time in ms (also when unhealthy, until the failure). */
  rtt: number
  /** Why the probe failed, when it did. */
  error?: string
}

export async function probe (node: NetgetLibp2p, network: string, peer: PeerId, signal: AbortSignal): Promise<ProbeResult> {
  const started = performance.now()
  const nonce = new Uint8Array(randomBytes(16))
  try {
    const response = await request(node, peer, healthProtocol(network), { nonce }, { request: HealthRequest, response: HealthResponse },
      { signal, maxDataLength: MAX_HEALTH_MESSAGE_BYTES })
    const rtt = performance.now() - started
    if (response.nonce === undefined || !uint8ArrayEquals(response.nonce, nonce)) return { healthy: false, rtt, error: 'answer does not echo the nonce' }
    if (response.status !== HealthResponse.Status.SERVING) return { healthy: false, rtt, error: 'instance reports NOT_SERVING' }
    return { healthy: true, rtt }
  } catch (err) {
    return { healthy: false, rtt: performance.now() - started, error: (err as Error).message }
  }
}
