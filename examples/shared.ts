/**
 * What the framework examples share: the client (it needs no web framework: it finds an instance through netget
 * and calls the URL the instance announced), and the command-line wrappers that run a service or the client by
 * hand. Each framework's service.ts holds only what differs: how its server starts and registers.
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { Netget, NoInstanceError } from '../src/index.js'

export interface ServiceOptions {
  registryNodes: string[]
  network?: string
  name?: string
  /** 0 (the default) takes a free port. */
  port?: number
}

export interface RunningService {
  /** The HTTP endpoint published in the record, e.g. http://127.0.0.1:41234. */
  url: string
  node: Netget
  /** Withdraws the record, then closes the HTTP server. Idempotent. */
  close: () => Promise<void>
}

export interface CallOptions {
  registryNodes: string[]
  network?: string
  name: string
}

export interface Hello {
  hello: string
  peerId: string
}

/** Finds an instance of `name` through the registries and calls its `/hello`, at the URL its record announces. */
export async function callService ({ registryNodes, network, name }: CallOptions): Promise<Hello> {
  const client = new Netget({ registryNodes, network })
  try {
    // pick() prefers an instance the registries saw passing its health probes; NoInstanceError when there is none.
    const instance = await client.pick(name)
    // The record lists the libp2p multiaddrs first, then the endpoints the service announced.
    const base = instance.addresses.find(address => address.startsWith('http://'))
    if (base === undefined) throw new Error(`${name} instance ${instance.peerId} announces no http:// endpoint`)
    const response = await fetch(new URL('/hello', base), { signal: AbortSignal.timeout(5000) })
    if (!response.ok) throw new Error(`GET ${base}/hello answered ${response.status}`)
    return await response.json() as Hello
  } finally {
    await client.stop()
  }
}

/** Whether the module at `url` is the script node was started with (not imported, as the tests do). */
export function isMain (url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href
}

/** Resolves with the first SIGINT or SIGTERM; the handlers are removed then, so a second Ctrl-C kills as usual. */
function nextSignal (): Promise<NodeJS.Signals> {
  return new Promise(resolve => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}

/** `npx tsx examples/<framework>/service.ts --registry <multiaddr> …`: runs `start` until Ctrl-C or SIGTERM. */
export async function runService (start: (options: ServiceOptions) => Promise<RunningService>, script: string): Promise<void> {
  const { values } = parseArgs({
    options: { registry: { type: 'string', multiple: true }, network: { type: 'string' }, name: { type: 'string' }, port: { type: 'string' } }
  })
  if (values.registry === undefined) {
    console.error(`usage: npx tsx ${script} --registry <multiaddr> [--network <name>] [--name <service>] [--port <n>]`)
    process.exit(2)
  }
  // Installed before starting, so that a Ctrl-C during registration still ends in a clean stop.
  const signal = nextSignal()
  const service = await start({
    registryNodes: values.registry,
    network: values.network,
    name: values.name,
    port: values.port === undefined ? 0 : Number(values.port)
  })
  console.log(`listening ${service.url}`)
  console.log(`registered ${service.node.metadata.name} as ${service.node.peerId}`)
  console.log(`stopping (${await signal}): withdrawing the record`)
  await service.close()
  console.log('stopped')
}

/** `npx tsx examples/<framework>/client.ts --registry <multiaddr> …`: one call, its answer printed as JSON. */
export async function runClient (defaultName: string, script: string): Promise<void> {
  const { values } = parseArgs({ options: { registry: { type: 'string', multiple: true }, network: { type: 'string' }, name: { type: 'string' } } })
  if (values.registry === undefined) {
    console.error(`usage: npx tsx ${script} --registry <multiaddr> [--network <name>] [--name <service>]`)
    process.exit(2)
  }
  try {
    console.log(JSON.stringify(await callService({ registryNodes: values.registry, network: values.network, name: values.name ?? defaultName })))
  } catch (err) {
    // Nobody registered the name (or every instance is down): an expected answer, not a crash.
    if (!(err instanceof NoInstanceError)) throw err
    console.error(err.message)
    process.exitCode = 1
  }
}
