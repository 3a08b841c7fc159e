/** `netget registry`: a long-lived registry node, with an event log, until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util'
import { EXCLUSIVE_SETTINGS, SECURITY_OPTIONS, SECURITY_USAGE, identityOptions, noPositionals, parseHostPort, parseStrictly, securityOptions } from '../args.js'
import { CONFIG_USAGE, layerSettings, withoutDefaults } from '../config.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { createEventLog, logRegistryEvents } from '../node-events.js'
import { listenForShutdown } from '../shutdown.js'
import type { Command } from '../command.js'
import type { EventLog } from '../node-events.js'
import type { Io } from '../io.js'
import type { Netget as NetgetNode } from '../../netget.js'
import type { NodeFlagValues, SecurityFlags } from '../args.js'
import type { SettingSpec } from '../config.js'

const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4001'
const MAX_TIMER_MS = 2_147_483_647

const usage = `Usage: netget registry [options]

Runs a registry node until Ctrl-C or SIGTERM: it serves the DHT, stores service records and
probes the health of registered instances. At start it prints one line per dialable address:

  listening /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…

Give those multiaddrs to services and clients with --registry.

Options:
  --network <name>        network to serve (default: development)
  --listen <multiaddr>    address to listen on; repeatable (default: ${DEFAULT_LISTEN}, every interface;
                          use /ip4/127.0.0.1/tcp/<port> to stay on this machine)
  --registry <multiaddr>  another registry to join, ending in /p2p/<peerId>; repeatable
  --key <file>            identity from a key file written by "netget keygen"
  --data-dir <dir>        keep the identity (<dir>/identity.key) and a datastore (<dir>/datastore,
                          LevelDB): restarted, the registry serves the records it held (those
                          still valid) and rejoins the registries it knew
${SECURITY_USAGE}
  --http <host:port>      also serve the read-only HTTP JSON API there (off by default): GET
                          /v1/services/<name>[/watch], /v1/services, /v1/health, /.well-known/netget,
                          /metrics (Prometheus)
  --dns <host:port>       also answer DNS queries there, UDP and TCP (off by default), as Consul's port
                          8600: <service>.<network>.netget SRV, A, AAAA, TXT
  --replication <K>       registries closest to a service key that hold its records (default: 20);
                          give every node of a network the same K
  --health-interval <ms>  time between health probes of an instance (default: 5000)
  --health-timeout <ms>   deadline of one probe (default: 2000)
  --max-records <n>       records held at most (default: 100000)
  --settling-time <ms>    after joining, or a neighbour leaving, answers say "settling" this long
                          (default: 10000; 0: never)
  --summary-interval <ms> log a one-line summary (records, peers, lookups, refusals) this often
                          (default: 60000; 0: never)
  --stop-timeout <ms>     on SIGINT/SIGTERM, exit 1 if stopping takes longer (default: 10000); a
                          second signal exits at once
  --json-logs             log one JSON object per line instead of readable lines
  --config <file>         read settings from a JSON file (see below)
  -h, --help              show this help

${CONFIG_USAGE}

Without --key or --data-dir the registry gets a new peer id at each start, so its multiaddrs
change: give a registry that others are configured with a persistent identity.

A closed network's registry needs a certificate with --role registry. It logs the peers it
refuses ("peer refused") and the requests over its limits ("record limited").`

/** Every setting, with its default (applied after the flag, the environment and the config file: config.ts). */
export const registrySettings = {
  network: { type: 'string', default: 'development' },
  listen: { type: 'string', multiple: true, default: [DEFAULT_LISTEN] },
  registry: { type: 'string', multiple: true, default: [] },
  key: { type: 'string' },
  'data-dir': { type: 'string' },
  ...SECURITY_OPTIONS,
  http: { type: 'string' },
  dns: { type: 'string' },
  replication: { type: 'string', default: '20' },
  'health-interval': { type: 'string', default: '5000' },
  'health-timeout': { type: 'string', default: '2000' },
  'max-records': { type: 'string', default: '100000' },
  'settling-time': { type: 'string', default: '10000' },
  'summary-interval': { type: 'string', default: '60000' },
  'stop-timeout': { type: 'string', default: '10000' },
  'json-logs': { type: 'boolean', default: false },
  config: { type: 'string' }
} as const satisfies Record<string, SettingSpec>

