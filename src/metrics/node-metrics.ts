/**
 * Prometheus metrics of one node (option `metrics: true`; served at `/metrics` by the HTTP API): libp2p's own
 * (@libp2p/prometheus-metrics, connections, streams, protocols) and netget's, in a registry of the node's own so
 * that several nodes in one process do not collide. netget's counters are read from getStats() when scraped;
 * the discovery and registration latencies are histograms observed as they happen.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { NetgetStats } from '../netget.js'

/** Seconds: from a cached answer (µs) to a cold lookup across the network (s). */
const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

type CounterStat = 'stored' | 'rateLimited' | 'quotaExceeded' | 'discoversAnswered' | 'evicted' | 'expired' | 'refusedPeers' | 'lookups' | 'requests' |
  'requestBytes' | 'responseBytes' | 'hedges' | 'replicated' | 'replicationRefused' | 'replicationFailed' | 'relayed'

const COUNTERS: Array<[string, CounterStat, string]> = [
  ['netget_records_stored_total', 'stored', 'Registry: records stored (new or newer), from publishers and replication'],
  ['netget_rate_limited_total', 'rateLimited', 'Registry: requests refused for going over a rate'],
  ['netget_quota_exceeded_total', 'quotaExceeded', 'Registry: records refused for a quota (per peer, store size)'],
  ['netget_discovers_answered_total', 'discoversAnswered', 'Registry: DISCOVER requests from other nodes answered'],
  ['netget_records_evicted_total', 'evicted', 'Registry: records evicted to stay under maxRecords'],
  ['netget_records_expired_total', 'expired', 'Registry: records dropped at the end of their lease'],
  ['netget_refused_peers_total', 'refusedPeers', 'Closed networks: peers refused admission'],
  ['netget_lookups_total', 'lookups', 'Lookups run (discoveries that asked registries, publications, FIND lookups)'],
  ['netget_requests_total', 'requests', 'Registry-protocol requests sent'],
  ['netget_request_bytes_total', 'requestBytes', 'Bytes of registry-protocol requests sent'],
  ['netget_response_bytes_total', 'responseBytes', 'Bytes of their answers'],
  ['netget_hedges_total', 'hedges', 'Discovery requests sent because one out was slower than the recent p95'],
  ['netget_replicated_total', 'replicated', 'Registry: records re-replicated to other registries'],
  ['netget_replication_refused_total', 'replicationRefused', 'Registry: records a receiver refused for good'],
  ['netget_replication_failed_total', 'replicationFailed', 'Registry: records not delivered to a receiver'],
  ['netget_relayed_total', 'relayed', 'Registry: renewals relayed to the rest of the closest set']
]

export class NodeMetrics {
  readonly registry = new Registry()
  readonly discover: Histogram<'outcome'>
  readonly register: Histogram<'outcome'>
  readonly instanceEvents: Counter<'event'>

  constructor (stats: () => NetgetStats) {
    const registers = { registers: [this.registry] }
    for (const [name, stat, help] of COUNTERS) {
      // A counter set from a cumulative figure at scrape time: reset, then the current total.
      new Counter({ name, help, ...registers, collect () { this.reset(); this.inc(stats()[stat]) } })
    }
    new Counter({
      name: 'netget_records_rejected_total',
      help: 'Registry: records refused by validation, by error code',
      labelNames: ['code'],
      ...registers,
      collect () {
        this.reset()
        for (const [code, n] of Object.entries(stats().rejected)) this.inc({ code }, n)
      }
    })
    new Gauge({ name: 'netget_records', help: 'Registry: records held now', ...registers, collect () { this.set(stats().records) } })
    new Gauge({ name: 'netget_known_registries', help: 'Registries in this node\'s table (verified or only hinted)', ...registers, collect () { this.set(stats().knownRegistries) } })
    new Gauge({ name: 'netget_verified_registries', help: 'Registries in the table that answered or identified as such', ...registers, collect () { this.set(stats().verifiedRegistries) } })
    this.discover = new Histogram({ name: 'netget_discover_seconds', help: 'discoverServiceNode() calls, by outcome (ok, error)', labelNames: ['outcome'], buckets: LATENCY_BUCKETS, ...registers })
    this.register = new Histogram({ name: 'netget_register_seconds', help: 'registerWithNetwork() calls, by outcome (ok, error)', labelNames: ['outcome'], buckets: LATENCY_BUCKETS, ...registers })
    this.instanceEvents = new Counter({ name: 'netget_instance_health_events_total', help: 'Registry: instances its prober marked down or up again', labelNames: ['event'], ...registers })
  }

  /** Times `run` into `histogram` (seconds), labelled by its outcome. */
  async time<T> (histogram: Histogram<'outcome'>, run: () => Promise<T>): Promise<T> {
    const end = histogram.startTimer()
    try {
      const value = await run()
      end({ outcome: 'ok' })
      return value
    } catch (err) {
      end({ outcome: 'error' })
      throw err
    }
  }
}
