import type { Io } from './io.js'

/** One `netget <name>` subcommand. `run` gets the arguments after the name and returns the exit code. */
export interface Command {
  name: string
  /** One line for `netget --help`. */
  summary: string
  /** The full text of `netget <name> --help`. */
  usage: string
  run: (argv: string[], io: Io) => Promise<number>
}
