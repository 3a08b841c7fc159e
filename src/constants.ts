/**
 * Protocol names and limits shared by every module. Units are in the names or the comments.
 * Wire limits are part of the protocol (protocols/service-record.md): changing one is a protocol change.
 */

/** Protocol ids are namespaced per network so that two networks never exchange DHT, registry or health traffic. */
export const kadProtocol = (network: string): string => `/netget/${network}/kad/1.0.0`
export const registryProtocol = (network: string): string => `/netget/${network}/registry/1.0.0`
/** Watch streams: the registry protocol's messages, one WATCH request, then the registry's pushes (registry.md, Watch). */
export const watchProtocol = (network: string): string => `/netget/${network}/registry-watch/1.0.0`
export const healthProtocol = (network: string): string => `/netget/${network}/health/1.0.0`
/** Health probes pipelined on one long-lived stream per prober and target (protocols/health.md). */
export const healthSessionProtocol = (network: string): string => `/netget/${network}/health/2.0.0`
export const admissionProtocol = (network: string): string => `/netget/${network}/admission/1.0.0`

/** Domain strings separate what a key signs, so a signature made for one purpose is never valid for another. */
export const recordSignatureDomain = (network: string): string => `netget-record:v1:${network}`

/** Maximum encoded SignedServiceRecord, checked before any decoding. */
export const MAX_RECORD_BYTES = 10 * 1024
export const MAX_NAME_BYTES = 253
export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/
export const MAX_ADDRESSES = 32
export const MAX_ADDRESS_BYTES = 256
export const MAX_METADATA_BYTES = 8 * 1024
export const MAX_METADATA_KEYS = 64
/** Network names appear in protocol ids, so they follow the service-name rules, shorter. */
export const MAX_NETWORK_BYTES = 64

/** A record may claim at most this lifetime (ms): leases are short and republished. */
export const MAX_RECORD_LIFETIME_MS = 60 * 60 * 1000
/** Clocks of two honest peers may differ by this much (ms) without a record being refused. */
export const CLOCK_SKEW_MS = 30 * 1000

/** Records one DISCOVER answer may carry. */
export const MAX_RECORDS_PER_RESPONSE = 256
/** Bytes of records a registry puts in one DISCOVER answer; it sends fewer records rather than more bytes. */
export const MAX_RESPONSE_RECORD_BYTES = 1024 * 1024
/** One record's health in a DISCOVER or WATCH answer, at most (16 checks with their outputs, load, status). */
export const MAX_HEALTH_ENTRY_BYTES = 2400
/** One `gone` peer id of a watch delta, with its framing (a multihash is at most ~40 bytes for Ed25519 and secp256k1). */
export const MAX_GONE_ENTRY_BYTES = 48
/** Largest registry protocol request a registry reads (bytes): a whole record and the request's other fields. */
export const MAX_REGISTRY_REQUEST_BYTES = MAX_RECORD_BYTES + 1024
/** Largest registry protocol message a client reads (bytes): a full DISCOVER answer, its records' health, framing. */
export const MAX_REGISTRY_MESSAGE_BYTES = MAX_RESPONSE_RECORD_BYTES + MAX_RECORDS_PER_RESPONSE * (8 + MAX_HEALTH_ENTRY_BYTES + MAX_GONE_ENTRY_BYTES) + 1024
/** Largest health request (both versions). */
export const MAX_HEALTH_MESSAGE_BYTES = 128
/** Largest health answer: status, up to 16 named checks with their outputs, load figures. */
export const MAX_HEALTH_RESPONSE_BYTES = 4096
/** Inbound health/1.0.0 streams (one probe each) one connection may hold at once. */
export const MAX_HEALTH_STREAMS_PER_CONNECTION = 32
/** Inbound health/2.0.0 streams (probe sessions) one connection may hold at once: one per prober and target. */
export const MAX_HEALTH_SESSIONS_PER_CONNECTION = 4
/** A node closes a health/2.0.0 stream on which no probe arrived for this long (ms). */
export const HEALTH_SESSION_IDLE_TIMEOUT_MS = 60_000
/** A registry closes a registry request stream on which no request arrived for this long (ms). */
export const SESSION_IDLE_TIMEOUT_MS = 60_000
/**
 * A client closes its request stream to a registry after this long without a request (ms): sooner than the
 * registry, so that it never sends a request on a stream the registry is closing.
 */
