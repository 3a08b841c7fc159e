#!/usr/bin/env node
// The CLI entry point. `npm run build` (run on `npm install`) writes dist/netget.mjs, the CLI and its dependencies
// bundled (the parts only some commands need in dist/netget-chunks/), which starts faster than the module tree
// (docs/performance.md, "CLI start-up"); the same code unbundled is dist/src/cli/main.js, used when the bundle is
// missing.
if (Number(process.versions.node.split('.')[0]) < 22) {
  process.stderr.write(`netget needs Node.js 22 or later; this is ${process.version}.\n`)
  process.exit(2)
}
const bundle = new URL('../dist/netget.mjs', import.meta.url)
let cli
try {
  cli = await import(bundle.href)
} catch (err) {
  // Only the bundle itself missing falls back; a missing chunk of a bundle that is there is an error to see.
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || err.url !== bundle.href) throw err
  cli = await import('../dist/src/cli/main.js')
}
process.exitCode = await cli.main(process.argv.slice(2))
