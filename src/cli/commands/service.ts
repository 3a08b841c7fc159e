/** `netget service`: registers a service instance and keeps its lease until SIGINT/SIGTERM, then withdraws it. */
import { parseArgs } from 'node:util'
import { EXCLUSIVE_SETTINGS, SECURITY_OPTIONS, SECURITY_USAGE, identityOptions, noPositionals, parseMeta, parseStrictly, requireValue, securityOptions } from '../args.js'
import { CONFIG_USAGE, layerSettings, withoutDefaults } from '../config.js'
import { EXIT_OK } from '../errors.js'
import { createEventLog, logServiceEvents } from '../node-events.js'
import { listenForShutdown } from '../shutdown.js'
import type { Command } from '../command.js'
import type { Io } from '../io.js'
import type { SettingSpec } from '../config.js'
import type { NodeFlagValues } from '../args.js'

const usage = `Usage: netget service --name <service> --registry <multiaddr> [options]

Registers one instance of <service> with the registries and keeps it registered until Ctrl-C or
SIGTERM; stopping withdraws the record, so the instance leaves discovery at once. Prints
"peer-id <peerId>" at start and "registered <service> as <peerId> …" once a registry stored it.

Options:
  --name <service>        service name to register, e.g. DatabaseService (required)
  --registry <multiaddr>  a registry, ending in /p2p/<peerId> as "netget registry" prints it;
                          repeatable (at least one)
  --network <name>        network to join (default: development)
  --meta <key=value>      metadata published with the record; repeatable
  --announce <endpoint>   application endpoint to publish, e.g. http://127.0.0.1:8080; repeatable
  --listen <multiaddr>    libp2p address to listen on; repeatable (default: /ip4/127.0.0.1/tcp/0,
                          this machine only; use /ip4/0.0.0.0/tcp/<port> to be reachable from others)
  --key <file>            identity from a key file written by "netget keygen"
  --data-dir <dir>        keep the identity in <dir>/identity.key (created on first start)
${SECURITY_USAGE}
  --json-logs             log one JSON object per line instead of readable lines
  --config <file>         read settings from a JSON file (see below)
  -h, --help              show this help

${CONFIG_USAGE}

On a closed network the certificate needs --role service and a --service pattern matching --name.`

/** Every setting, with its default (applied after the flag, the environment and the config file: config.ts). */
export const serviceSettings = {
  name: { type: 'string' },
  registry: { type: 'string', multiple: true },
  network: { type: 'string', default: 'development' },
  meta: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  listen: { type: 'string', multiple: true },
  key: { type: 'string' },
  'data-dir': { type: 'string' },
  ...SECURITY_OPTIONS,
  'json-logs': { type: 'boolean', default: false },
  config: { type: 'string' }
} as const satisfies Record<string, SettingSpec>

/** The same, without defaults, for parseArgs: a flag that is absent must read as not given. */
const flags = withoutDefaults(serviceSettings)

interface ServiceSettings extends NodeFlagValues {
  name?: string
  registry?: string[]
  network: string
  meta?: string[]
  announce?: string[]
  listen?: string[]
  'json-logs': boolean
}

async function run (argv: string[], io: Io): Promise<number> {
  const { values: given, positionals } = parseStrictly(() => parseArgs({ args: argv, options: flags, strict: true, allowPositionals: true, allowNegative: true }))
  noPositionals(positionals)
  const values = layerSettings(serviceSettings, given, io.env ?? process.env, EXCLUSIVE_SETTINGS).values as unknown as ServiceSettings
  const name = requireValue(values.name, '--name <service>')
  const registries = requireValue(values.registry, '--registry <multiaddr>')
  const metadata = { ...parseMeta(values.meta), name }
  const identity = identityOptions(values)
  const security = securityOptions(values)
  // libp2p is loaded only by the commands that run a node: keygen, id, admit, psk and --help start faster.
  const { Netget } = await import('../../netget.js')
  const node = new Netget({
    nodeType: 'service',
    network: values.network,
    metadata,
    registryNodes: registries,
    announce: values.announce ?? [],
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    ...identity,
    ...security
  })
  const json = values['json-logs']
  const log = createEventLog(io, json)
  const shutdown = listenForShutdown()
  try {
    logServiceEvents(node, log)
    await node.start()
    if (!json) {
      io.out(`peer-id ${node.peerId}`)
      for (const address of node.getMultiaddrs()) io.out(`listening ${address}`)
    }
    const result = await node.registerWithNetwork()
    log('registered', { name, peerId: node.peerId, network: node.network, accepted: result.accepted, registries: result.registries },
      `registered ${name} as ${node.peerId} (stored by ${result.accepted} registries)`)
    const signal = await shutdown.received
    log('stopping', { signal }, `stopping (${signal}): withdrawing the record`)
  } finally {
    shutdown.dispose()
    await node.stop()
  }
  log('stopped', {}, 'stopped')
  return EXIT_OK
}

export const serviceCommand: Command = { name: 'service', summary: 'register a service instance and keep it registered (long-lived)', usage, run }