export const SESSION_CLIENT_IDLE_TIMEOUT_MS = 45_000
/** Registry protocol streams one connection may hold open at once. */
export const MAX_REGISTRY_STREAMS_PER_CONNECTION = 8

/** Closer registries one registry-protocol answer lists at most (a request's `closer` is capped to it)… */
export const MAX_HINTS = 20
/**
 * …except a FIND's: a registry's self-lookup looks for its sibling list (siblingCount(), K + 10), and with 20
 * hints per answer, every answer names the same 20 closest: the 21st and farther were never found that way.
 */
export const MAX_FIND_HINTS = 64
/** Registries a node keeps per k-bucket of its registry table (Kademlia's k), at least: see siblingCount(). */
export const TABLE_BUCKET_SIZE = 20
/**
 * A registry knows its own closest `replicationFactor + SIBLING_MARGIN` registries (its self-lookup finds that
 * many, as S/Kademlia's sibling list): the registries that relay a renewal, or refill a closest set, are among the
 * few closest to the key, and must know every one of the key's K closest. Those are among the relayer's own
 * closest K - 1 + m, where m grows with the relayer's distance to the key: for a relayer of rank ≤ 3, m = 10
 * covers 99.9 % of (relayer, key) pairs whatever the network's size (a Monte Carlo of random positions; m = 0:
 * 49 %, m = 5: 97 %).
 */
export const SIBLING_MARGIN = 10

/** How many registries closest to itself a registry looks up and keeps in its table (its sibling list). */
export function siblingCount (replicationFactor: number): number {
  return Math.max(TABLE_BUCKET_SIZE, replicationFactor + SIBLING_MARGIN)
}
/** Requests one lookup keeps in flight (Kademlia's α); publication sends to all the closest at once. */
export const LOOKUP_ALPHA = 3
/** Requests one lookup sends at most: max(this, 3 × the registries it needs). */
export const LOOKUP_MIN_QUERIES = 64
/** Registries from the table a lookup starts with beyond those it needs: max(this, the number it needs). */
export const LOOKUP_SPARE_SEEDS = 16
/**
 * A lookup request pending this long (ms) no longer holds the lookup up: the next registry is asked too, and the
 * slow one's answer still counts if it comes. Far above a loopback or LAN round trip; a registry that stalls or
 * a connection closing under a request then costs this, not requestTimeout.
 */
export const LOOKUP_HEDGE_MS = 500
/**
 * A discovery hedges sooner once this client has timed enough answers: after its recent p95 answer time (as "The
 * Tail at Scale" hedged requests do), never sooner than HEDGE_MIN_MS (a timer's resolution) nor later than
 * LOOKUP_HEDGE_MS. About 1 request in 20 then costs a second one, and a stalled registry costs its p95.
 */
export const HEDGE_MIN_MS = 1
/**
 * A registry answers DISCOVER as `settling` for this long (ms) after it joined the network or saw a registry
 * leave (the two ways it enters a closest set): time for re-replication to fill it. A client then needs CONFIRMING_ANSWERS answers.
 */
export const SETTLING_MS = 10_000
/**
 * The closest registries that must answer a discovery whose first answer found nothing (one registry may withhold
 * records) or came from a settling registry.
 */
export const CONFIRMING_ANSWERS = 2
/** Answer times a client keeps for its p95 (the most recent), and how many it needs before it uses them. */
export const HEDGE_SAMPLES = 64
export const HEDGE_MIN_SAMPLES = 16
/** Candidate registries one lookup remembers at most. */
export const LOOKUP_MAX_CANDIDATES = 256
/** Holders of a record that probe its instance: the closest few, not all replicationFactor. */
export const PROBING_HOLDERS = 3
/**
 * A renewal (or withdrawal) goes to this many of the closest registries, which relay it to the rest of the
 * replicationFactor closest: a service keeps connections to these few only, not to all K (protocols/registry.md,
 * "Relayed renewals"). Equal to PROBING_HOLDERS: the holders a service keeps are those that probe it.
 */
