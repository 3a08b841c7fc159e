/**
 * The CLI as users run it: a child process per command (src/cli/run.ts through tsx), on 127.0.0.1 only.
 * Also runs the `npm start` demo end to end.
 */
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { CliChild, runCli } from '../scripts/lib/cli-child.js'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const NETWORK = 'cli-test'
/** Cold start of Node + tsx + libp2p in a child, on a loaded CI machine. */
const READY_TIMEOUT_MS = 20_000
const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/

const spawned = new Set<CliChild>()
let tempDir: string

function startCli (label: string, args: string[]): CliChild {
  const child = new CliChild(label, args)
  spawned.add(child)
  return child
}

before(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'netget-cli-test-'))
})

after(async () => {
  for (const child of spawned) child.killNow()
  await rm(tempDir, { recursive: true, force: true })
})

describe('usage', () => {
  test('--help exits 0 and prints usage, for netget and each command', async () => {
    const invocations = [['--help'], ['help'], ['help', 'discover'], ...['registry', 'service', 'discover', 'keygen', 'id'].map(c => [c, '--help'])]
    const results = await Promise.all(invocations.map(async args => runCli(args)))
    results.forEach((result, i) => {
      assert.equal(result.code, 0, `${invocations[i].join(' ')}: ${result.stderr}`)
      assert.match(result.stdout, /^Usage: netget/, invocations[i].join(' '))
    })
  })

  test('an unknown flag exits 2 with a message and a hint', async () => {
    const result = await runCli(['discover', 'DatabaseService', '--bogus'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /netget discover: Unknown option '--bogus'/)
    assert.match(result.stderr, /netget discover --help/)
  })

  test('an unknown command, a missing argument or a bad value exits 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [[], /^Usage: netget/],
      [['discover', '--registry', '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWEYxYnvohubA7TqzfDQ1jyfvYkDoGwx7wjhXcQoK1QaEv'], /missing the service name/],
      [['service', '--name', 'DatabaseService'], /missing required --registry/],
      [['discover', 'X', '--registry', '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWEYxYnvohubA7TqzfDQ1jyfvYkDoGwx7wjhXcQoK1QaEv', '--timeout', 'soon'], /--timeout expects a positive whole number/],
      [['service', '--name', 'A', '--registry', '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWEYxYnvohubA7TqzfDQ1jyfvYkDoGwx7wjhXcQoK1QaEv', '--meta', 'novalue'], /--meta expects key=value/],
      [['keygen'], /missing required --out/]
    ]
    const results = await Promise.all(cases.map(async ([args]) => runCli(args)))
    results.forEach((result, i) => {
      assert.equal(result.code, 2, `${cases[i][0].join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, cases[i][1])
    })
  })

  test('a registry multiaddr without /p2p/ exits 2', async () => {
    const results = await Promise.all([
      runCli(['discover', 'DatabaseService', '--registry', '/ip4/127.0.0.1/tcp/4001']),
      runCli(['registry', '--listen', LOOPBACK, '--registry', '/ip4/127.0.0.1/tcp/4001'])
    ])
    for (const result of results) {
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, /invalid --registry: .*must end in \/p2p\/<peerId>/)
    }
  })
})

describe('keys', () => {
  test('keygen writes a 0600 key file, prints its public key, and refuses to overwrite it', async () => {
    const keyPath = join(tempDir, 'service.key')
    const result = await runCli(['keygen', '--out', keyPath])
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.split('\n')
    assert.equal(lines.length, 1)
    assert.match(lines[0], /^z[1-9A-HJ-NP-Za-km-z]+$/)
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600)
    const written = await readFile(keyPath, 'utf8')
    assert.equal(JSON.parse(written).publicKey, lines[0])

    const again = await runCli(['keygen', '--out', keyPath])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already exists; refusing to overwrite/)
    assert.equal(await readFile(keyPath, 'utf8'), written)
  })

  test('id --key prints the peer id recorded in the key file', async () => {
    const keyPath = join(tempDir, 'id.key')
    assert.equal((await runCli(['keygen', '--out', keyPath])).code, 0)
    const result = await runCli(['id', '--key', keyPath])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, PEER_ID)
    assert.equal(result.stdout, JSON.parse(await readFile(keyPath, 'utf8')).peerId)
  })

  test('id with a missing key file exits 1 with the reason', async () => {
    const result = await runCli(['id', '--key', join(tempDir, 'absent.key')])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /cannot read key file .*absent\.key/)
  })
})

describe('a registry on loopback', () => {
  let registry: CliChild
  let address: string

  before(async () => {
    registry = startCli('registry', ['registry', '--network', NETWORK, '--listen', LOOPBACK])
    address = (await registry.waitForLine(/^listening (\S+)$/, READY_TIMEOUT_MS))[1]
  })

  test('prints its dialable multiaddr, ending in its peer id', () => {
    assert.match(address, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW\w+$/)
  })

  test('discover --json of an unknown service prints [] and exits 0', async () => {
    const result = await runCli(['discover', 'NoSuchService', '--network', NETWORK, '--registry', address, '--json'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), [])
  })

  test('a service registers, discover finds its peer id, and it is gone once stopped', async () => {
    const service = startCli('service', ['service', '--name', 'DatabaseService', '--network', NETWORK, '--registry', address,
      '--listen', LOOPBACK, '--meta', 'version=1.2', '--announce', 'http://127.0.0.1:8080'])
    try {
      const [, peerId] = await service.waitForLine(/registered DatabaseService as (\S+)/, READY_TIMEOUT_MS)
      assert.match(peerId, PEER_ID)

      const found = await runCli(['discover', 'DatabaseService', '--network', NETWORK, '--registry', address, '--json'])
      assert.equal(found.code, 0, found.stderr)
      const instances = JSON.parse(found.stdout)
      assert.deepEqual(instances.map((i: { peerId: string }) => i.peerId), [peerId])
      assert.equal(instances[0].metadata.version, '1.2')
      assert.ok(instances[0].addresses.includes('http://127.0.0.1:8080'))
      assert.match(instances[0].sequence, /^\d+$/, 'a bigint sequence is printed as a string')

      const table = await runCli(['discover', 'DatabaseService', '--network', NETWORK, '--registry', address])
      assert.equal(table.code, 0, table.stderr)
      assert.match(table.stdout, /1 instance of DatabaseService/)
      assert.ok(table.stdout.includes(peerId))

      const stopped = await service.stop()
      assert.deepEqual([stopped.code, stopped.killed], [0, false], service.stderrTail())
      assert.match(service.stdout(), /withdrawn\s+from 1 registries/)
      const afterStop = await runCli(['discover', 'DatabaseService', '--network', NETWORK, '--registry', address, '--json'])
      assert.deepEqual(JSON.parse(afterStop.stdout), [])
    } finally {
      service.killNow()
    }
  })

  test('logs registrations', async () => {
    // The previous test registered and withdrew a record: the registry logged the store.
    await registry.waitForLine(/record stored\s+DatabaseService 12D3KooW/, 5000)
  })

  test('exits 0 on SIGTERM', async () => {
    const status = await registry.stop()
    assert.deepEqual([status.code, status.killed], [0, false], registry.stderrTail())
    assert.match(registry.stdout(), /stopping \(SIGTERM\)/)
  })
})

test('registry --json-logs prints one JSON object per line', async () => {
  const registry = startCli('registry --json-logs', ['registry', '--network', NETWORK, '--listen', LOOPBACK, '--json-logs'])
  try {
    const [line] = await registry.waitForLine(/^\{.*"event":"started".*\}$/, READY_TIMEOUT_MS)
    const started = JSON.parse(line)
    assert.match(started.peerId, PEER_ID)
    assert.match(started.multiaddrs[0], /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    assert.equal(started.identity, 'ephemeral')
    const status = await registry.stop()
    assert.equal(status.code, 0)
    for (const logLine of registry.stdoutLines) assert.equal(typeof JSON.parse(logLine).time, 'string')
  } finally {
    registry.killNow()
  }
})

test('discover exits 1 with a clear message when no registry answers', async () => {
  // A valid registry address where nothing listens (port 9 is discard; nothing runs there on a test machine).
  const nowhere = '/ip4/127.0.0.1/tcp/9/p2p/12D3KooWEYxYnvohubA7TqzfDQ1jyfvYkDoGwx7wjhXcQoK1QaEv'
  const result = await runCli(['discover', 'DatabaseService', '--network', NETWORK, '--registry', nowhere, '--timeout', '2000'])
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stderr, /netget discover: .*(registry|2000 ms)/)
  assert.match(result.stderr, /Hint: check that the --registry multiaddrs/)
})

test('npm start: the demo runs a local network end to end and exits 0', { timeout: 90_000 }, async () => {
  const result = await runCli([], 60_000, 'scripts/demo.ts')
  assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`)
  assert.match(result.stdout, /DatabaseService: 3 instances found[\s\S]*CacheService: 2 instances found[\s\S]*DatabaseService: 2 instances found/)
  assert.match(result.stdout, /all processes stopped/)
})
