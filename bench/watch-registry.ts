/** Child process of bench/watch.ts: one registry with the library's defaults; prints `listening <multiaddr>`. */
import { Netget } from '../src/index.js'

const registry = new Netget({ nodeType: 'registry' })
await registry.start()
process.stdout.write(`listening ${registry.getMultiaddrs()[0]}\n`)
process.on('SIGTERM', () => { void registry.stop().then(() => process.exit(0)) })
