/** `netget admit`: the authority signs an admission certificate for one peer of a closed network. */
import { chmod, writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import { AdmissionError } from '../../errors.js'
import { formatPublicKey, readKeyFile } from '../../node/identity.js'
import { checkNetwork } from '../../options.js'
import { MAX_CERTIFICATE_SERVICES, MAX_CERTIFICATE_VALIDITY_MS, checkServicePattern, describeCertificate, encodeCertificateFile, issueCertificate } from '../../security/admission.js'
import { noPositionals, parseStrictly, requireValue } from '../args.js'
import { EXIT_FAILURE, EXIT_OK, UsageError } from '../errors.js'
import type { Command } from '../command.js'
import type { Io } from '../io.js'
import type { Role } from '../../security/admission.js'

const DAY_MS = 24 * 60 * 60 * 1000
const DEFAULT_DAYS = 30
const MAX_DAYS = MAX_CERTIFICATE_VALIDITY_MS / DAY_MS
const ROLES: readonly Role[] = ['service', 'registry', 'client']

const usage = `Usage: netget admit --authority-key <file> --peer <peerId> --role <role> --out <file> [options]

Signs an admission certificate for one peer of a closed network with the authority's key, writes
it to --out (base64 text, mode 0600; never overwrites) and prints a one-line summary. Nodes of the
network run with --authority <the authority's public key> and --admission <their certificate>.

Options:
  --authority-key <file>  the authority's key file, written by "netget keygen" (required)
  --peer <peerId>         the peer the certificate admits, as "netget id --key <its key>" prints
                          it (required)
  --role <role>           service (may register the --service names), registry (serves the DHT
                          and the registry protocol) or client (may only discover) (required)
  --service <pattern>     a service name the peer may register, exact (DatabaseService) or a
                          prefix ending in '*' ('Database*'); repeatable; at least one for
                          --role service, none for --role client
  --days <n>              validity from now, in days (default: ${DEFAULT_DAYS}, at most ${MAX_DAYS})
  --network <name>        valid on this network only (default: any network that trusts the authority)
  --out <file>            where to write the certificate (required)
  -h, --help              show this help`

const options = {
  'authority-key': { type: 'string' },
  peer: { type: 'string' },
  role: { type: 'string' },
  service: { type: 'string', multiple: true },
  days: { type: 'string' },
  network: { type: 'string' },
  out: { type: 'string' }
} as const

function parseRole (text: string): Role {
  const role = ROLES.find(r => r === text)
  if (role === undefined) throw new UsageError(`--role expects one of ${ROLES.join(', ')}, got "${text}"`)
  return role
}

function parsePeer (text: string): string {
  try {
    return peerIdFromString(text).toString()
  } catch {
    throw new UsageError(`--peer expects a peer id such as 12D3KooW… (as "netget id --key <file>" prints it), got "${text}"`)
  }
}

function parseServices (patterns: readonly string[], role: Role): string[] {
  if (role === 'service' && patterns.length === 0) {
    throw new UsageError('--role service needs at least one --service <pattern>: the names this peer may register')
  }
  if (role === 'client' && patterns.length > 0) throw new UsageError('--service is not for --role client: a client may not register services')
  if (patterns.length > MAX_CERTIFICATE_SERVICES) throw new UsageError(`at most ${MAX_CERTIFICATE_SERVICES} --service patterns`)
  for (const pattern of patterns) {
    try {
      checkServicePattern(pattern)
    } catch (err) {
      if (err instanceof AdmissionError) throw new UsageError(`--service expects a name or a prefix ending in '*', got "${pattern}"`)
      throw err
    }
  }
  return [...new Set(patterns)]
}

function parseDays (text: string | undefined): number {
  if (text === undefined) return DEFAULT_DAYS
  const days = Number(text)
  if (!/^\d+(\.\d+)?$/.test(text) || !(days > 0) || days > MAX_DAYS) {
    throw new UsageError(`--days expects a positive number of days, at most ${MAX_DAYS}, got "${text}"`)
  }
  return days
}

async function run (argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseStrictly(() => parseArgs({ args: argv, options, strict: true, allowPositionals: true }))
  noPositionals(positionals)
  const keyPath = requireValue(values['authority-key'], '--authority-key <file>')
  const subject = parsePeer(requireValue(values.peer, '--peer <peerId>'))
  const role = parseRole(requireValue(values.role, '--role service|registry|client'))
  const services = parseServices(values.service ?? [], role)
  const days = parseDays(values.days)
  const network = values.network === undefined ? undefined : checkNetwork(values.network)
  const out = requireValue(values.out, '--out <file>')

  const authority = await readKeyFile(keyPath)
  const notBefore = Date.now()
  const notAfter = notBefore + Math.round(days * DAY_MS)
  const certificate = await issueCertificate(authority, { subject, role, services, notBefore, notAfter, ...(network !== undefined ? { network } : {}) })
  try {
    await writeFile(out, encodeCertificateFile(certificate), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      io.err(`netget admit: ${out} already exists; refusing to overwrite it`)
      io.err('Hint: choose another --out, or delete the old certificate first.')
      return EXIT_FAILURE
    }
    throw new Error(`cannot write ${out}: ${(err as Error).message}`, { cause: err })
  }
  await chmod(out, 0o600)
  io.out(summary(certificate, formatPublicKey(authority.publicKey)))
  // stderr, so stdout stays the one line scripts capture.
  io.err(`wrote ${out} (mode 0600)`)
  return EXIT_OK
}

/** What the written certificate says, read back from its bytes. */
function summary (certificate: Uint8Array, authority: string): string {
  const c = describeCertificate(certificate)
  const services = c.services.length === 0 ? 'no services' : `services ${c.services.join(',')}`
  const network = c.network === '' ? 'any network' : `network ${c.network}`
  const days = Number(((c.notAfter - c.notBefore) / DAY_MS).toFixed(2))
  return `admitted ${c.subject} role ${c.role}, ${services}, ${network}, valid ${new Date(c.notBefore).toISOString()} to ${new Date(c.notAfter).toISOString()}` +
    ` (${days} day${days === 1 ? '' : 's'}), authority ${authority}`
}

export const admitCommand: Command = { name: 'admit', summary: 'issue an admission certificate for a closed network', usage, run }
