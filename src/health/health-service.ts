/**
 * The answering side of the health protocol: SERVING, or NOT_SERVING when a user-defined check fails.
 * 1.0.0 answers one probe per stream and echoes its nonce; 2.0.0 answers a stream of probes in order and echoes
 * each one's id. Runs over Noise, so the prober knows who answered.
 */
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import {
  HEALTH_SESSION_IDLE_TIMEOUT_MS, MAX_HEALTH_MESSAGE_BYTES, MAX_HEALTH_SESSIONS_PER_CONNECTION, MAX_HEALTH_STREAMS_PER_CONNECTION,
  healthProtocol, healthSessionProtocol
} from '../constants.js'
import { serve, serveSession } from '../node/rpc.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { Connection } from '@libp2p/interface'

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
  const status = async (connection: Connection, signal: AbortSignal): Promise<HealthResponse.Status> => {
    await init.guard?.require(connection.remotePeer.toString(), ['registry', 'service', 'client'], signal)
    return (await verdict(signal)) ? HealthResponse.Status.SERVING : HealthResponse.Status.NOT_SERVING
  }
  const codecs = { request: HealthRequest, response: HealthResponse }
  await node.handle(healthProtocol(init.network), serve(codecs, MAX_HEALTH_MESSAGE_BYTES, init.timeout,
    async (request, connection, signal) => ({ nonce: request.nonce, status: await status(connection, signal) }),
    init.onError
  ), { maxInboundStreams: MAX_HEALTH_STREAMS_PER_CONNECTION })
  await node.handle(healthSessionProtocol(init.network), serveSession(codecs, MAX_HEALTH_MESSAGE_BYTES,
    { timeout: init.timeout, idleTimeout: HEALTH_SESSION_IDLE_TIMEOUT_MS },
    async (_request, connection, signal) => ({ nonce: EMPTY, status: await status(connection, signal) }),
    init.onError
  ), { maxInboundStreams: MAX_HEALTH_SESSIONS_PER_CONNECTION })
}

const EMPTY = new Uint8Array(0)

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
