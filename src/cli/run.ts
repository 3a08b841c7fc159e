/**
 * Runs the CLI from source (`node --import tsx src/cli/run.ts <command> …`), with no build:
 * what the demo and the tests spawn. The installed `netget` binary is bin/netget.js, on dist/.
 */
import { main } from './main.js'

process.exitCode = await main(process.argv.slice(2))
