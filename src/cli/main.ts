/**
 * `netget <command> [options]`: dispatch, help, and the mapping of failures to exit codes
 * (0 ok, 1 failure at run time, 2 bad command line). Only src/cli writes to the console.
 */
import { wantsHelp } from './args.js'
import { admitCommand } from './commands/admit.js'
import { discoverCommand } from './commands/discover.js'
import { idCommand } from './commands/id.js'
import { keygenCommand } from './commands/keygen.js'
import { pskCommand } from './commands/psk.js'
import { registryCommand } from './commands/registry.js'
import { serviceCommand } from './commands/service.js'
import { EXIT_OK, EXIT_USAGE, reportFailure } from './errors.js'
import { processIo } from './io.js'
import type { Command } from './command.js'
import type { Io } from './io.js'

const COMMANDS: readonly Command[] = [registryCommand, serviceCommand, discoverCommand, keygenCommand, idCommand, admitCommand, pskCommand]

function generalUsage (): string {
  const width = Math.max(...COMMANDS.map(c => c.name.length))
  return [
    'Usage: netget <command> [options]',
    '',
    'Service registration and discovery over a libp2p Kademlia DHT.',
    '',
    'Commands:',
    ...COMMANDS.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  show this help, or "netget help <command>"`,
    '',
    'Run "netget <command> --help" for the options of a command.',
    '',
    'Private network: "netget psk" writes a key file; every node runs with --psk <that file>.',
    'Closed network: "netget keygen" writes the authority\'s key and "netget admit" a certificate for each',
    'node; every node runs with --authority <the authority\'s public key> --admission <its certificate>',
    '--key <its key>.',
    '',
    'Exit codes: 0 success, 1 failure (e.g. no registry reachable), 2 bad command line.'
  ].join('\n')
}

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function main (argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    io.err(generalUsage())
    return EXIT_USAGE
  }
  if (name === '--help' || name === '-h') {
    io.out(generalUsage())
    return EXIT_OK
  }
  if (name === 'help') return help(rest, io)
  const command = COMMANDS.find(c => c.name === name)
  if (command === undefined) {
    io.err(`netget: unknown command "${name}"`)
    io.err(`Commands: ${COMMANDS.map(c => c.name).join(', ')}. Run "netget --help" for usage.`)
    return EXIT_USAGE
  }
  if (wantsHelp(rest)) {
    io.out(command.usage)
    return EXIT_OK
  }
  try {
    return await command.run(rest, io)
  } catch (err) {
    return reportFailure(io, command.name, err)
  }
}

function help (topics: string[], io: Io): number {
  if (topics.length === 0) {
    io.out(generalUsage())
    return EXIT_OK
  }
  const command = COMMANDS.find(c => c.name === topics[0])
  if (command === undefined || topics.length > 1) {
    io.err(`netget help: no command "${topics.join(' ')}"`)
    io.err('Run "netget --help" for the list of commands.')
    return EXIT_USAGE
  }
  io.out(command.usage)
  return EXIT_OK
}
