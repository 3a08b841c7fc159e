/**
 * The package as a user installs it: `import { Netget } from 'netget'` from another folder, with types.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)

describe('package', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netget-consumer-'))
    await mkdir(join(dir, 'node_modules'))
    await symlink(root, join(dir, 'node_modules', 'netget'), 'dir')
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('is importable by name from another folder, and works', async () => {
    await writeFile(join(dir, 'app.mjs'), `
      import { Netget, NoRegistryReachableError } from 'netget'
      const listen = ['/ip4/127.0.0.1/tcp/0']
      const registry = new Netget({ nodeType: 'registry', listen })
      await registry.start()
      const service = new Netget({ metadata: { name: 'DatabaseService' }, registryNodes: registry.getMultiaddrs(), listen })
      await service.registerWithNetwork()
      const found = await new Netget({ registryNodes: registry.getMultiaddrs(), listen }).discoverServiceNode('DatabaseService')
      console.log(JSON.stringify({ found: found.map(f => f.peerId), expected: service.peerId, error: new NoRegistryReachableError().code }))
      await service.stop()
      await registry.stop()
      process.exit(0)
    `)
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: dir, timeout: 30_000 })
    const result = JSON.parse(stdout)
    assert.deepEqual(result.found, [result.expected])
    assert.equal(result.error, 'NETGET_ERR_NO_REGISTRY_REACHABLE')
  })

  it('ships type declarations that a TypeScript consumer can use', async () => {
    await writeFile(join(dir, 'app.ts'), `
      import { Netget, type ServiceInstance, type NetgetOptions } from 'netget'
      const options: NetgetOptions = { metadata: { name: 'DatabaseService' }, network: 'development' }
      const node = new Netget(options)
      export async function find (): Promise<ServiceInstance[]> { return node.discoverServiceNode('DatabaseService') }
    `)
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2024', strict: true, noEmit: true, skipLibCheck: true, types: [] },
      files: ['app.ts']
    }))
    await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir, timeout: 60_000 })
  })

  it('ships source maps that carry their sources (the TypeScript files are not in the package)', async () => {
    const maps = (await readdir(join(root, 'dist'), { recursive: true })).filter(f => f.endsWith('.js.map'))
    assert.ok(maps.length > 20, `${maps.length} source maps`)
    for (const file of maps) {
      const map = JSON.parse(await readFile(join(root, 'dist', file), 'utf8')) as { sources: string[], sourcesContent?: Array<string | null> }
      assert.equal(map.sourcesContent?.length, map.sources.length, `dist/${file} points at sources it does not carry`)
      assert.ok(map.sourcesContent.every(c => typeof c === 'string' && c.length > 0), `dist/${file} has an empty source`)
    }
  })
})
