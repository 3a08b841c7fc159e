/**
 * Settings of a long-running command from three places, one precedence: a flag wins over an environment
 * variable, which wins over the config file, which wins over the default. A list (--listen, --registry) comes
 * whole from the first place that gives it; lists are never merged across places.
 *
 *   flag          --data-dir /var/lib/netget        --listen A --listen B
 *   environment   NETGET_DATA_DIR=/var/lib/netget   NETGET_LISTEN=A,B           (NETGET_<FLAG>, - as _)
 *   config file   { "data-dir": "/var/lib/netget",  "listen": ["A", "B"] }      (--config FILE or NETGET_CONFIG)
 *
 * Anything wrong in any place is a UsageError naming that place (exit 2).
 */
import { readFileSync } from 'node:fs'
import { UsageError } from './errors.js'

export type SettingSpec = { type: 'string', multiple?: boolean, default?: string | string[] } | { type: 'boolean', default?: boolean }

export type Settings = Record<string, string | string[] | boolean | undefined>

/** Config files are small: anything larger is a mistake (a wrong path), not a configuration. */
const MAX_CONFIG_BYTES = 256 * 1024

type WithoutDefault<T> = T extends { default?: unknown } ? Omit<T, 'default'> : T

/** A settings spec as parseArgs options: no defaults, so that a flag not given reads as undefined. */
export function withoutDefaults<S extends Record<string, SettingSpec>> (spec: S): { [K in keyof S]: WithoutDefault<S[K]> } {
  return Object.fromEntries(Object.entries(spec).map(([name, setting]) => {
    const { default: _default, ...rest } = setting as SettingSpec & { default?: unknown }
    return [name, rest]
  })) as { [K in keyof S]: WithoutDefault<S[K]> }
}

export function envName (flag: string): string {
  return `NETGET_${flag.toUpperCase().replace(/-/g, '_')}`
}

/** Settings and where each came from. */
export interface Layered {
  values: Settings
  /** How to name a setting in an error: the flag, the variable or the config file entry that gave its value. */
  where (name: string): string
}

type Place = 'flag' | 'env' | 'file' | 'default'

/**
 * `flags` as parseArgs returned them (without defaults: absent means not given), completed from the environment,
 * the config file (`--config`, else NETGET_CONFIG) and the defaults of `spec`. `config` itself is not a setting.
 *
 * Each of `exclusive` names settings of which at most one may be given (e.g. --key and --data-dir, two ways to
 * choose an identity): the group comes whole from the first place that gives any of them, as a list does, so
 * `--key` on the command line overrides a NETGET_DATA_DIR in the environment. One place giving two of them is an
 * error naming that place.
 */
export function layerSettings (spec: Record<string, SettingSpec>, flags: Settings, env: Record<string, string | undefined>, exclusive: ReadonlyArray<readonly string[]> = []): Layered {
  const configPath = (flags.config as string | undefined) ?? nonEmpty(env.NETGET_CONFIG)
  const file = configPath === undefined ? {} : readConfigFile(configPath, spec)
  const places: Record<Exclude<Place, 'default'>, Settings> = { flag: flags, env: {}, file }
  for (const [name, setting] of Object.entries(spec)) {
    if (name !== 'config') places.env[name] = fromEnv(name, setting, env)
  }
  const values: Settings = {}
  const from = new Map<string, Place>()
  const name = (setting: string, place: Place): string => {
    if (place === 'env') return envName(setting)
    if (place === 'file') return `config file ${configPath}: "${setting}"`
    return `--${setting}`
  }
  const grouped = new Set(exclusive.flat())
  for (const group of exclusive) {
    for (const place of ['flag', 'env', 'file'] as const) {
      const given = group.filter(setting => places[place][setting] !== undefined)
      if (given.length === 0) continue
      if (given.length > 1) throw new UsageError(`give only one of ${given.map(g => name(g, place)).join(' and ')}`)
      values[given[0]] = places[place][given[0]]
      from.set(given[0], place)
      break
    }
  }
  for (const [setting, spec_] of Object.entries(spec)) {
    if (setting === 'config' || grouped.has(setting)) continue
    const place = (['flag', 'env', 'file'] as const).find(p => places[p][setting] !== undefined)
    values[setting] = place === undefined ? spec_.default : places[place][setting]
    from.set(setting, place ?? 'default')
  }
  if (configPath !== undefined) values.config = configPath
  return { values, where: setting => name(setting, from.get(setting) ?? 'default') }
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}

function fromEnv (name: string, setting: SettingSpec, env: Record<string, string | undefined>): string | string[] | boolean | undefined {
  const variable = envName(name)
  const raw = nonEmpty(env[variable])
  if (raw === undefined) return undefined
  if (setting.type === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(raw.trim())) return true
    if (/^(0|false|no|off)$/i.test(raw.trim())) return false
    throw new UsageError(`${variable} expects true or false, got "${raw}"`)
  }
  if (setting.multiple === true) return raw.split(',').map(s => s.trim()).filter(s => s !== '')
  return raw
}

function readConfigFile (path: string, spec: Record<string, SettingSpec>): Settings {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new UsageError(`config file ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  if (Buffer.byteLength(text) > MAX_CONFIG_BYTES) throw new UsageError(`config file ${path} is larger than ${MAX_CONFIG_BYTES} bytes`)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`config file ${path} is not JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object of settings ({ "network": "production", … })`)
  }
  const out: Settings = {}
  for (const [name, value] of Object.entries(parsed)) {
    const setting = name === 'config' ? undefined : spec[name]
    if (setting === undefined) throw new UsageError(`config file ${path}: unknown setting "${name}" (settings are the long flag names, without --)`)
    out[name] = checkFileValue(path, name, setting, value)
  }
  return out
}

function checkFileValue (path: string, name: string, setting: SettingSpec, value: unknown): string | string[] | boolean {
  const where = `config file ${path}: "${name}"`
  if (setting.type === 'boolean') {
    if (typeof value !== 'boolean') throw new UsageError(`${where} expects true or false`)
    return value
  }
  // Numbers are accepted as numbers too ("health-interval": 5000) and checked like the flag's text.
  const asText = (v: unknown): string => {
    if (typeof v === 'string') return v
    if (typeof v === 'number' && Number.isFinite(v)) return String(v)
    throw new UsageError(`${where} expects ${setting.multiple === true ? 'a list of strings' : 'a string'}`)
  }
  if (setting.multiple === true) {
    if (!Array.isArray(value)) throw new UsageError(`${where} expects a list (["…", "…"])`)
    return value.map(asText)
  }
  return asText(value)
}

/** The usage lines that say where settings come from, for a command's --help. */
export const CONFIG_USAGE = `Every option can also be set in the environment, as NETGET_<OPTION> (NETGET_DATA_DIR=…,
lists comma-separated: NETGET_LISTEN=A,B; booleans true/false), or in a JSON config file given
with --config <file> or NETGET_CONFIG, keyed by the long option names ({ "data-dir": "…",
"listen": ["…"] }). A flag wins over the environment, which wins over the file, which wins over
the default; a list comes whole from the first of these that gives it.`
