#!/usr/bin/env node
// The CLI entry point; the code lives in src/cli (built to dist/ by `npm run build`, run on `npm install`).
import { main } from '../dist/src/cli/main.js'

process.exitCode = await main(process.argv.slice(2))
