/** Command-line parsing on top of node:util parseArgs (strict), with its errors turned into UsageError. */
import { UsageError } from './errors.js'

/** Runs a parseArgs call, rewording its errors as one short sentence (the first of node's message). */
export function parseStrictly<T> (parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      throw new UsageError((err as Error).message.split(/\.\s/)[0])
    }
    throw err
  }
}

/** True when `-h`/`--help` appears before a `--`: help wins over any other problem on the line. */
export function wantsHelp (argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false
    if (arg === '--help' || arg === '-h') return true
  }
  return false
}

export function requireValue<T> (value: T | undefined, flag: string): T {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) throw new UsageError(`missing required ${flag}`)
  return value
}

/** `HOST:PORT` (`127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`) for a listening socket; port 0 picks a free one. */
export function parseHostPort (text: string | undefined, flag: string): { host: string, port: number } | undefined {
  if (text === undefined) return undefined
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text)
  const port = match === null ? Number.NaN : Number(match[3])
  if (match === null || port > 65535) throw new UsageError(`${flag} expects HOST:PORT (e.g. 127.0.0.1:8080), got "${text}"`)
  return { host: match[1] ?? match[2], port }
}

export function parsePositiveInt (text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value <= 0) {
    throw new UsageError(`${flag} expects a positive whole number of milliseconds, got "${text}"`)
  }
  return value
}

/** `--meta key=value` pairs → metadata (values stay strings). `name` is reserved: it is the service name (--name). */
export function parseMeta (pairs: readonly string[] | undefined): Record<string, string> {
  const metadata: Record<string, string> = {}
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new UsageError(`--meta expects key=value, got "${pair}"`)
    const key = pair.slice(0, eq)
    if (key === 'name') throw new UsageError('--meta name=… is not allowed: the service name is set with --name')
    if (Object.hasOwn(metadata, key)) throw new UsageError(`--meta ${key} is given twice`)
    metadata[key] = pair.slice(eq + 1)
  }
  return metadata
}

/**
 * Settings of which at most one may be given, taken whole from the first place (flag, environment, config file)
 * that gives one of them (config.ts): two ways to choose the identity, and one flag with two names.
 */
export const EXCLUSIVE_SETTINGS = [['key', 'data-dir'], ['admission', 'cert']] as const

/** --key and --data-dir both choose the node's identity: at most one. */
export function identityOptions (values: { key?: string, 'data-dir'?: string }): { keyFile?: string, dataDir?: string } {
  if (values.key !== undefined && values['data-dir'] !== undefined) throw new UsageError('give only one of --key and --data-dir')
  if (values.key !== undefined) return { keyFile: values.key }
  if (values['data-dir'] !== undefined) return { dataDir: values['data-dir'] }
  return {}
}

export function noPositionals (positionals: readonly string[]): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`)
}

/** The flags of private (--psk) and closed (--authority, --admission) networks: registry, service and discover take them. */
export const SECURITY_OPTIONS = {
  authority: { type: 'string' },
  admission: { type: 'string' },
  cert: { type: 'string' },
  psk: { type: 'string' }
} as const

/** Their lines in a command's usage (options column at 26, as the other commands). */
export const SECURITY_USAGE = `  --authority <key>       closed network: the authority's public key ("z…", as "netget keygen"
                          printed it); needs --admission
  --admission <file>      closed network: this node's certificate from "netget admit", issued to
                          the peer id of --key (alias --cert); needs --authority
  --psk <file>            private network: the pre-shared key file from "netget psk"; every node
                          of the network needs the same file`

/** The identity and security settings every long-running command takes, as parsed (config.ts layers them). */
export interface NodeFlagValues {
  key?: string
  'data-dir'?: string
  authority?: string
  admission?: string
  cert?: string
  psk?: string
}

export interface SecurityFlags {
  authority?: string
  admission?: string
  psk?: string
}

/**
 * --authority, --admission (or --cert) and --psk as Netget options. Their values are checked by Netget
 * (InvalidOptionError names them); here only what the command line itself gets wrong.
 */
export function securityOptions (values: { authority?: string, admission?: string, cert?: string, psk?: string, key?: string, 'data-dir'?: string }): SecurityFlags {
  if (values.admission !== undefined && values.cert !== undefined) throw new UsageError('give only one of --admission and --cert (they are the same flag)')
  const admission = values.admission ?? values.cert
  if (values.authority !== undefined && admission === undefined) {
    throw new UsageError('--authority (a closed network) needs this node\'s certificate too: --admission <file> from "netget admit"')
  }
  if (admission !== undefined && values.authority === undefined) {
    throw new UsageError('--admission needs --authority <key>, the public key of the authority that issued it')
  }
  if (admission !== undefined && values.key === undefined && values['data-dir'] === undefined) {
    throw new UsageError('--admission is issued to one peer id: also give that node\'s identity with --key')
  }
  return {
    ...(values.authority !== undefined ? { authority: values.authority } : {}),
    ...(admission !== undefined ? { admission } : {}),
    ...(values.psk !== undefined ? { psk: values.psk } : {})
  }
}
