/** `netget registry`: a long-lived registry node, with an event log, until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util'
import { SECURITY_OPTIONS, SECURITY_USAGE, identityOptions, noPositionals, parseHostPort, parseStrictly, securityOptions } from '../args.js'
import { EXIT_OK } from '../errors.js'
import { createEventLog, logRegistryEvents } from '../node-events.js'
import { listenForShutdown } from '../shutdown.js'
import type { Command } from '../command.js'
import type { EventLog } from '../node-events.js'
import type { Io } from '../io.js'
import type { Netget as NetgetNode } from '../../netget.js'
import type { SecurityFlags } from '../args.js'

const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/4001'

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
  --dns <host:port>       also answer DNS queries there over UDP (off by default), as Consul's port
                          8600: <service>.<network>.netget SRV, A, AAAA, TXT
  --json-logs             log one JSON object per line instead of readable lines
  -h, --help              show this help

Without --key or --data-dir the registry gets a new peer id at each start, so its multiaddrs
change: give a registry that others are configured with a persistent identity.

A closed network's registry needs a certificate with --role registry. It logs the peers it
refuses ("peer refused") and the requests over its limits ("record limited").`

const options = {
  network: { type: 'string', default: 'development' },
  listen: { type: 'string', multiple: true },
  registry: { type: 'string', multiple: true },
  key: { type: 'string' },
  'data-dir': { type: 'string' },
  ...SECURITY_OPTIONS,
  http: { type: 'string' },
  dns: { type: 'string' },
  'json-logs': { type: 'boolean', default: false }
} as const

async function run (argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseStrictly(() => parseArgs({ args: argv, options, strict: true, allowPositionals: true }))
  noPositionals(positionals)
  const identity = identityOptions(values)
  const security = securityOptions(values)
  const http = parseHostPort(values.http, '--http')
  const dns = parseHostPort(values.dns, '--dns')
  // libp2p is loaded only by the commands that run a node: keygen, id, admit, psk and --help start faster.
  const { Netget } = await import('../../netget.js')
  const node = new Netget({
    nodeType: 'registry',
    network: values.network,
    listen: values.listen ?? [DEFAULT_LISTEN],
    registryNodes: values.registry ?? [],
    ...identity,
    ...security,
    // The HTTP API serves /metrics: collected only when it runs.
    metrics: http !== undefined
  })
  const log = createEventLog(io, values['json-logs'])
  const shutdown = listenForShutdown()
  const { HttpApi } = await import('../../http/api.js')
  const api = http === undefined ? undefined : new HttpApi({ node, ...http })
  const { DnsServer } = await import('../../dns/server.js')
  const resolver = dns === undefined ? undefined : new DnsServer({ node, ...dns })
  try {
    logRegistryEvents(node, log)
    await node.start()
    printBanner(io, log, node, values['json-logs'], identity.keyFile ?? identity.dataDir, security)
    if (api !== undefined) {
      const { host, port } = await api.start()
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
      if (values['json-logs']) log('http', { url }, '')
      else io.out(`http ${url}`)
    }
    if (resolver !== undefined) {
      const { host, port } = await resolver.start()
      const address = `${host.includes(':') ? `[${host}]` : host}:${port}`
      if (values['json-logs']) log('dns', { address }, '')
      else io.out(`dns ${address} (UDP)`)
    }
    const signal = await shutdown.received
    log('stopping', { signal }, `stopping (${signal})`)
  } finally {
    shutdown.dispose()
    await api?.stop()
    await resolver?.stop()
    await node.stop()
  }
  log('stopped', {}, 'stopped')
  return EXIT_OK
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

export const registryCommand: Command = { name: 'registry', summary: 'run a registry node (long-lived)', usage, run }
