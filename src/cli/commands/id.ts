/** `netget id --key <file>`: the peer id a key file gives a node. */
import { parseArgs } from 'node:util'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { readKeyFile } from '../../node/identity.js'
import { noPositionals, parseStrictly, requireValue } from '../args.js'
import { EXIT_OK } from '../errors.js'
import type { Command } from '../command.js'
import type { Io } from '../io.js'

const usage = `Usage: netget id --key <file>

Prints the peer id of a key file written by "netget keygen" (the /p2p/<peerId> part of the
node's multiaddrs).

Options:
  --key <file>  the key file (required)
  -h, --help    show this help`

const options = {
  key: { type: 'string' }
} as const

async function run (argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseStrictly(() => parseArgs({ args: argv, options, strict: true, allowPositionals: true }))
  noPositionals(positionals)
  const key = await readKeyFile(requireValue(values.key, '--key <file>'))
  io.out(peerIdFromPrivateKey(key).toString())
  return EXIT_OK
}

export const idCommand: Command = { name: 'id', summary: 'print the peer id of a key file', usage, run }
