/**
 * The answering side of /netget/<network>/health/1.0.0: echoes the probe's nonce with SERVING, or
 * NOT_SERVING when a user-defined check fails. Runs over Noise, so the prober knows who answered.
 */
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import { MAX_HEALTH_MESSAGE_BYTES, healthProtocol } from '../constants.js'
import { serve } from '../node/rpc.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { AdmissionGuard } from '../security/admission-guard.js'

/** A user-defined check: resolve true when the service can serve (database reachable, …). */
export type HealthCheck = (signal: AbortSignal) => boolean | Promise<boolean>

export interface HealthServiceInit {
  network: string
  /** Deadline for reading a probe and running the check (ms). */
  timeout: number
  check?: HealthCheck
  /** Closed networks: answer only admitted peers. */
  guard?: AdmissionGuard
  onError: (err: Error) => void
}

export async function handleHealth (node: NetgetLibp2p, init: HealthServiceInit): Promise<void> {
  await node.handle(healthProtocol(init.network), serve(
    { request: HealthRequest, response: HealthResponse },
    MAX_HEALTH_MESSAGE_BYTES,
    init.timeout,
    async (request, connection, signal) => {
      await init.guard?.require(connection.remotePeer.toString(), ['registry', 'service', 'client'], signal)
      let serving = true
      if (init.check !== undefined) {
        try {
          serving = await init.check(signal)
        } catch {
          serving = false
        }
      }
      return { nonce: request.nonce, status: serving ? HealthResponse.Status.SERVING : HealthResponse.Status.NOT_SERVING }
    },
    init.onError
  ), { maxInboundStreams: 32 })
}
