/**
 * `npm run check:status-page [-- --out FILE]`: the registry's status page (`/` of `netget registry --http`) loaded
 * in a real headless Chromium (Debian's `chromium`, `apt-get install chromium`), as an operator's browser would.
 * A registry and three service instances run in this process on 127.0.0.1; one instance's metadata carries HTML
 * and a script. Chromium renders the page twice: its DOM after load (--dump-dom), checked here, and a screenshot
 * (docs/status-page.png by default). Exit 0 when every check passes, 1 otherwise; every step is bounded.
 *
 * Not part of `npm test`: Chromium is a 100+ MB system package that a fresh clone does not have
 * (test/integration/http-api.test.ts checks the same page's HTML without a browser).
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { HttpApi } from '../src/http/api.js'
import { Netget } from '../src/index.js'

const run = promisify(execFile)
const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']
const CHROMIUM_TIMEOUT_MS = 30_000
const HOSTILE = '<script>document.title="forged"</script><b>bold</b>'

const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/status-page.png' }, chromium: { type: 'string', default: 'chromium' } } })

/** Chromium without the background traffic a closed machine refuses, and without the sandbox (root in containers). */
function chromiumArgs (profile: string): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--window-size=1280,900', '--hide-scrollbars']
}

const failures: string[] = []
function check (ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`)
  if (!ok) failures.push(what)
}

const registry = new Netget({ nodeType: 'registry', listen: LOOPBACK, healthInterval: 1000 })
const services: Netget[] = []
const api = new HttpApi({ node: registry, host: '127.0.0.1', port: 0 })
const profile = await mkdtemp(join(tmpdir(), 'netget-chromium-'))
try {
  await registry.start()
  const registryNodes = registry.getMultiaddrs()
  for (const [name, metadata] of [['DatabaseService', { version: '2.1.0', region: 'eu' }], ['DatabaseService', { version: '2.2.0', region: 'us' }], ['CacheService', { note: HOSTILE }]] as const) {
    const service = new Netget({ registryNodes, listen: LOOPBACK, metadata: { name, ...metadata }, announce: ['http://127.0.0.1:8080'] })
    services.push(service)
    await service.registerWithNetwork()
  }
  // The page shows each instance's health: wait (bounded) for the prober's first verdicts.
  const until = Date.now() + 10_000
  while (registry.listRecords().some(r => r.health?.status === undefined || r.health.status === 'unknown') && Date.now() < until) {
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const { port } = await api.start()
  const url = `http://127.0.0.1:${port}/`

  const { stdout: dom } = await run(values.chromium, [...chromiumArgs(profile), '--dump-dom', url], { timeout: CHROMIUM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 })
  check(dom.includes(`<title>netget ${registry.network}</title>`), 'the title is the registry\'s, not one a record\'s metadata wrote')
  check(dom.includes('DatabaseService (2)') && dom.includes('CacheService (1)'), 'both services are listed with their instance counts')
  check(services.every(s => dom.includes(s.peerId)), 'every instance\'s peer id is on the page')
  check(dom.includes(registry.peerId), 'the registry\'s own peer id is on the page')
  check(!dom.includes('<b>bold</b>') && dom.includes('&lt;b&gt;bold&lt;/b&gt;'), 'HTML from a record is shown as text, not rendered')
  check(!/<script/i.test(dom.replace(/&lt;script/gi, '')), 'no script element reached the page')
  check((dom.match(/class="passing"/g) ?? []).length === services.length, 'every instance shows the prober\'s verdict (passing)')

  await rm(values.out, { force: true })
  await run(values.chromium, [...chromiumArgs(profile), `--screenshot=${values.out}`, url], { timeout: CHROMIUM_TIMEOUT_MS })
  const png = await readFile(values.out)
  check(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) && png.readUInt32BE(16) === 1280, `a 1280-pixel-wide PNG screenshot in ${values.out} (${png.byteLength} bytes)`)
} catch (err) {
  const missing = (err as NodeJS.ErrnoException).code === 'ENOENT'
  failures.push(missing ? `${values.chromium} is not installed (Debian: apt-get install chromium)` : String((err as Error).message))
  console.error(failures.at(-1))
} finally {
  await api.stop()
  await Promise.all(services.map(async s => s.stop()))
  await registry.stop()
  await rm(profile, { recursive: true, force: true })
}
console.log(failures.length === 0 ? 'status page: every check passed in Chromium' : `status page: ${failures.length} check(s) failed`)
process.exitCode = failures.length === 0 ? 0 : 1
