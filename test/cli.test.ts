/**
 * The CLI as users run it: a child process per command (src/cli/run.ts through tsx), on 127.0.0.1 only.
 * Also runs the `npm start` demo end to end.
 */
import assert from 'node:assert/strict'
import { access, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { CliChild, runCli } from '../scripts/lib/cli-child.js'
import { main } from '../src/cli/main.js'
import { createEventLog, logRegistryEvents } from '../src/cli/node-events.js'
import { NoRegistryReachableError } from '../src/errors.js'
import { Netget } from '../src/netget.js'
import { describeCertificate, loadCertificate } from '../src/security/admission.js'
import { loadPsk } from '../src/security/psk.js'
import type { RunResult, SpawnCliOptions } from '../scripts/lib/cli-child.js'

const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
const NETWORK = 'cli-test'
/** Cold start of Node + tsx + libp2p in a child, on a loaded CI machine. */
const READY_TIMEOUT_MS = 20_000
const PEER_ID = /^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/
const DAY_MS = 24 * 60 * 60 * 1000
/** A valid peer id nothing runs as, for command lines that must fail before dialling. */
const SOME_PEER = '12D3KooWEYxYnvohubA7TqzfDQ1jyfvYkDoGwx7wjhXcQoK1QaEv'

const spawned = new Set<CliChild>()
let tempDir: string

function startCli (label: string, args: string[], options: SpawnCliOptions = {}): CliChild {
  const child = new CliChild(label, args, options)
  spawned.add(child)
  return child
}

before(async () => {
  tempDir = await mkdtemp(join(tmpdir(), 'netget-cli-test-'))
})

/** The CLI in this process: main() with captured output, as runCli() reports a child's. */
async function runInProcess (args: string[]): Promise<RunResult> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(args, { out: line => { out.push(line) }, err: line => { err.push(line) }, env: {} })
  return { code, signal: null, stdout: out.join('\n'), stderr: err.join('\n') }
}

async function exists (path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

function assertExit (result: RunResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what}: exit ${result.code}\n${result.stdout}\n${result.stderr}`)
}

/** `netget keygen` then `netget id`: a key file, its printed public key and its peer id. */
async function newIdentity (name: string): Promise<{ key: string, publicKey: string, peerId: string }> {
  const key = join(tempDir, `${name}.key`)
  const generated = await runInProcess(['keygen', '--out', key])
  assertExit(generated, 0, `keygen ${name}`)
  const id = await runInProcess(['id', '--key', key])
  assertExit(id, 0, `id ${name}`)
  return { key, publicKey: generated.stdout.trim(), peerId: id.stdout.trim() }
}

/** `netget admit` with the authority key file; returns the certificate's path. */
async function admit (authorityKey: string, name: string, args: string[]): Promise<string> {
  const out = join(tempDir, `${name}.cert`)
  const result = await runInProcess(['admit', '--authority-key', authorityKey, ...args, '--out', out])
  assertExit(result, 0, `admit ${name}`)
  return out
}

after(async () => {
  for (const child of spawned) child.killNow()
  await rm(tempDir, { recursive: true, force: true })
})

// In-process through main(argv, io): every case here ends before a node would start, so it needs no child
// process (the bundle tests run the same commands from bin/netget.js in processes of their own).
describe('usage', () => {
  test('--help exits 0 and prints usage, for netget and each command', async () => {
    const invocations = [['--help'], ['help'], ['help', 'discover'], ...['registry', 'service', 'discover', 'keygen', 'id', 'admit', 'psk'].map(c => [c, '--help'])]
    const results = await Promise.all(invocations.map(async args => runInProcess(args)))
    results.forEach((result, i) => {
      assert.equal(result.code, 0, `${invocations[i].join(' ')}: ${result.stderr}`)
      assert.match(result.stdout, /^Usage: netget/, invocations[i].join(' '))
    })
    assert.match(results[0].stdout, /^ {2}admit {3}/m)
    assert.match(results[0].stdout, /^ {2}psk {5}/m)
    for (const command of ['registry', 'service', 'discover']) {
      const usage = results[invocations.findIndex(args => args[0] === command)].stdout
      for (const flag of ['--authority <key>', '--admission <file>', '--psk <file>']) assert.ok(usage.includes(flag), `${command} --help documents ${flag}`)
    }
  })

  test('an unknown flag exits 2 with a message and a hint', async () => {
    const result = await runInProcess(['discover', 'DatabaseService', '--bogus'])
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
      [['keygen'], /missing required --out/],
      [['psk'], /missing required --out/],
      [['discover', 'X', '--registry', `/ip4/127.0.0.1/tcp/4001/p2p/${SOME_PEER}`, '--authority', 'zNotAKey', '--admission', 'client.cert', '--key', 'client.key'],
        /invalid --authority: not a netget public key/],
      [['discover', 'X', '--registry', `/ip4/127.0.0.1/tcp/4001/p2p/${SOME_PEER}`, '--psk', ''], /invalid --psk: /],
      [['registry', '--listen', LOOPBACK, '--authority', 'zAny'], /--authority .*needs .*--admission/],
      [['service', '--name', 'A', '--registry', `/ip4/127.0.0.1/tcp/4001/p2p/${SOME_PEER}`, '--authority', 'zAny', '--cert', 'a.cert'], /give that node's identity with --key/]
    ]
    const results = await Promise.all(cases.map(async ([args]) => runInProcess(args)))
    results.forEach((result, i) => {
      assert.equal(result.code, 2, `${cases[i][0].join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, cases[i][1])
    })
  })

  test('a registry multiaddr without /p2p/ exits 2', async () => {
    const results = await Promise.all([
      runInProcess(['discover', 'DatabaseService', '--registry', '/ip4/127.0.0.1/tcp/4001']),
      runInProcess(['registry', '--listen', LOOPBACK, '--registry', '/ip4/127.0.0.1/tcp/4001'])
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
    const result = await runInProcess(['keygen', '--out', keyPath])
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.split('\n')
    assert.equal(lines.length, 1)
    assert.match(lines[0], /^z[1-9A-HJ-NP-Za-km-z]+$/)
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600)
    const written = await readFile(keyPath, 'utf8')
    assert.equal(JSON.parse(written).publicKey, lines[0])

    const again = await runInProcess(['keygen', '--out', keyPath])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /already exists; refusing to overwrite/)
    assert.equal(await readFile(keyPath, 'utf8'), written)
  })

  test('id --key prints the peer id recorded in the key file', async () => {
    const keyPath = join(tempDir, 'id.key')
    assert.equal((await runInProcess(['keygen', '--out', keyPath])).code, 0)
    const result = await runInProcess(['id', '--key', keyPath])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, PEER_ID)
    assert.equal(result.stdout, JSON.parse(await readFile(keyPath, 'utf8')).peerId)
  })

  test('id with a missing key file exits 1 with the reason', async () => {
    const result = await runInProcess(['id', '--key', join(tempDir, 'absent.key')])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /cannot read key file .*absent\.key/)
  })
})

