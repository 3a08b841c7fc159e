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
  const verdict = sharedVerdict(init.check, init.timeout)
  await node.handle(healthProtocol(init.network), serve(
    { request: HealthRequest, response: HealthResponse },
    MAX_HEALTH_MESSAGE_BYTES,
    init.timeout,
    async (request, connection, signal) => {
      await init.guard?.require(connection.remotePeer.toString(), ['registry', 'service', 'client'], signal)
      const serving = await verdict(signal)
      return { nonce: request.nonce, status: serving ? HealthResponse.Status.SERVING : HealthResponse.Status.NOT_SERVING }
    },
    init.onError
  ), { maxInboundStreams: 32 })
}

/** How long one run of the user's check answers every probe (ms): a probe must not cost a database query each. */
const CHECK_REUSE_MS = 1000

/**
 * The user's check, run at most once per CHECK_REUSE_MS whatever the number of probes: concurrent probes share
 * one run, and later ones reuse its verdict while it is fresh.
 */
function sharedVerdict (check: HealthCheck | undefined, timeout: number): (signal: AbortSignal) => Promise<boolean> {
  if (check === undefined) return async () => true
  let last: { at: number, verdict: Promise<boolean> } | undefined
  return async signal => {
    const now = Date.now()
    if (last === undefined || now - last.at > Math.min(CHECK_REUSE_MS, timeout)) {
      const run = (async () => {
        try {
          return await check(signal)
        } catch {
          return false
        }
      })()
      last = { at: now, verdict: run }
    }
    return last.verdict
  }
}
