/** `netget discover <name>`: a one-shot client that asks the registries for a service's live instances. */
import { parseArgs } from 'node:util'
import { SECURITY_OPTIONS, SECURITY_USAGE, identityOptions, parsePositiveInt, parseStrictly, requireValue, securityOptions } from '../args.js'
import { EXIT_OK, UsageError } from '../errors.js'
import { formatInstances } from '../format.js'
import { toJson } from '../io.js'
import type { Command } from '../command.js'
import type { Io } from '../io.js'

const usage = `Usage: netget discover <name> --registry <multiaddr> [options]

Prints every live, verified instance of service <name>: a table of peer id, addresses and
metadata, or with --json an array of instances (sequence as a string). Exits 1 when no registry
answers in time.

Options:
  --registry <multiaddr>  a registry, ending in /p2p/<peerId> as "netget registry" prints it;
                          repeatable (at least one)
  --network <name>        network to search (default: development)
  --timeout <ms>          give up after this long (default: 5000)
  --key <file>            identity from a key file written by "netget keygen" (default: a new one
                          for this run); on a closed network, the peer the --admission certificate
                          was issued to (a client certificate is enough)
${SECURITY_USAGE}
  --json                  print JSON instead of a table
  -h, --help              show this help`

const options = {
  registry: { type: 'string', multiple: true },
  network: { type: 'string', default: 'development' },
  timeout: { type: 'string' },
  key: { type: 'string' },
  ...SECURITY_OPTIONS,
  json: { type: 'boolean', default: false }
} as const

/** A client only dials out; it listens on loopback because libp2p wants a listen address, not to be reached. */
const CLIENT_LISTEN = ['/ip4/127.0.0.1/tcp/0']

async function run (argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseStrictly(() => parseArgs({ args: argv, options, strict: true, allowPositionals: true }))
  if (positionals.length === 0) throw new UsageError('missing the service name, e.g. "netget discover DatabaseService --registry …"')
  if (positionals.length > 1) throw new UsageError(`expected one service name, got ${positionals.length}: ${positionals.join(' ')}`)
  const name = positionals[0]
  const registries = requireValue(values.registry, '--registry <multiaddr>')
  const timeout = parsePositiveInt(values.timeout, '--timeout')
  const identity = identityOptions(values)
  const security = securityOptions(values)
  // libp2p is loaded only by the commands that run a node: keygen, id, admit, psk and --help start faster.
  const { Netget } = await import('../../netget.js')
  const node = new Netget({
    nodeType: 'service',
    network: values.network,
    registryNodes: registries,
    listen: CLIENT_LISTEN,
    ...(timeout !== undefined ? { discoverTimeout: timeout } : {}),
    ...identity,
    ...security
  })
  try {
    const started = performance.now()
    const instances = await node.discoverServiceNode(name)
    const elapsed = performance.now() - started
    if (values.json) {
      io.out(toJson(instances, 2))
    } else if (instances.length === 0) {
      io.out(`No instance of ${name} found on network ${node.network} (${elapsed.toFixed(0)} ms).`)
    } else {
      io.out(`${instances.length} instance${instances.length === 1 ? '' : 's'} of ${name} on network ${node.network} (${elapsed.toFixed(0)} ms):`)
      for (const line of formatInstances(instances)) io.out(line)
    }
  } finally {
    await node.stop()
  }
  return EXIT_OK
}

export const discoverCommand: Command = { name: 'discover', summary: 'list the live instances of a service', usage, run }
