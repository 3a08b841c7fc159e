/**
 * The installed `netget` starts from dist/netget.mjs, the CLI and its dependencies in one file (`npm run build`,
 * which `npm test` runs first): the bundle must hold every command, and bin/netget.js must run it.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Netget } from '../src/index.js'

const run = promisify(execFile)
const bundle = fileURLToPath(new URL('../dist/netget.mjs', import.meta.url))
const bin = fileURLToPath(new URL('../bin/netget.js', import.meta.url))

interface Cli { main: (argv: string[], io?: { out: (l: string) => void, err: (l: string) => void }) => Promise<number> }

/** Runs the bundle's CLI in this process, its output captured. */
async function inBundle (argv: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const cli = await import(bundle) as Cli
  const out: string[] = []
  const err: string[] = []
  const code = await cli.main(argv, { out: l => { out.push(l) }, err: l => { err.push(l) } })
  return { code, out, err }
}

describe('the bundled CLI (dist/netget.mjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netget-bundle-'))
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('exists after the build', () => {
    assert.ok(existsSync(bundle), 'dist/netget.mjs is missing: run `npm run build`')
  })

  it('lists every command, and keygen and id work from it', async () => {
    const help = await inBundle(['--help'])
    assert.equal(help.code, 0)
    for (const command of ['registry', 'service', 'discover', 'keygen', 'id', 'admit', 'psk']) assert.match(help.out.join('\n'), new RegExp(`\\n  ${command} `))
    const key = join(dir, 'node.key')
    const keygen = await inBundle(['keygen', '--out', key])
    assert.equal(keygen.code, 0, keygen.err.join('\n'))
    const id = await inBundle(['id', '--key', key])
    assert.equal(id.code, 0, id.err.join('\n'))
    assert.match(id.out.join('\n'), /12D3KooW/)
  })

  it('discovers through a real registry, from bin/netget.js in a process of its own', async () => {
    const registry = new Netget({ nodeType: 'registry' })
    const service = new Netget({ registryNodes: [], metadata: { name: 'Bundled' } })
    try {
      await registry.start()
      service.addRegistryNode(registry.getMultiaddrs()[0])
      await service.registerWithNetwork()
      const { stdout } = await run(process.execPath, [bin, 'discover', 'Bundled', '--registry', registry.getMultiaddrs()[0]], { timeout: 20_000 })
      assert.match(stdout, new RegExp(service.peerId))
    } finally {
      await service.stop()
      await registry.stop()
    }
  })
})
