/**
 * Nodes in child processes of the benchmark (the "a×" scenarios): spawned with the repository's CliChild
 * (scripts/lib/cli-child.ts: `process.execPath --import tsx <entry>`, stdout read line by line, bounded waits,
 * SIGTERM then SIGKILL). Every child spawned here is also SIGKILLed if this process exits first (watchdog,
 * uncaught error) or is sent SIGINT/SIGTERM/SIGHUP while a child runs, so none outlives the benchmark.
 */
import { CliChild } from '../scripts/lib/cli-child.js'

/** Covers a cold start of Node + tsx + libp2p in a child (about a second when healthy). */
export const CHILD_READY_TIMEOUT_MS = 20_000
const STOP_GRACE_MS = 5000

const live = new Set<CliChild>()
let hooked = false

function killAll (): void {
  for (const child of live) child.killNow()
}

function onSignal (signal: NodeJS.Signals): void {
  process.stderr.write(`bench: ${signal} received; killing ${live.size} child process(es)\n`)
  killAll()
  process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143)
}

function hook (): void {
  if (hooked) return
  hooked = true
  process.on('exit', killAll)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.on('SIGHUP', onSignal)
}

function unhookIfIdle (): void {
  if (!hooked || live.size > 0) return
  hooked = false
  process.off('exit', killAll)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
  process.off('SIGHUP', onSignal)
}

/** `entry` undefined: the netget CLI (src/cli/run.ts); else a script relative to the repository root. */
export function spawnChild (label: string, args: readonly string[], entry?: string): CliChild {
  hook()
  const child = new CliChild(label, args, entry === undefined ? {} : { entry })
  live.add(child)
  child.closed.then(() => {
    live.delete(child)
    unhookIfIdle()
  }, () => {})
  return child
}

/** Stops children in parallel: SIGTERM, wait up to 5 s, SIGKILL as a last resort. Never rejects. */
export async function stopChildren (children: readonly CliChild[], log: (line: string) => void): Promise<void> {
  await Promise.all(children.map(async c => {
    try {
      const status = await c.stop(STOP_GRACE_MS)
      if (status.killed) log(`  warning: ${c.label} did not exit on SIGTERM within ${STOP_GRACE_MS} ms: killed`)
      else if (status.code !== 0 && status.code !== null) log(`  warning: ${c.label} exited with code ${status.code}: ${c.stderrTail().split('\n').slice(-3).join(' | ')}`)
    } catch (err) {
      log(`  warning: ${c.label} did not exit: ${(err as Error).message}`)
      c.killNow()
    }
  }))
}
