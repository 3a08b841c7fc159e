/**
 * Fastify example, client side: finds an instance of the service through netget and calls its HTTP endpoint,
 * read from the instance's record (the address it announced), not configured anywhere.
 * Run by hand: npx tsx examples/fastify/client.ts --registry <multiaddr> [--network <name>] [--name <service>]
 */
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { Netget, NoInstanceError } from '../../src/index.js'

export interface CallOptions {
  registryNodes: string[]
  network?: string
  name: string
}

export interface Hello {
  hello: string
  peerId: string
}

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

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      registry: { type: 'string', multiple: true },
      network: { type: 'string' },
      name: { type: 'string' }
    }
  })
  if (values.registry === undefined) {
    console.error('usage: npx tsx examples/fastify/client.ts --registry <multiaddr> [--network <name>] [--name <service>]')
    process.exit(2)
  }
  // The client needs no Fastify: this default only repeats the name service.ts registers by default.
  const name = values.name ?? 'HelloFastify'
  try {
    console.log(JSON.stringify(await callService({ registryNodes: values.registry, network: values.network, name })))
  } catch (err) {
    // Nobody registered the name (or every instance is down): an expected answer, not a crash.
    if (!(err instanceof NoInstanceError)) throw err
    console.error(err.message)
    process.exitCode = 1
  }
}
