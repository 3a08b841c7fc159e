/**
 * Documentation that cannot drift from the code. A limit written in the specs or docs next to the name of its
 * constant — "128 bytes (`MAX_HEALTH_MESSAGE_BYTES`)", "12.5 s (`WATCH_SILENCE_MS`" — must equal that constant;
 * generated protobuf code must be what protons makes of its .proto today.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { promisify } from 'node:util'
import * as constants from '../src/constants.js'
import * as load from '../src/health/load.js'
import * as prober from '../src/health/prober.js'

const root = new URL('..', import.meta.url).pathname
const UNITS: Record<string, number> = { bytes: 1, byte: 1, KiB: 1024, MiB: 1024 * 1024, ms: 1, s: 1000, min: 60_000 }

/** Every exported UPPER_CASE number of the modules that hold limits. */
function numericConstants (): Map<string, number> {
  const out = new Map<string, number>()
  for (const module of [constants, load, prober]) {
    for (const [name, value] of Object.entries(module)) if (/^[A-Z][A-Z0-9_]+$/.test(name) && typeof value === 'number') out.set(name, value)
  }
  return out
}

async function documents (): Promise<Array<{ file: string, text: string }>> {
  const files = [
    ...(await readdir(join(root, 'protocols'))).filter(f => f.endsWith('.md')).map(f => `protocols/${f}`),
    ...(await readdir(join(root, 'docs'))).filter(f => f.endsWith('.md')).map(f => `docs/${f}`),
    'README.md'
  ]
  return Promise.all(files.map(async file => ({ file, text: await readFile(join(root, file), 'utf8') })))
}

describe('no drift between docs and code', () => {
  it('every limit written next to its constant\'s name equals the constant', async () => {
    const known = numericConstants()
    // A number (spaces as thousands separators, a decimal part), a unit, up to a few words, then (`NAME`.
    // The number is the last one before the name: no digit, parenthesis or line break between them.
    const pattern = /(?<![\d.])(\d[\d  ]*(?:\.\d+)?) ?(bytes|byte|KiB|MiB|ms|s|min)?\b[^(`\n\d]{0,24}\(`([A-Z][A-Z0-9_]+)`/g
    let checked = 0
    const wrong: string[] = []
    for (const { file, text } of await documents()) {
      for (const match of text.matchAll(pattern)) {
        const constant = known.get(match[3])
        // Error codes and environment variables are written the same way: only the constants are checked.
        if (constant === undefined) continue
        const unit = match[2] === undefined ? 1 : UNITS[match[2]]
        const documented = Number(match[1].replace(/[  ]/g, '')) * (match[3].endsWith('_MS') ? unit : unit === 1000 ? 1 : unit)
        checked++
        if (documented !== constant) wrong.push(`${file}: "${match[0]}" says ${documented}, ${match[3]} is ${constant}`)
      }
    }
    assert.deepEqual(wrong, [])
    assert.ok(checked >= 12, `only ${checked} documented limits found: the pattern no longer matches the docs`)
  })

  it('every file the docs name exists, and the module map of docs/architecture.md lists every module of src/', async () => {
    const missing: string[] = []
    // upstream.md names files of other projects (libp2p's src/…); a path inside another one (dist/src/…) is built.
    for (const { file, text } of (await documents()).filter(d => d.file !== 'docs/upstream.md')) {
      for (const match of text.matchAll(/(?<![\w./-])((?:src|test|scripts|bench|sim|protocols|examples)\/[\w./-]+\.(?:ts|mts|mjs|js|proto|md))\b/g)) {
        if (!await readFile(join(root, match[1])).then(() => true, () => false)) missing.push(`${file}: ${match[1]}`)
      }
    }
    for (const { file, text } of await documents()) {
      for (const match of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(match[1])) continue
        if (!await readFile(join(root, file, '..', match[1])).then(() => true, (err: NodeJS.ErrnoException) => err.code === 'EISDIR')) missing.push(`${file}: link to ${match[1]}`)
      }
    }
    assert.deepEqual(missing, [], 'files named or linked in the docs that are not in the repository')
    const architecture = await readFile(join(root, 'docs/architecture.md'), 'utf8')
    const modules = (await readdir(join(root, 'src'), { recursive: true })).filter(f => f.endsWith('.ts')).map(f => `src/${f}`)
    assert.deepEqual(modules.filter(m => !architecture.includes(`\`${m}\``)), [], 'modules missing from the module map in docs/architecture.md')
  })

  it('the generated protobuf code is what protons generates from the .proto files now', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'netget-protons-'))
    try {
      const protos = (await readdir(join(root, 'protocols'))).filter(f => f.endsWith('.proto'))
      assert.ok(protos.length >= 4)
      for (const proto of protos) await cp(join(root, 'protocols', proto), join(dir, proto))
      await promisify(execFile)(process.execPath, [join(root, 'node_modules/protons/dist/bin/protons.js'), ...protos.map(p => join(dir, p))], { timeout: 50_000 })
      for (const proto of protos) {
        const generated = proto.replace(/\.proto$/, '.ts')
        assert.equal(await readFile(join(root, 'protocols', generated), 'utf8'), await readFile(join(dir, generated), 'utf8'),
          `protocols/${generated} differs from what protons makes of protocols/${proto}: run npm run generate`)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
