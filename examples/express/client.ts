/**
 * Express example, client side: finds an instance of the service through netget and calls its HTTP endpoint,
 * read from the instance's record (the address it announced), not configured anywhere. The client needs no
 * Express: the same one (examples/shared.ts) calls either example.
 * Run by hand: npx tsx examples/express/client.ts --registry <multiaddr> [--network <name>] [--name <service>]
 */
import { isMain, runClient } from '../shared.js'

export { callService } from '../shared.js'

// The name service.ts registers by default.
if (isMain(import.meta.url)) await runClient('HelloExpress', 'examples/express/client.ts')
