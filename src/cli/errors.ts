/**
 * Exit codes and how a failure becomes one: 2 for a command line that cannot work as written (usage),
 * 1 for a failure at run time (no registry reachable, timeout, unreadable key file…).
 */
import { AdmissionError, AdmissionErrorCodes, InvalidOptionError, KeyFileError, NoRegistryReachableError, PublishFailedError, TimeoutError } from '../errors.js'
import type { Io } from './io.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** The command line is wrong: unknown flag, missing or bad argument. */
export class UsageError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Library option names, as InvalidOptionError reports them, and the flags that set them. */
const FLAG_FOR_OPTION: Record<string, string> = {
  registryNodes: '--registry',
  listen: '--listen',
  announce: '--announce',
  network: '--network',
  metadata: '--meta',
  'metadata.name': '--name',
  name: '<name>',
  keyFile: '--key',
  dataDir: '--data-dir',
  timeout: '--timeout',
  discoverTimeout: '--timeout',
  authority: '--authority',
  admission: '--admission',
  psk: '--psk',
  replicationFactor: '--replication',
  healthInterval: '--health-interval',
  healthTimeout: '--health-timeout',
  maxRecords: '--max-records',
  settlingTime: '--settling-time'
}

/** `registryNodes[1]` → `--registry`; unknown names are shown as they are. */
function flagFor (option: string): string {
  return FLAG_FOR_OPTION[option.replace(/\[\d+\]$/, '')] ?? option
}

/** Prints `err` for `command` as one line plus a hint, and returns the exit code. */
export function reportFailure (io: Io, command: string, err: unknown): number {
  const prefix = `netget ${command}:`
  const helpHint = `Run "netget ${command} --help" for usage.`
  if (err instanceof UsageError) {
    io.err(`${prefix} ${err.message}`)
    io.err(helpHint)
    return EXIT_USAGE
  }
  if (err instanceof InvalidOptionError) {
    const reason = err.message.replace(/^Invalid option "[^"]*": /, '')
    io.err(`${prefix} invalid ${flagFor(err.option)}: ${reason}`)
    io.err(helpHint)
    return EXIT_USAGE
  }
  if (err instanceof NoRegistryReachableError || err instanceof TimeoutError || err instanceof PublishFailedError) {
    io.err(`${prefix} ${err.message}`)
    if (err instanceof PublishFailedError) {
      for (const [registry, reason] of Object.entries(err.refusals)) io.err(`  refused by ${registry}: ${reason}`)
    }
    io.err('Hint: check that the --registry multiaddrs are the ones "netget registry" printed, that it is running, and that --network matches'
      + ' (and --psk, --authority and this node\'s --admission on a private or closed network).')
    return EXIT_FAILURE
  }
  if (err instanceof KeyFileError) {
    io.err(`${prefix} ${err.message}`)
    io.err('Hint: key files are written by "netget keygen --out <file>", PSK files by "netget psk --out <file>".')
    return EXIT_FAILURE
  }
  if (err instanceof AdmissionError) {
    io.err(`${prefix} ${err.message}`)
    io.err(err.code === AdmissionErrorCodes.ROLE || err.code === AdmissionErrorCodes.NAME
      ? 'Hint: a service needs a certificate with --role service and a --service pattern that matches its --name (netget admit).'
      : 'Hint: admission certificates are written by "netget admit --out <file>" for the peer id of this node\'s --key.')
    return EXIT_FAILURE
  }
  // StartError (a NetgetError) wraps what libp2p threw at start, e.g. EADDRINUSE: same treatment as a foreign error.
  const message = oneLine(err)
  io.err(`${prefix} ${message}`)
  if (message.includes('EADDRINUSE')) io.err('Hint: another process already listens on that address: choose another --listen port, or tcp/0 for any free port.')
  return EXIT_FAILURE
}

/** libp2p errors can span lines and embed stack traces: keep the text, drop the frames. */
function oneLine (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n').map(line => line.trim()).filter(line => line !== '' && !line.startsWith('at ')).join(' ')
}
