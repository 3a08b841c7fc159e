/** Where the CLI writes. Commands take an Io instead of touching process.stdout/stderr, so they stay testable. */
export interface Io {
  /** One line of normal output (stdout). */
  out: (line: string) => void
  /** One line of diagnostics (stderr). */
  err: (line: string) => void
  /** Environment variables the commands read settings from (NETGET_*). @default process.env */
  env?: Record<string, string | undefined>
}

export const processIo: Io = {
  out: line => { process.stdout.write(line + '\n') },
  err: line => { process.stderr.write(line + '\n') }
}

/** JSON.stringify that writes bigints (record sequences) as decimal strings, which JSON cannot hold exactly. */
export function toJson (value: unknown, indent?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => typeof v === 'bigint' ? v.toString() : v, indent)
}
