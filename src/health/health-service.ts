/**
 * The answering side of the health protocol: SERVING, or NOT_SERVING when one of the node's named checks fails,
 * with each check's last result and the process's load figures. 1.0.0 answers one probe per stream and echoes
 * its nonce; 2.0.0 answers a stream of probes in order and echoes each one's id. Runs over Noise, so the prober
 * knows who answered.
 */
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import {
  HEALTH_SESSION_IDLE_TIMEOUT_MS, MAX_HEALTH_MESSAGE_BYTES, MAX_HEALTH_SESSIONS_PER_CONNECTION, MAX_HEALTH_STREAMS_PER_CONNECTION,
  healthProtocol, healthSessionProtocol
} from '../constants.js'
import { serve, serveSession } from '../node/rpc.js'
import { deadline } from '../util/deadline.js'
import { CheckRunner } from './checks.js'
import { currentLoad, useLoadSampler } from './load.js'
import { checksToWire, loadToWire } from './model.js'
import type { HealthCheck } from './checks.js'
import type { CheckResult } from './model.js'
import type { NetgetLibp2p } from '../node/create-node.js'
import type { AdmissionGuard } from '../security/admission-guard.js'
import type { Connection } from '@libp2p/interface'

export type { HealthCheck } from './checks.js'

export type HealthServiceComponents = Pick<NetgetLibp2p, 'handle'>

export interface HealthServiceInit {
  network: string
  /** Deadline for reading a probe and answering it (ms); also the deadline of one run of a check. */
  timeout: number
  /** Named checks (name → check). */
  checks: Record<string, HealthCheck>
  /** Time between runs of each check (ms). */
  checkInterval: number
  /** Closed networks: answer only admitted peers. */
  guard?: AdmissionGuard
  onError: (err: Error) => void
}

export class HealthService {
  private readonly node: HealthServiceComponents
  private readonly init: HealthServiceInit
  private readonly runner: CheckRunner
  private releaseSampler?: () => void

  constructor (node: HealthServiceComponents, init: HealthServiceInit) {
    this.node = node
    this.init = init
    this.runner = new CheckRunner({ checks: init.checks, interval: init.checkInterval, timeout: init.timeout })
  }

  /** Registers both protocol versions (before the node starts) and starts the checks and the load sampler. */
  async start (): Promise<void> {
    const codecs = { request: HealthRequest, response: HealthResponse }
    const network = this.init.network
    await this.node.handle(healthProtocol(network), serve(codecs, MAX_HEALTH_MESSAGE_BYTES, this.init.timeout,
      async (request, connection, signal) => ({ ...await this.answer(connection, signal), nonce: request.nonce }),
      this.init.onError
    ), { maxInboundStreams: MAX_HEALTH_STREAMS_PER_CONNECTION })
    await this.node.handle(healthSessionProtocol(network), serveSession(codecs, MAX_HEALTH_MESSAGE_BYTES,
      { timeout: this.init.timeout, idleTimeout: HEALTH_SESSION_IDLE_TIMEOUT_MS },
      async (_request, connection, signal) => ({ ...await this.answer(connection, signal), nonce: EMPTY }),
      this.init.onError
    ), { maxInboundStreams: MAX_HEALTH_SESSIONS_PER_CONNECTION })
    this.runner.start()
    this.releaseSampler = useLoadSampler()
  }

  stop (): void {
    this.runner.stop()
    this.releaseSampler?.()
    this.releaseSampler = undefined
  }

  /** The checks' latest results (waiting, within `signal`, for first runs still going). */
  async checks (signal: AbortSignal): Promise<CheckResult[]> {
    return this.runner.results(signal)
  }

  private async answer (connection: Connection, signal: AbortSignal): Promise<Omit<HealthResponse, 'nonce' | 'id'>> {
    await this.init.guard?.require(connection.remotePeer.toString(), ['registry', 'service', 'client'], signal)
    // A first run still going is waited for half the deadline at most, so that the answer (NOT_SERVING,
    // "pending") still reaches a prober whose deadline is the same length.
    const wait = deadline(Math.floor(this.init.timeout / 2), signal)
    const checks = await this.runner.results(wait.signal).finally(() => { wait.clear() })
    const now = Date.now()
    return {
      status: checks.every(c => c.passing) ? HealthResponse.Status.SERVING : HealthResponse.Status.NOT_SERVING,
      checks: checksToWire(checks, now),
      load: loadToWire(currentLoad())
    }
  }
}

const EMPTY = new Uint8Array(0)
