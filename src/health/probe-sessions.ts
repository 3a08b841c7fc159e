/**
 * A registry's probes, pipelined on one long-lived health/2.0.0 stream per target (protocols/health.md).
 *
 * A probe on a stream of its own costs a stream's opening, protocol negotiation and closing on both sides, several
 * times the probe itself: idle, a 300-node network spent most of its CPU there. On a kept stream a probe is one
 * message each way. A target that does not speak 2.0.0 (an older netget) is probed with 1.0.0, one stream per
 * probe, from then on.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { HealthRequest, HealthResponse } from '../../protocols/health.js'
import { MAX_HEALTH_RESPONSE_BYTES, SESSION_CLIENT_IDLE_TIMEOUT_MS, healthSessionProtocol } from '../constants.js'
import { SessionPool } from '../node/session.js'
import { probe, rememberAddresses, verdict } from './probe.js'
import type { ProbeComponents, ProbeResult } from './probe.js'

/** As one probe's: a target without health/2.0.0 is probed a stream at a time (probe.ts). */
export type ProbeSessionsComponents = ProbeComponents

export interface ProbeSessionsInit {
  network: string
  /** Time between a target's probes (ms): a session idle for a few of them is closed. */
  interval: number
  /** Deadline of opening a session (ms). */
  timeout: number
}

/** Rounds without a probe after which a target's session closes (its target was dropped, or probed rarely). */
const IDLE_ROUNDS = 3

export class ProbeSessions {
  private readonly node: ProbeSessionsComponents
  private readonly network: string
  private readonly sessions: SessionPool<HealthRequest, HealthResponse>
  /** Targets that answered health/2.0.0 with "protocol not supported". */
  private readonly legacy = new Set<string>()

  constructor (node: ProbeSessionsComponents, init: ProbeSessionsInit) {
    this.node = node
    this.network = init.network
    this.sessions = new SessionPool({
      node,
      protocol: healthSessionProtocol(init.network),
      codecs: { request: HealthRequest, response: HealthResponse },
      maxDataLength: MAX_HEALTH_RESPONSE_BYTES,
      // Capped below the answering side's 60 s (as registry sessions are), so that a probe is never sent on a
      // stream being closed there.
      idleTimeout: Math.min(IDLE_ROUNDS * init.interval + init.timeout, SESSION_CLIENT_IDLE_TIMEOUT_MS),
      openTimeout: init.timeout
    })
  }

  /** Probes `peerId` within `signal`; never throws. `addresses` (from its record) reach it with no connection. */
  async probe (peerId: string, addresses: string[], signal: AbortSignal): Promise<ProbeResult> {
    const peer = peerIdFromString(peerId)
    if (this.legacy.has(peerId)) return probe(this.node, this.network, peer, signal, addresses)
    const started = performance.now()
    try {
      await rememberAddresses(this.node, peer, addresses)
      const response = await this.sessions.request(peer, { nonce: EMPTY }, signal)
      return verdict(response, performance.now() - started)
    } catch (err) {
      if ((err as Error).name === 'UnsupportedProtocolError' && !signal.aborted) {
        this.legacy.add(peerId)
        return probe(this.node, this.network, peer, signal, addresses)
      }
      return { healthy: false, rtt: performance.now() - started, error: (err as Error).message, answered: false }
    }
  }

  /** A target no longer probed: its stream closes now rather than when idle. */
  forget (peerId: string): void {
    this.sessions.close(peerId)
    this.legacy.delete(peerId)
  }

  /**
   * A target that stopped answering: its connections are aborted, so the next probe dials afresh (and fails fast
   * if the peer is gone) instead of queueing behind a connection nothing comes back on.
   */
  hangUp (peerId: string): void {
    this.sessions.close(peerId)
    const err = new Error(`${peerId} stopped answering health probes`)
    for (const connection of this.node.getConnections(peerIdFromString(peerId))) connection.abort(err)
  }

  closeAll (): void {
    this.sessions.closeAll()
    this.legacy.clear()
  }
}

const EMPTY = new Uint8Array(0)
