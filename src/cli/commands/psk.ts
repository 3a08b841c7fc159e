/** `netget psk --out <file>`: a new pre-shared key for a private network, in a 0600 file. */
import { chmod } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { KeyFileError } from '../../errors.js'
import { writeNewPskFile } from '../../security/psk.js'
import { noPositionals, parseStrictly, requireValue } from '../args.js'
import { EXIT_FAILURE, EXIT_OK } from '../errors.js'
import type { Command } from '../command.js'
import type { Io } from '../io.js'

const usage = `Usage: netget psk --out <file>

Writes a new pre-shared key file (mode 0600) for a private network and prints its path. It never
overwrites an existing file. Give the same file to every node of the network with --psk: nodes
without it cannot even complete a connection. Keep it secret and out of version control.

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
  try {
    await writeNewPskFile(out)
  } catch (err) {
    if (err instanceof KeyFileError && (err.cause as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') {
      io.err(`netget psk: ${out} already exists; refusing to overwrite it`)
      io.err('Hint: choose another --out; replacing the key of a running network means restarting every node with the new one.')
      return EXIT_FAILURE
    }
    throw err
  }
  // The file was created 0600 minus the umask: make it exactly 0600, as keygen does.
  await chmod(out, 0o600)
  io.out(out)
  // stderr, so stdout stays the one line scripts capture.
  io.err(`wrote ${out} (mode 0600): give it to every node of the private network with --psk`)
  return EXIT_OK
}

export const pskCommand: Command = { name: 'psk', summary: 'write a new pre-shared key file for a private network', usage, run }