export const RELAY_DIRECT = PROBING_HOLDERS
/** The largest `relay` a PUBLISH may ask for (the largest replicationFactor a registry relays for). */
export const MAX_RELAY = 64
/** After a holder of a record disconnects, its instance republishes this soon (ms)… */
export const HOLDER_LOST_DELAY_MS = 100
/** …and at most this often for that reason (ms). */
export const HOLDER_LOST_MIN_INTERVAL_MS = 1000
/** Holders of a record that send it to a registry joining its closest set (the nearest ones). */
export const REPLICATION_SENDERS = 2
/** REPLICATE requests one registry sends one receiver per second at most (receivers take 20 × publishRate). */
export const REPLICATE_SEND_RATE = 100
/** Changes of the closest sets are gathered this long before one pass over the store (ms). */
export const REPLICATION_BATCH_DELAY_MS = 200
/**
 * A registry looks itself up and refreshes one bucket of its table this often (ms) while its table changes; each
 * refresh after which no registry joined or left doubles the period, up to TABLE_REFRESH_MAX_INTERVAL_MS.
 */
export const TABLE_REFRESH_INTERVAL_MS = 60_000
export const TABLE_REFRESH_MAX_INTERVAL_MS = 10 * 60_000
/** After its first self-lookup, a registry refreshes every bucket at these delays (ms), while the network forms. */
export const TABLE_WARMUP_REFRESHES_MS = [2000, 10_000, 30_000]
/** Registries a bucket refresh needs to have answered (a few verified registries in that part of the space). */
export const BUCKET_REFRESH_NEED = 3
/**
 * A registry tries again to reach the registries that left its table after failed requests (a partition, a
 * restart, a stall): first after REGISTRY_RECONNECT_FIRST_MS, the wait doubling up to REGISTRY_RECONNECT_MAX_MS,
 * for REGISTRY_RECONNECT_GIVE_UP_MS; at most REGISTRY_RECONNECT_MAX_DEPARTED of them are remembered.
 */
export const REGISTRY_RECONNECT_FIRST_MS = 2000
export const REGISTRY_RECONNECT_MAX_MS = 60_000
export const REGISTRY_RECONNECT_GIVE_UP_MS = 10 * 60_000
export const REGISTRY_RECONNECT_MAX_DEPARTED = 256
/** A registry whose connection closed is checked at most this often (ms). */
export const LIVENESS_CHECK_MIN_INTERVAL_MS = 10_000
/** A registry checks the registries it shares closest sets with, and is not connected to, this often (ms). */
export const NEIGHBOURHOOD_CHECK_INTERVAL_MS = 15_000
/**
 * A registry with a datastore writes the records and registries that changed at most this long ago (ms), in one
 * batch: a crash loses at most this much, which publishers' renewals (every third of a lease) put back.
 */
export const PERSIST_FLUSH_INTERVAL_MS = 5_000
/** Connections a registry keeps at most (libp2p prunes the least valuable beyond it). */
export const REGISTRY_MAX_CONNECTIONS = 512
/** Connections a service or client keeps at most. */
export const NODE_MAX_CONNECTIONS = 64

/** A registry sends an empty delta on every watch stream this often (ms) when nothing changed: a heartbeat. */
export const WATCH_HEARTBEAT_MS = 5000
/** A watcher that heard nothing on a watch stream for this long (ms) takes it for lost and resynchronises. */
export const WATCH_SILENCE_MS = 12_500
/** Watch streams one connection may hold open at once (one per name watched). */
export const MAX_WATCH_STREAMS_PER_CONNECTION = 64
/** Watch streams a registry serves in all. */
export const MAX_WATCHERS = 4096
/** Messages queued for a watcher that does not read; beyond it the registry resets its stream (it resynchronises). */
export const MAX_WATCH_BACKLOG = 64
/** Registries a watch subscribes to: the closest, which are the ones that probe the instances. */
export const WATCH_REGISTRIES = 3
