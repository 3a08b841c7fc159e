// `npm run build`, second step: the CLI and every dependency bundled, which bin/netget.js starts from (6 to 9 files
// to read and compile instead of 275 to 629 modules to resolve and load). dist/netget.mjs is the entry: the command
// line, help, keygen, id, admit and psk. What src/cli loads lazily (the node and libp2p for registry, service and
// discover; the HTTP API, the DNS server, the metrics) goes into chunks in dist/netget-chunks/, read only by the
// commands that import them, so `netget --help` does not compile libp2p (docs/performance.md, "CLI start-up").
// No source map: the package ships no TypeScript sources to point at.
import { rm } from 'node:fs/promises'
import { build } from 'esbuild'

// Chunk names carry content hashes: the previous build's chunks would otherwise pile up.
await rm('dist/netget-chunks', { recursive: true, force: true })

await build({
  entryPoints: { netget: 'src/cli/main.ts' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'netget-chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minifySyntax: true,
  minifyWhitespace: true,
  // The dependencies' licence notices travel with the code they cover, at the end of each file.
  legalComments: 'eof',
  logLevel: 'warning',
  // LevelDB (a registry's --data-dir datastore) is a native addon that finds its binary next to its own files: it
  // is loaded from node_modules at run time, and only by a registry with a data dir.
  external: ['classic-level'],
  // CommonJS dependencies inside an ES module need `require` (for Node's built-in modules).
  banner: { js: "import { createRequire as __netgetRequire } from 'node:module'; const require = __netgetRequire(import.meta.url);" }
})
