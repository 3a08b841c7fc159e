/**
 * The installed `netget` starts from dist/netget.mjs, the CLI and its dependencies bundled, with the parts only some
 * commands load in dist/netget-chunks/ (`npm run build`, which `npm test` runs first; nothing here builds): the
 * bundle must hold every command, bin/netget.js must run it, and the package must ship it.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Netget } from '../src/index.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))
const bundle = join(root, 'dist', 'netget.mjs')
const chunks = join(root, 'dist', 'netget-chunks')
const bin = join(root, 'bin', 'netget.js')
/** A cold Node start on a loaded CI machine; the bundle's commands take ~0.1 s here. */
const TIMEOUT_MS = 20_000
const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/

interface Cli { main: (argv: string[], io?: { out: (l: string) => void, err: (l: string) => void }) => Promise<number> }

/** Runs the bundle's CLI in this process, its output captured. */
async function inBundle (argv: string[]): Promise<{ code: number, out: string[], err: string[] }> {
  const cli = await import(bundle) as Cli
  const out: string[] = []
  const err: string[] = []
  const code = await cli.main(argv, { out: l => { out.push(l) }, err: l => { err.push(l) } })
  return { code, out, err }
}

/** `node <script> …args` in a child process of its own; exit code and output. */
async function runNode (script: string, args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { timeout: TIMEOUT_MS })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: unknown, stdout?: string, stderr?: string }
    if (typeof e.code !== 'number') throw err
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

describe('the bundled CLI (dist/netget.mjs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netget-bundle-'))
  after(() => { rmSync(dir, { recursive: true, force: true }) })

  it('exists after the build', () => {
    assert.ok(existsSync(bundle), 'dist/netget.mjs is missing: run `npm run build`')
    assert.ok(existsSync(chunks) && readdirSync(chunks).length > 0, 'dist/netget-chunks/ is missing: run `npm run build`')
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

  it('bin/netget.js runs --help, keygen and id in a process of its own', async () => {
    const help = await runNode(bin, ['--help'])
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /^Usage: netget <command> \[options\]/)
    const key = join(dir, 'bin.key')
    const keygen = await runNode(bin, ['keygen', '--out', key])
    assert.equal(keygen.code, 0, keygen.stderr)
    const id = await runNode(bin, ['id', '--key', key])
    assert.equal(id.code, 0, id.stderr)
    assert.match(id.stdout.trim(), PEER_ID)
  })

  it('is self-contained: bin/netget.js and the bundle alone, with no dist/src and no node_modules, run the commands', async () => {
    // Nothing else is there to fall back on or resolve a dependency from, so this passes only through the bundle.
    const copy = join(dir, 'alone')
    mkdirSync(join(copy, 'bin'), { recursive: true })
    cpSync(bin, join(copy, 'bin', 'netget.js'))
    cpSync(bundle, join(copy, 'dist', 'netget.mjs'))
    cpSync(chunks, join(copy, 'dist', 'netget-chunks'), { recursive: true })
    const copiedBin = join(copy, 'bin', 'netget.js')
    const help = await runNode(copiedBin, ['--help'])
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /^Usage: netget <command> \[options\]/)
    const key = join(dir, 'alone.key')
    assert.equal((await runNode(copiedBin, ['keygen', '--out', key])).code, 0)
    const id = await runNode(copiedBin, ['id', '--key', key])
    assert.equal(id.code, 0, id.stderr)
    assert.match(id.stdout.trim(), PEER_ID)
    // `discover` loads the libp2p chunk: with no registry listening on a closed port it fails (exit 1) after
    // starting its node, not with a module missing.
    const discover = await runNode(copiedBin, ['discover', 'Nothing', '--timeout', '1000', '--registry', `/ip4/127.0.0.1/tcp/9/p2p/${id.stdout.trim()}`])
    assert.equal(discover.code, 1, discover.stderr)
    assert.doesNotMatch(discover.stderr, /ERR_MODULE_NOT_FOUND|Cannot find/)
    assert.match(discover.stderr, /No registry answered/)
  })

  it('bin/netget.js falls back to dist/src when the bundle is missing', async () => {
    const copy = join(dir, 'tree')
    mkdirSync(join(copy, 'bin'), { recursive: true })
    mkdirSync(join(copy, 'dist'))
    cpSync(bin, join(copy, 'bin', 'netget.js'))
    // Node resolves the link to the real dist/src, whose dependencies are in this checkout's node_modules.
    symlinkSync(join(root, 'dist', 'src'), join(copy, 'dist', 'src'), 'dir')
    const help = await runNode(join(copy, 'bin', 'netget.js'), ['--help'])
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /^Usage: netget <command> \[options\]/)
  })

  it('ships in the package: bin/netget.js, dist/netget.mjs and every chunk', async () => {
    // --ignore-scripts: `npm pack` would otherwise run `prepare`, a build.
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, timeout: TIMEOUT_MS })
    const files = new Set((JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map(f => f.path))
    for (const file of ['bin/netget.js', 'dist/netget.mjs', ...readdirSync(chunks).map(c => `dist/netget-chunks/${c}`)]) {
      assert.ok(files.has(file), `${file} is not in the package (package.json "files")`)
    }
  })

  it('discovers through a real registry, from bin/netget.js in a process of its own', async () => {
    const registry = new Netget({ nodeType: 'registry' })
    const service = new Netget({ registryNodes: [], metadata: { name: 'Bundled' } })
    try {
      await registry.start()
      service.addRegistryNode(registry.getMultiaddrs()[0])
      await service.registerWithNetwork()
      const { stdout } = await run(process.execPath, [bin, 'discover', 'Bundled', '--registry', registry.getMultiaddrs()[0]], { timeout: TIMEOUT_MS })
      assert.match(stdout, new RegExp(service.peerId))
    } finally {
      await service.stop()
      await registry.stop()
    }
  })
})
