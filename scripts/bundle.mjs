// `npm run build`, second step: the CLI and every dependency in one file, dist/netget.mjs, which bin/netget.js
// starts from (one file to read and compile instead of ~900 modules to resolve and load). No source map: the
// package ships no TypeScript sources to point at.
import { build } from 'esbuild'

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/netget.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  minifySyntax: true,
  minifyWhitespace: true,
  // The dependencies' licence notices travel with the code they cover, at the end of the file.
  legalComments: 'eof',
  logLevel: 'warning',
  // CommonJS dependencies inside an ES module need `require` (for Node's built-in modules).
  banner: { js: "import { createRequire as __netgetRequire } from 'node:module'; const require = __netgetRequire(import.meta.url);" }
})
