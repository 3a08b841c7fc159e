/**
 * Settings of `netget registry` from flags, NETGET_* variables and a config file, with one precedence; bad values
 * in any of them are a usage error (exit 2) that names where they came from. In-process through main(argv, io):
 * every case here fails or answers before a node would start.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { registryCommand, registrySettings } from '../src/cli/commands/registry.js'
import { serviceSettings } from '../src/cli/commands/service.js'
import { envName, layerSettings } from '../src/cli/config.js'
import { UsageError } from '../src/cli/errors.js'
import { main } from '../src/cli/main.js'
import { DEFAULTS } from '../src/options.js'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'netget-config-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function configFile (name: string, content: unknown): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content))
  return path
}

/** main() with captured output and the given environment (nothing from this process's). */
async function cli (argv: string[], env: Record<string, string> = {}): Promise<{ code: number, out: string, err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { out: l => { out.push(l) }, err: l => { err.push(l) }, env })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

describe('registry settings: flag, then NETGET_*, then config file, then default', () => {
  it('takes each setting from the first place that gives it', async () => {
    const file = await configFile('all.json', { network: 'from-file', listen: ['/ip4/127.0.0.1/tcp/1'], 'health-interval': 7000, 'json-logs': true })
    const flags = { network: 'from-flag', config: file }
    const env = { NETGET_NETWORK: 'from-env', NETGET_LISTEN: '/ip4/127.0.0.1/tcp/2, /ip4/127.0.0.1/tcp/3', NETGET_HEALTH_TIMEOUT: '900' }
    const settings = layerSettings(registrySettings, flags, env).values
    assert.equal(settings.network, 'from-flag')
    // A list comes whole from one place: the environment's two addresses, not merged with the file's one.
    assert.deepEqual(settings.listen, ['/ip4/127.0.0.1/tcp/2', '/ip4/127.0.0.1/tcp/3'])
    assert.equal(settings['health-timeout'], '900')
    assert.equal(settings['health-interval'], '7000', 'a number in the file reads as the flag\'s text')
    assert.equal(settings['json-logs'], true)
    assert.equal(settings.replication, '20', 'the default')
    assert.deepEqual(settings.registry, [])
  })

  it('reads the config file named by NETGET_CONFIG when --config is not given, and --config wins over it', async () => {
    const a = await configFile('a.json', { network: 'from-a' })
    const b = await configFile('b.json', { network: 'from-b' })
    assert.equal(layerSettings(registrySettings, {}, { NETGET_CONFIG: a }).values.network, 'from-a')
    assert.equal(layerSettings(registrySettings, { config: b }, { NETGET_CONFIG: a }).values.network, 'from-b')
  })

  it('names each variable after its flag', () => {
    assert.equal(envName('data-dir'), 'NETGET_DATA_DIR')
    assert.equal(envName('json-logs'), 'NETGET_JSON_LOGS')
  })

  it('refuses what it cannot read, naming the place', async () => {
    const refuses = (flags: Record<string, string>, env: Record<string, string>, pattern: RegExp): void => {
      assert.throws(() => layerSettings(registrySettings, flags, env), (err: Error) => err instanceof UsageError && pattern.test(err.message))
    }
    refuses({}, { NETGET_JSON_LOGS: 'maybe' }, /NETGET_JSON_LOGS expects true or false/)
    refuses({ config: join(dir, 'missing.json') }, {}, /missing\.json cannot be read: ENOENT/)
    refuses({ config: await configFile('broken.json', '{ "network": ') }, {}, /broken\.json is not JSON/)
    refuses({ config: await configFile('array.json', ['network']) }, {}, /must hold a JSON object/)
    refuses({ config: await configFile('unknown.json', { netwrk: 'x' }) }, {}, /unknown setting "netwrk"/)
    refuses({ config: await configFile('type.json', { listen: '/ip4/127.0.0.1/tcp/1' }) }, {}, /"listen" expects a list/)
    refuses({ config: await configFile('bool.json', { 'json-logs': 'yes' }) }, {}, /"json-logs" expects true or false/)
    refuses({ config: await configFile('nested.json', { config: 'other.json' }) }, {}, /unknown setting "config"/)
  })
})

