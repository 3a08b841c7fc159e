/**
 * One HyperDHT node in its own process, built as hyperdht's testnet builds its nodes (ephemeral: false,
 * firewalled: false, on 127.0.0.1):
 *   node --import tsx bench/hyperdht-node-child.ts [<host:port of the first node>]
 * Without an argument it is the testnet's first node (the others bootstrap from it). Prints
 * `listening 127.0.0.1:<port>` once bootstrapped, runs until SIGTERM/SIGINT, then destroys the node and exits.
 * It also exits by itself if its parent goes away or after MAX_LIFETIME_MS, whatever happens.
 */
import DHT from 'hyperdht'

const MAX_LIFETIME_MS = 180_000
const bootstrapArg = process.argv[2]

const lifetime = setTimeout(() => {
  process.stderr.write('hyperdht-node-child: maximum lifetime reached\n')
  process.exit(3)
}, MAX_LIFETIME_MS)
lifetime.unref()
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.exit(4) // orphaned: the benchmark died without stopping it
}, 500).unref()

async function main (): Promise<void> {
  let bootstrap: Array<{ host: string, port: number }> = []
  if (bootstrapArg !== undefined) {
    const [host, port] = bootstrapArg.split(':')
    if (host !== '127.0.0.1') throw new Error('loopback bootstrap only')
    bootstrap = [{ host, port: Number(port) }]
  }
  const dht = new DHT({ ephemeral: false, firewalled: false, bootstrap, port: 0, host: '127.0.0.1' })
  const { promise: stopped, resolve } = Promise.withResolvers<void>()
  process.once('SIGTERM', () => { resolve() })
  process.once('SIGINT', () => { resolve() })
  try {
    await dht.fullyBootstrapped()
    const { host, port } = dht.address()
    process.stdout.write(`listening ${host}:${port}\n`)
    await stopped
  } finally {
    await dht.destroy()
  }
}

main().then(() => {
  clearTimeout(lifetime)
  setTimeout(() => process.exit(0), 50).unref()
}, err => {
  process.stderr.write(`hyperdht-node-child: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