describe('admit and psk', () => {
  let authority: { key: string, publicKey: string, peerId: string }

  before(async () => {
    authority = await newIdentity('authority-unit')
  })

  test('admit writes a 0600 base64 certificate that says what was asked, and refuses to overwrite it', async () => {
    const out = join(tempDir, 'unit-service.cert')
    const subject = SOME_PEER
    const args = ['admit', '--authority-key', authority.key, '--peer', subject, '--role', 'service',
      '--service', 'Database*', '--service', 'CacheService', '--days', '2', '--network', 'cli-closed', '--out', out]
    const startedAt = Date.now()
    const result = await runInProcess(args)
    assertExit(result, 0, 'admit')
    assert.equal(result.stdout.split('\n').length, 1, 'a one-line summary')
    for (const part of [subject, 'role service', 'Database*,CacheService', 'network cli-closed', '(2 days)', `authority ${authority.publicKey}`]) {
      assert.ok(result.stdout.includes(part), `summary mentions ${part}: ${result.stdout}`)
    }
    assert.equal((await stat(out)).mode & 0o777, 0o600)
    const text = await readFile(out, 'utf8')
    assert.match(text, /^[A-Za-z0-9+/]+=*\n$/)
    const certificate = describeCertificate(await loadCertificate(out))
    assert.equal(certificate.subject, subject)
    assert.equal(certificate.role, 'service')
    assert.deepEqual(certificate.services, ['Database*', 'CacheService'])
    assert.equal(certificate.network, 'cli-closed')
    assert.equal(certificate.notAfter - certificate.notBefore, 2 * DAY_MS)
    assert.ok(certificate.notBefore >= startedAt - 1000 && certificate.notBefore <= Date.now(), 'valid from now')

    const again = await runInProcess(args)
    assertExit(again, 1, 'admit over an existing file')
    assert.match(again.stderr, /already exists; refusing to overwrite/)
    assert.equal(await readFile(out, 'utf8'), text)
  })

  test('admit with a bad --days, no --role, a --peer that is no peer id or a bad --service exits 2 and writes nothing', async () => {
    const out = join(tempDir, 'never.cert')
    const base = ['admit', '--authority-key', authority.key, '--out', out]
    const cases: Array<[string[], RegExp]> = [
      [['--peer', SOME_PEER, '--role', 'client', '--days', '0'], /--days expects a positive number/],
      [['--peer', SOME_PEER, '--role', 'client', '--days', '733'], /--days expects a positive number of days, at most 732/],
      [['--peer', SOME_PEER], /missing required --role/],
      [['--peer', 'not-a-peer-id', '--role', 'client'], /--peer expects a peer id/],
      [['--peer', SOME_PEER, '--role', 'service'], /--role service needs at least one --service/],
      [['--peer', SOME_PEER, '--role', 'service', '--service', 'Data*base'], /--service expects a name or a prefix ending in '\*'/],
      [['--peer', SOME_PEER, '--role', 'registry', '--network', 'no spaces'], /invalid --network/]
    ]
    const results = await Promise.all(cases.map(async ([args]) => runInProcess([...base, ...args])))
    results.forEach((result, i) => {
      assertExit(result, 2, cases[i][0].join(' '))
      assert.match(result.stderr, cases[i][1])
      assert.match(result.stderr, /netget admit --help/)
    })
    assert.equal(await exists(out), false)
  })

  test('psk writes a 0600 key file that loadPsk accepts, prints its path, and refuses to overwrite it', async () => {
    const out = join(tempDir, 'unit.psk')
    const result = await runInProcess(['psk', '--out', out])
    assertExit(result, 0, 'psk')
    assert.equal(result.stdout, out)
    assert.equal((await stat(out)).mode & 0o777, 0o600)
    const written = await readFile(out)
    await loadPsk(out)
    const again = await runInProcess(['psk', '--out', out])
    assertExit(again, 1, 'psk over an existing file')
    assert.match(again.stderr, /already exists; refusing to overwrite/)
    assert.deepEqual(await readFile(out), written)
  })
})