describe('settings of which only one may be given', () => {
  const identity = [['key', 'data-dir'], ['admission', 'cert']] as const

  it('come whole from the first place that gives one: --key overrides NETGET_DATA_DIR, NETGET_CERT a file\'s admission', async () => {
    const { values } = layerSettings(registrySettings, { key: '/keys/a.key' }, { NETGET_DATA_DIR: '/var/lib/netget' }, identity)
    assert.equal(values.key, '/keys/a.key')
    assert.equal(values['data-dir'], undefined)
    const file = await configFile('identity.json', { 'data-dir': '/from/file', admission: '/from/file.cert' })
    const fromEnv = layerSettings(registrySettings, { config: file }, { NETGET_CERT: '/from/env.cert' }, identity).values
    assert.equal(fromEnv.cert, '/from/env.cert')
    assert.equal(fromEnv.admission, undefined)
    assert.equal(fromEnv['data-dir'], '/from/file', 'the other group still comes from the file')
  })

  it('two of them in one place is an error naming that place', async () => {
    assert.throws(() => layerSettings(registrySettings, {}, { NETGET_KEY: 'a', NETGET_DATA_DIR: 'b' }, identity), /give only one of NETGET_KEY and NETGET_DATA_DIR/)
    const file = await configFile('both.json', { key: 'a', 'data-dir': 'b' })
    assert.throws(() => layerSettings(registrySettings, { config: file }, {}, identity), /give only one of config file .*both\.json: "key" and config file .*both\.json: "data-dir"/)
  })

  it('netget registry: a --key flag with NETGET_DATA_DIR set runs with the key; --no-json-logs overrides NETGET_JSON_LOGS', async () => {
    const both = await cli(['registry', '--key', join(dir, 'missing.key'), '--no-json-logs'], { NETGET_DATA_DIR: join(dir, 'data'), NETGET_JSON_LOGS: 'true' })
    // It got as far as reading the key (which does not exist): the data dir was not in the way, and the error is text.
    assert.equal(both.code, 1)
    assert.match(both.err, /missing\.key/)
    assert.doesNotMatch(both.err, /give only one/)
    assert.doesNotMatch(both.err, /^\{/m)
  })
})

describe('netget registry: bad settings exit 2 before anything starts', () => {
  it('a bad config file, a bad variable, a bad number: one clear line each and exit 2', async () => {
    const unknown = await cli(['registry', '--config', await configFile('u.json', { 'health-intreval': 1 })])
    assert.equal(unknown.code, 2)
    assert.match(unknown.err, /netget registry: config file .*u\.json: unknown setting "health-intreval"/)
    assert.match(unknown.err, /Run "netget registry --help" for usage/)
    const variable = await cli(['registry'], { NETGET_REPLICATION: 'twenty' })
    assert.equal(variable.code, 2)
    assert.match(variable.err, /NETGET_REPLICATION expects a whole number from 1 to 2147483647, got "twenty"/)
    const inFile = await cli(['registry', '--config', await configFile('h.json', { 'health-interval': 'often' })])
    assert.equal(inFile.code, 2)
    assert.match(inFile.err, /config file .*h\.json: "health-interval" expects a whole number/)
    const flag = await cli(['registry', '--stop-timeout', '0'])
    assert.equal(flag.code, 2)
    assert.match(flag.err, /--stop-timeout expects a whole number from 1/)
    // In range for the command line, out of range for the library: reported under the flag's name.
    const range = await cli(['registry', '--replication', '100'])
    assert.equal(range.code, 2)
    assert.match(range.err, /invalid --replication/)
    const network = await cli(['registry', '--config', await configFile('n.json', { network: 'has space' })])
    assert.equal(network.code, 2)
    assert.match(network.err, /invalid --network/)
  })

  it('--help lists every setting, with the library\'s defaults', async () => {
    const help = await cli(['registry', '--help'])
    assert.equal(help.code, 0)
    for (const name of Object.keys(registrySettings)) assert.match(help.out, new RegExp(`--${name}\\b`), `--${name} is not in --help`)
    const documented = (flag: string): number => Number(new RegExp(`--${flag} [\\s\\S]*?\\(default: (\\d+)`).exec(registryCommand.usage)?.[1])
    assert.equal(documented('replication'), DEFAULTS.replicationFactor)
    assert.equal(documented('health-interval'), DEFAULTS.healthInterval)
    assert.equal(documented('health-timeout'), DEFAULTS.healthTimeout)
    assert.equal(documented('max-records'), DEFAULTS.maxRecords)
    assert.equal(documented('settling-time'), DEFAULTS.settlingTime)
    // And the settings' own defaults agree with the library's.
    assert.equal(Number(registrySettings.replication.default), DEFAULTS.replicationFactor)
    assert.equal(Number(registrySettings['health-interval'].default), DEFAULTS.healthInterval)
    assert.equal(Number(registrySettings['health-timeout'].default), DEFAULTS.healthTimeout)
    assert.equal(Number(registrySettings['max-records'].default), DEFAULTS.maxRecords)
    assert.equal(Number(registrySettings['settling-time'].default), DEFAULTS.settlingTime)
  })
})

describe('netget service: the same layering', () => {
  it('takes --name and --registry from NETGET_* or the config file, a flag still winning', async () => {
    const file = await configFile('service.json', { name: 'FromFile', network: 'from-file' })
    const settings = layerSettings(serviceSettings, { config: file }, { NETGET_REGISTRY: '/ip4/127.0.0.1/tcp/1/p2p/x,/ip4/127.0.0.1/tcp/2/p2p/y', NETGET_NETWORK: 'from-env' }).values
    assert.equal(settings.name, 'FromFile')
    assert.equal(settings.network, 'from-env')
    assert.deepEqual(settings.registry, ['/ip4/127.0.0.1/tcp/1/p2p/x', '/ip4/127.0.0.1/tcp/2/p2p/y'])
    // The name from the environment counts: what is missing is the registry.
    const missing = await cli(['service'], { NETGET_NAME: 'FromEnv' })
    assert.equal(missing.code, 2)
    assert.match(missing.err, /missing required --registry/)
    const help = await cli(['service', '--help'])
    for (const name of Object.keys(serviceSettings)) assert.match(help.out, new RegExp(`--${name}\\b`), `--${name} is not in --help`)
    assert.match(help.out, /NETGET_<OPTION>/)
  })
})

