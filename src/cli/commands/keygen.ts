/** `netget keygen --out <file>`: a new Ed25519 identity in a 0600 key file. */
import { parseArgs } from 'node:util'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { KeyFileError } from '../../errors.js'
import { formatPublicKey, writeNewKeyFile } from '../../node/identity.js'
import { noPositionals, parseStrictly, requireValue } from '../args.js'
import { EXIT_FAILURE, EXIT_OK } from '../errors.js'
import type { Command } from '../command.js'
import type { Io } from '../io.js'
import type { PrivateKey } from '@libp2p/interface'

const usage = `Usage: netget keygen --out <file>

Writes a new Ed25519 key file (mode 0600) and prints its public key on one line. It never
overwrites an existing file. Use the file with --key; keep it out of version control.

Options:
  --out <file>  where to write the key (required)
  -h, --help    show this help`

const options = {
  out: { type: 'string' }
} as const

async function run (argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseStrictly(() => parseArgs({ args: argv, options, strict: true, allowPositionals: true }))
  noPositionals(positionals)
  const out = requireValue(values.out, '--out <file>')
  let key: PrivateKey
  try {
    key = await writeNewKeyFile(out)
  } catch (err) {
    if (err instanceof KeyFileError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') {
      io.err(`netget keygen: ${out} already exists; refusing to overwrite it`)
      io.err('Hint: choose another --out, or delete the old key if you really mean to replace that identity.')
      return EXIT_FAILURE
    }
    throw err
  }
  io.out(formatPublicKey(key.publicKey))
  // stderr, so stdout stays the one line scripts capture.
  io.err(`wrote ${out} (mode 0600), peer id ${peerIdFromPrivateKey(key).toString()}`)
  return EXIT_OK
}

export const keygenCommand: Command = { name: 'keygen', summary: 'write a new key file and print its public key', usage, run }