test('registry logs peer:refused and record:limited, readable and as JSON', () => {
  for (const json of [false, true]) {
    const lines: string[] = []
    const node = new Netget({ nodeType: 'registry' })
    logRegistryEvents(node, createEventLog({ out: line => { lines.push(line) }, err: () => {} }, json))
    node.safeDispatchEvent('peer:refused', { detail: { peerId: SOME_PEER, code: 'NETGET_ERR_ADMISSION_MISSING', message: 'no certificate' } })
    node.safeDispatchEvent('record:limited', { detail: { from: SOME_PEER, code: 'NETGET_ERR_RATE_LIMITED', message: 'too fast' } })
    if (json) {
      const [refused, limited] = lines.map(line => JSON.parse(line))
      assert.deepEqual({ ...refused, time: undefined }, { time: undefined, level: 'warn', event: 'peer:refused', peerId: SOME_PEER, code: 'NETGET_ERR_ADMISSION_MISSING', message: 'no certificate' })
      assert.deepEqual({ ...limited, time: undefined }, { time: undefined, level: 'warn', event: 'record:limited', from: SOME_PEER, code: 'NETGET_ERR_RATE_LIMITED', message: 'too fast' })
    } else {
      assert.match(lines[0], new RegExp(`^\\S+ WARN  peer refused\\s+${SOME_PEER}: NETGET_ERR_ADMISSION_MISSING: no certificate$`))
      assert.match(lines[1], new RegExp(`^\\S+ WARN  record limited\\s+from ${SOME_PEER}: NETGET_ERR_RATE_LIMITED: too fast$`))
    }
  }
})

test('registry logs an error with its code and causes, readable and as JSON', () => {
  for (const json of [false, true]) {
    const lines: string[] = []
    const node = new Netget({ nodeType: 'registry' })
    logRegistryEvents(node, createEventLog({ out: line => { lines.push(line) }, err: () => {} }, json))
    const err = new NoRegistryReachableError('None of the 2 configured registries answered', { cause: new Error('dial timed out', { cause: new Error('ECONNREFUSED') }) })
    node.safeDispatchEvent('error', { detail: err })
    if (json) {
      assert.deepEqual({ ...JSON.parse(lines[0]), time: undefined }, {
        time: undefined, level: 'error', event: 'error', code: 'NETGET_ERR_NO_REGISTRY_REACHABLE',
        message: 'None of the 2 configured registries answered', causes: ['dial timed out', 'ECONNREFUSED']
      })
    } else {
      assert.match(lines[0], /^\S+ ERROR error\s+NETGET_ERR_NO_REGISTRY_REACHABLE: None of the 2 configured registries answered \(cause: dial timed out\) \(cause: ECONNREFUSED\)$/)
    }
  }
})

