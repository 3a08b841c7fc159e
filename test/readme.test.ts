/**
 * The README's library examples run, as the README says: its TypeScript blocks in order, as one file, against
 * the built package (imported by its name, `netget`, through the package's self-reference).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)

describe('README', () => {
  it('its library examples run and print what the comments say', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1])
    assert.ok(blocks.length >= 5, `found ${blocks.length} ts blocks`)
    const file = `${root}test/.readme-examples.ts`
    await writeFile(file, blocks.join('\n'))
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file], { cwd: root, timeout: 60_000 })
      // Lines the README's comments promise.
      assert.match(stdout, /registered 12D3KooW\S+, stored by 1 registries/)
      assert.match(stdout, /1\.1\.0 true/)
      assert.match(stdout, /withdrawn from 1 registries/)
      assert.match(stdout, /^(unknown|passing)$/m)
      assert.match(stdout, /^up 2\.1\.0$/m)
      assert.match(stdout, /NETGET_ERR_INVALID_OPTION/)
      assert.match(stdout, /NETGET_ERR_NO_REGISTRY_REACHABLE/)
    } finally {
      await rm(file, { force: true })
    }
  })
})
