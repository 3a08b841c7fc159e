/**
 * The netget CLI run from source as a child process, as the demo and the CLI tests need it:
 * its stdout read line by line, waits that always have a deadline, and a stop that always ends
 * (SIGTERM, then SIGKILL as a last resort).
 */
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** The TypeScript entry that calls main(): runs through tsx, no build needed. */
export const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/run.ts', import.meta.url))

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface SpawnCliOptions {
  /** Script to run instead of the CLI (e.g. scripts/demo.ts), relative to the repository root. */
  entry?: string
  /** Run in its own process group, so a Ctrl-C in the terminal reaches only the parent, which then stops it in order. */
  detached?: boolean
  /** Variables added to this process's environment (NETGET_* settings). */
  env?: Record<string, string>
}

const STDERR_TAIL_LINES = 20

export class CliChild {
  readonly label: string
  readonly child: ChildProcess
  readonly stdoutLines: string[] = []
  readonly stderrLines: string[] = []
  /** Resolves once the process has exited and its output streams are closed. */
  readonly closed: Promise<ExitStatus>
  private status?: ExitStatus
  private readonly lineWaiters = new Set<() => void>()

  constructor (label: string, args: readonly string[], options: SpawnCliOptions = {}) {
    this.label = label
    this.child = spawn(process.execPath, ['--import', 'tsx', options.entry ?? CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
      detached: options.detached === true
    })
    createInterface({ input: this.child.stdout! }).on('line', line => {
      this.stdoutLines.push(line)
      for (const wake of this.lineWaiters) wake()
    })
    createInterface({ input: this.child.stderr! }).on('line', line => {
      this.stderrLines.push(line)
      if (this.stderrLines.length > 1000) this.stderrLines.shift()
    })
    this.closed = new Promise(resolve => {
      this.child.once('close', (code, signal) => {
        this.status = { code, signal }
        for (const wake of this.lineWaiters) wake()
        resolve(this.status)
      })
    })
  }

  get running (): boolean {
    return this.status === undefined
  }

  get pid (): number | undefined {
    return this.child.pid
  }

  stdout (): string {
    return this.stdoutLines.join('\n')
  }

  stderrTail (): string {
    return this.stderrLines.slice(-STDERR_TAIL_LINES).join('\n')
  }

  /**
   * The first stdout line (already printed or still to come) matching `pattern`. Rejects when the deadline
   * passes, the signal aborts, or the process exits without printing it.
   */
  async waitForLine (pattern: RegExp, timeoutMs: number, signal?: AbortSignal): Promise<RegExpMatchArray> {
    const { promise, resolve, reject } = Promise.withResolvers<RegExpMatchArray>()
    let scanned = 0
    const check = (): void => {
      for (; scanned < this.stdoutLines.length; scanned++) {
        const match = this.stdoutLines[scanned].match(pattern)
        if (match !== null) {
          resolve(match)
          return
        }
      }
      if (this.status !== undefined) reject(this.failure(`exited (code ${this.status.code}, signal ${this.status.signal}) before printing ${pattern}`))
    }
    const timer = setTimeout(() => { reject(this.failure(`printed no line matching ${pattern} within ${timeoutMs} ms`)) }, timeoutMs)
    const onAbort = (): void => { reject(signal?.reason ?? new Error('aborted')) }
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted === true) onAbort()
    this.lineWaiters.add(check)
    check()
    try {
      return await promise
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      this.lineWaiters.delete(check)
    }
  }

  /** Exit status, or a rejection after `timeoutMs`. */
  async waitForExit (timeoutMs: number): Promise<ExitStatus> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => { reject(this.failure(`did not exit within ${timeoutMs} ms`)) }, timeoutMs)
    })
    try {
      return await Promise.race([this.closed, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Always settles. */
  async stop (graceMs = 5000): Promise<ExitStatus & { killed: boolean }> {
    if (this.status !== undefined) return { ...this.status, killed: false }
    this.child.kill('SIGTERM')
    try {
      return { ...await this.waitForExit(graceMs), killed: false }
    } catch {
      this.child.kill('SIGKILL')
      return { ...await this.waitForExit(5000), killed: true }
    }
  }

  /** Synchronous last resort, for `process.on('exit')`. */
  killNow (): void {
    if (this.status === undefined) this.child.kill('SIGKILL')
  }

  private failure (what: string): Error {
    const tail = this.stderrTail()
    return new Error(`${this.label} ${what}${tail === '' ? '' : `\n--- ${this.label} stderr ---\n${tail}`}`)
  }
}

export interface RunResult extends ExitStatus {
  stdout: string
  stderr: string
}

/** Runs a CLI command (or another `entry`) to completion; kills it and rejects if it takes longer than `timeoutMs`. */
export async function runCli (args: readonly string[], timeoutMs = 30_000, entry?: string): Promise<RunResult> {
  const cli = new CliChild(entry ?? `netget ${args[0] ?? ''}`, args, entry === undefined ? {} : { entry })
  try {
    const status = await cli.waitForExit(timeoutMs)
    return { ...status, stdout: cli.stdout(), stderr: cli.stderrLines.join('\n') }
  } finally {
    cli.killNow()
  }
}