test('the text event log escapes what came from the network: a peer cannot end a line, forge one, or send terminal escapes', () => {
  const lines: string[] = []
  const node = new Netget({ nodeType: 'registry' })
  logRegistryEvents(node, createEventLog({ out: line => { lines.push(line) }, err: () => {} }, false))
  const forged = 'bad\n2026-01-01T00:00:00.000Z INFO  record stored      Forged 12D3KooWforged\u001b[2J\r\u2028'
  node.safeDispatchEvent('record:rejected', { detail: { from: SOME_PEER, code: 'NETGET_ERR_RECORD_WRONG_NETWORK', message: `network ${forged}` } })
  assert.equal(lines.length, 1)
  assert.equal(lines[0].split('\n').length, 1, 'one line')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none is left.
  assert.doesNotMatch(lines[0], /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/)
  assert.match(lines[0], /^\S+ WARN {2}record rejected {4}from \S+: NETGET_ERR_RECORD_WRONG_NETWORK: network bad\\n2026-01-01T00:00:00\.000Z INFO {2}record stored {6}Forged 12D3KooWforged\\u001b\[2J\\r\\u2028$/)
})

describe('closed and private networks through the CLI', { concurrency: true }, () => {
  describe('a closed network', { concurrency: false }, () => {
    const network = 'cli-closed'
    let authority: { key: string, publicKey: string, peerId: string }
    let client: { key: string, peerId: string }
    let clientCert: string
    let registry: CliChild
    let service: CliChild
    let address: string
    let servicePeerId: string

    before(async () => {
      const [auth, registryId, serviceId, clientId] = await Promise.all(['authority', 'closed-registry', 'closed-service', 'closed-client'].map(newIdentity))
      authority = auth
      client = clientId
      const [registryCert, serviceCert, cert] = await Promise.all([
        admit(authority.key, 'closed-registry', ['--peer', registryId.peerId, '--role', 'registry', '--network', network]),
        admit(authority.key, 'closed-service', ['--peer', serviceId.peerId, '--role', 'service', '--service', 'Database*']),
        admit(authority.key, 'closed-client', ['--peer', client.peerId, '--role', 'client', '--days', '1'])
      ])
      clientCert = cert
      const closed = ['--network', network, '--authority', authority.publicKey]
      registry = startCli('closed registry', ['registry', ...closed, '--admission', registryCert, '--key', registryId.key, '--listen', LOOPBACK])
      address = (await registry.waitForLine(/^listening (\S+)$/, READY_TIMEOUT_MS))[1]
      service = startCli('closed service', ['service', '--name', 'DatabaseService', ...closed, '--cert', serviceCert, '--key', serviceId.key,
        '--registry', address, '--listen', LOOPBACK])
      servicePeerId = (await service.waitForLine(/registered DatabaseService as (\S+)/, READY_TIMEOUT_MS))[1]
      assert.equal(servicePeerId, serviceId.peerId)
    })

    after(async () => {
      const stopped = await Promise.all([service?.stop(), registry?.stop()])
      for (const status of stopped) assert.deepEqual([status?.code, status?.killed], [0, false])
    })

    test('the registry says it is closed', async () => {
      await registry.waitForLine(new RegExp(`^closed network, authority ${authority.publicKey}, admission `), 5000)
    })

    test('discover with a client certificate finds the service; without one it is refused and exits 1', async () => {
      const [admitted, outsider] = await Promise.all([
        runCli(['discover', 'DatabaseService', '--json', '--network', network, '--registry', address,
          '--authority', authority.publicKey, '--admission', clientCert, '--key', client.key]),
        runCli(['discover', 'DatabaseService', '--json', '--network', network, '--registry', address, '--timeout', '3000'])
      ])
      assertExit(admitted, 0, 'admitted discover')
      assert.deepEqual(JSON.parse(admitted.stdout).map((i: { peerId: string }) => i.peerId), [servicePeerId])

      assertExit(outsider, 1, 'discover without a certificate')
      assert.equal(outsider.stdout, '')
      assert.match(outsider.stderr, /netget discover: .*(registry|3000 ms)/i)
      await registry.waitForLine(/peer refused\s+12D3KooW\w+: NETGET_ERR_ADMISSION_/, 5000)
    })

    test('a certificate for another peer is refused before the node starts (exit 2)', async () => {
      const result = await runCli(['discover', 'DatabaseService', '--network', network, '--registry', address,
        '--authority', authority.publicKey, '--admission', clientCert, '--key', join(tempDir, 'closed-service.key')])
      assertExit(result, 2, 'discover with another peer\'s certificate')
      assert.match(result.stderr, /invalid --admission: this node's certificate is not usable: certificate admits /)
    })
  })

  describe('a private network (PSK)', () => {
    test('discover with the registry\'s PSK gets an answer; with another PSK it exits 1', async () => {
      const [pskA, pskB] = [join(tempDir, 'a.psk'), join(tempDir, 'b.psk')]
      const written = await Promise.all([runInProcess(['psk', '--out', pskA]), runInProcess(['psk', '--out', pskB])])
      for (const result of written) assertExit(result, 0, 'psk')
      const registry = startCli('private registry', ['registry', '--network', 'cli-private', '--psk', pskA, '--listen', LOOPBACK])
      try {
        const address = (await registry.waitForLine(/^listening (\S+)$/, READY_TIMEOUT_MS))[1]
        await registry.waitForLine(/^private network, psk /, 5000)
        const discover = async (psk: string): Promise<RunResult> =>
          runCli(['discover', 'AnyService', '--json', '--network', 'cli-private', '--registry', address, '--psk', psk, '--timeout', '3000'])
        const [member, outsider] = await Promise.all([discover(pskA), discover(pskB)])
        assertExit(member, 0, 'discover with the same PSK')
        assert.deepEqual(JSON.parse(member.stdout), [])
        assertExit(outsider, 1, 'discover with another PSK')
        assert.match(outsider.stderr, /netget discover: .*(registry|3000 ms)/i)
      } finally {
        await registry.stop()
      }
    })
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

test('registry takes its settings from a config file and NETGET_* (which wins), and logs a periodic summary', async () => {
  const config = join(tempDir, 'registry.json')
  await writeFile(config, JSON.stringify({ network: NETWORK, listen: [LOOPBACK], 'summary-interval': 600_000 }))
  const registry = startCli('registry --config', ['registry', '--config', config], { env: { NETGET_SUMMARY_INTERVAL: '200' } })
  try {
    await registry.waitForLine(new RegExp(`^registry 12D3KooW\\w+ on network ${NETWORK}$`), READY_TIMEOUT_MS)
    await registry.waitForLine(/^\S+ INFO\s+summary\s+0 records, \d+ peers \(0 registries\); \+0 discoveries answered, \+0 stored, \+0 refused$/, 5000)
    const status = await registry.stop()
    assert.deepEqual([status.code, status.killed], [0, false], registry.stderrTail())
  } finally {
    registry.killNow()
  }
})

test('a registry restarted with the same --data-dir serves the records it held before any service republishes', async () => {
  const dataDir = join(tempDir, 'registry-data')
  const first = startCli('registry --data-dir', ['registry', '--network', NETWORK, '--listen', LOOPBACK, '--data-dir', dataDir])
  const service = startCli('service (killed)', ['service', '--name', 'Persisted', '--network', NETWORK, '--listen', LOOPBACK,
    '--registry', (await first.waitForLine(/^listening (\S+)$/, READY_TIMEOUT_MS))[1]])
  let second: CliChild | undefined
  try {
    const [, peerId] = await service.waitForLine(/registered Persisted as (\S+)/, READY_TIMEOUT_MS)
    const stopped = await first.stop()
    assert.deepEqual([stopped.code, stopped.killed], [0, false], first.stderrTail())
    // Killed, not stopped: no withdrawal, and no renewal can reach a registry that is down.
    service.child.kill('SIGKILL')
    await service.waitForExit(5000)
    // Probes once a minute: the discovery below is answered before the prober could find the instance gone.
    second = startCli('registry --data-dir (restarted)', ['registry', '--network', NETWORK, '--listen', LOOPBACK, '--data-dir', dataDir, '--health-interval', '60000'])
    const address = (await second.waitForLine(/^listening (\S+)$/, READY_TIMEOUT_MS))[1]
    await second.waitForLine(/INFO\s+restored\s+1 records and 0 registries from the data dir/, 5000)
    const found = await runCli(['discover', 'Persisted', '--network', NETWORK, '--registry', address, '--json'])
    assert.equal(found.code, 0, found.stderr)
    assert.deepEqual(JSON.parse(found.stdout).map((i: { peerId: string }) => i.peerId), [peerId])
  } finally {
    service.killNow()
    first.killNow()
    await second?.stop()
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