/** The same, without defaults, for parseArgs: a flag that is absent must read as not given. */
const flags = withoutDefaults(registrySettings)

interface RegistrySettings extends NodeFlagValues {
  network: string
  listen: string[]
  registry: string[]
  http?: string
  dns?: string
  replication: string
  'health-interval': string
  'health-timeout': string
  'max-records': string
  'settling-time': string
  'summary-interval': string
  'stop-timeout': string
  'json-logs': boolean
}

async function run (argv: string[], io: Io): Promise<number> {
  const { values: given, positionals } = parseStrictly(() => parseArgs({ args: argv, options: flags, strict: true, allowPositionals: true, allowNegative: true }))
  noPositionals(positionals)
  const layered = layerSettings(registrySettings, given, io.env ?? process.env, EXCLUSIVE_SETTINGS)
  const values = layered.values as unknown as RegistrySettings
  const at = layered.where
  const identity = identityOptions(values)
  const security = securityOptions(values)
  const http = parseHostPort(values.http, at('http'))
  const dns = parseHostPort(values.dns, at('dns'))
  const summaryInterval = wholeNumber(values['summary-interval'], at('summary-interval'))
  const stopTimeout = wholeNumber(values['stop-timeout'], at('stop-timeout'), 1)
  const json = values['json-logs']
  // libp2p is loaded only by the commands that run a node: keygen, id, admit, psk and --help start faster.
  const { Netget } = await import('../../netget.js')
  const node = new Netget({
    nodeType: 'registry',
    network: values.network,
    listen: values.listen,
    registryNodes: values.registry,
    ...identity,
    ...security,
    replicationFactor: wholeNumber(values.replication, at('replication'), 1),
    healthInterval: wholeNumber(values['health-interval'], at('health-interval'), 1),
    healthTimeout: wholeNumber(values['health-timeout'], at('health-timeout'), 1),
    maxRecords: wholeNumber(values['max-records'], at('max-records'), 1),
    settlingTime: wholeNumber(values['settling-time'], at('settling-time')),
    // The HTTP API serves /metrics: collected only when it runs.
    metrics: http !== undefined
  })
  const log = createEventLog(io, json)
  const shutdown = listenForShutdown()
  const { HttpApi } = await import('../../http/api.js')
  const api = http === undefined ? undefined : new HttpApi({ node, ...http })
  const { DnsServer } = await import('../../dns/server.js')
  const resolver = dns === undefined ? undefined : new DnsServer({ node, ...dns })
  const summary = summaryInterval > 0 ? startSummary(node, log, summaryInterval) : undefined
  let stopBound: ReturnType<typeof setTimeout> | undefined
  try {
    logRegistryEvents(node, log)
    await node.start()
    printBanner(io, log, node, json, identity.keyFile ?? identity.dataDir, security)
    if (api !== undefined) {
      const { host, port } = await api.start()
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
      if (json) log('http', { url }, '')
      else io.out(`http ${url}`)
    }
    if (resolver !== undefined) {
      const { host, port } = await resolver.start()
      const address = `${host.includes(':') ? `[${host}]` : host}:${port}`
      if (json) log('dns', { address }, '')
      else io.out(`dns ${address} (UDP and TCP)`)
    }
    const signal = await shutdown.received
    log('stopping', { signal }, `stopping (${signal})`)
    stopBound = shutdown.bound(stopTimeout, () => { log('error', { message: `stopping took longer than ${stopTimeout} ms` }, `error              stopping took longer than ${stopTimeout} ms: exiting`) })
  } finally {
    summary?.stop()
    shutdown.dispose()
    await api?.stop()
    await resolver?.stop()
    await node.stop()
    clearTimeout(stopBound)
  }
  log('stopped', {}, 'stopped')
  return EXIT_OK
}

/** A whole number ≥ `min` from a flag, an environment variable or the config file (`where` names which). */
function wholeNumber (text: string, where: string, min = 0): number {
  const value = Number(text)
  // Node turns a timer longer than 2^31 - 1 ms into 1 ms: such a value would mean "at once", not "very long".
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new UsageError(`${where} expects a whole number from ${min} to ${MAX_TIMER_MS}, got "${text}"`)
  }
  return value
}

/** Plain `label value` lines, so people can read them and scripts can pick out `listening <multiaddr>`. */
function printBanner (io: Io, log: EventLog, node: NetgetNode, json: boolean, identitySource: string | undefined, security: SecurityFlags): void {
  const identity = identitySource ?? 'ephemeral'
  if (json) {
    log('started', {
      peerId: node.peerId,
      network: node.network,
      identity,
      multiaddrs: node.getMultiaddrs(),
      closed: security.authority !== undefined,
      private: security.psk !== undefined,
      ...(security.authority !== undefined ? { authority: security.authority } : {})
    }, '')
    return
  }
  io.out(`registry ${node.peerId} on network ${node.network}`)
  for (const address of node.getMultiaddrs()) io.out(`listening ${address}`)
  io.out(identitySource === undefined
    ? 'identity ephemeral (a new peer id at each start; use --data-dir or --key to keep these multiaddrs)'
    : `identity ${identitySource}`)
  if (security.authority !== undefined) io.out(`closed network, authority ${security.authority}, admission ${security.admission}`)
  if (security.psk !== undefined) io.out(`private network, psk ${security.psk}`)
  io.out('ready (Ctrl-C to stop)')
}

/**
 * Every `interval`: one line with what an operator checks first. Counts since the previous line are marked +N;
 * refusals are records rejected, requests over a limit, and peers refused admission.
 */
function startSummary (node: NetgetNode, log: EventLog, interval: number): { stop: () => void } {
  const peers = new Set<string>()
  const onConnect = ({ detail }: CustomEvent<string>): void => { peers.add(detail) }
  const onDisconnect = ({ detail }: CustomEvent<string>): void => { peers.delete(detail) }
  node.addEventListener('peer:connect', onConnect)
  node.addEventListener('peer:disconnect', onDisconnect)
  let previous = refusalsAndLookups(node.getStats())
  const timer = setInterval(() => {
    const stats = node.getStats()
    const now = refusalsAndLookups(stats)
    const fields = {
      records: stats.records,
      peers: peers.size,
      registries: stats.verifiedRegistries,
      discovers: now.discovers - previous.discovers,
      stored: now.stored - previous.stored,
      refused: now.refused - previous.refused
    }
    previous = now
    log('summary', fields, `summary            ${fields.records} records, ${fields.peers} peers (${fields.registries} registries); +${fields.discovers} discoveries answered, +${fields.stored} stored, +${fields.refused} refused`)
  }, interval)
  timer.unref()
  return {
    stop: () => {
      clearInterval(timer)
      node.removeEventListener('peer:connect', onConnect)
      node.removeEventListener('peer:disconnect', onDisconnect)
    }
  }
}

function refusalsAndLookups (stats: ReturnType<NetgetNode['getStats']>): { discovers: number, stored: number, refused: number } {
  const rejected = Object.values(stats.rejected).reduce((a, b) => a + b, 0)
  return { discovers: stats.discoversAnswered, stored: stats.stored, refused: rejected + stats.rateLimited + stats.quotaExceeded + stats.refusedPeers }
}

export const registryCommand: Command = { name: 'registry', summary: 'run a registry node (long-lived)', usage, run }
