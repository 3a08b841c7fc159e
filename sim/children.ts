/**
 * The coordinator's side of the child processes: fork, request/reply over IPC with a deadline on every wait,
 * SIGKILL on demand, and reaping. A child is SIGKILLed when the coordinator exits for any reason (the `exit`
 * handler) or gets SIGINT/SIGTERM/SIGHUP; a child whose IPC channel closes exits by itself (sim/child.ts).
 */
import { fork } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildMessage, Command, HealthMessage, NodeSettings, ProblemMessage, RenewalMessage, StartedMessage } from './protocol.js'
import type { ChildProcess } from 'node:child_process'

const CHILD_ENTRY = fileURLToPath(new URL('./child.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url))
/** Cold start of Node + tsx + libp2p imports; about a second when the machine is idle. */
const READY_TIMEOUT_MS = 30_000
const STDERR_TAIL = 4096

interface Pending { resolve: (value: unknown) => void, reject: (err: Error) => void, timer: NodeJS.Timeout }

export interface Listeners {
  problem: (index: number, message: ProblemMessage) => void
  started: (index: number, message: StartedMessage) => void
  health: (index: number, message: HealthMessage) => void
  renewal: (index: number, message: RenewalMessage) => void
  exit: (index: number, code: number | null, signal: NodeJS.Signals | null) => void
}

export class SimChild {
  readonly index: number
  readonly proc: ChildProcess
  alive = true
  /** Set when the coordinator SIGKILLed it on purpose (a fault), as opposed to a crash. */
  killedAt?: number
  exitInfo?: { code: number | null, signal: NodeJS.Signals | null }
  nodeVersion = ''
  readonly exited: Promise<void>
  private seq = 0
  private readonly pending = new Map<number, Pending>()
  private stderrTail = ''

  constructor (index: number, settings: NodeSettings, listeners: Listeners) {
    this.index = index
    // process.execPath is the coordinator's Node: under `npm run` that is the Node 24 devDependency.
    this.proc = fork(CHILD_ENTRY, [], {
      cwd: REPO_ROOT,
      execPath: process.execPath,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, NETGET_SIM_SETTINGS: JSON.stringify(settings) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced'
    })
    this.proc.stderr?.setEncoding('utf8')
    this.proc.stderr?.on('data', (chunk: string) => { this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL) })
    // NETGET_SIM_STDERR_DIR=DIR keeps each child's whole stderr in DIR/child-<index>.log: with DEBUG=netget:…, the
    // library's debug log of every node in that process (it is otherwise only kept as a tail for error reports).
    const stderrDir = process.env.NETGET_SIM_STDERR_DIR
    if (stderrDir !== undefined && this.proc.stderr !== null) {
      const file = createWriteStream(join(stderrDir, `child-${index}.log`), { flags: 'a' })
      file.on('error', () => {})
      this.proc.stderr.pipe(file)
    }
    this.exited = new Promise(resolve => {
      this.proc.once('exit', (code, signal) => {
        this.alive = false
        this.exitInfo = { code, signal }
        for (const [seq, p] of this.pending) {
          clearTimeout(p.timer)
          p.reject(new Error(`child ${index} exited (${signal ?? code}) before answering #${seq}`))
        }
        this.pending.clear()
        listeners.exit(index, code, signal)
        resolve()
      })
    })
    // A failed fork or send shows in the "not ready" / "exited" error through the stderr tail.
    this.proc.on('error', err => { this.stderrTail = (this.stderrTail + `\n[fork] ${err.message}`).slice(-STDERR_TAIL) })
    this.proc.on('message', (message: ChildMessage) => {
      if (message.kind === 'reply') {
        const p = this.pending.get(message.seq)
        if (p === undefined) return
        this.pending.delete(message.seq)
        clearTimeout(p.timer)
        if (message.ok) p.resolve(message.value)
        else p.reject(new Error(message.error ?? 'child error'))
      } else if (message.kind === 'problem') {
        listeners.problem(index, message)
      } else if (message.kind === 'started') {
        listeners.started(index, message)
      } else if (message.kind === 'health') {
        listeners.health(index, message)
      } else if (message.kind === 'renewal') {
        listeners.renewal(index, message)
      } else if (message.kind === 'ready') {
        this.nodeVersion = message.node
        this.readyResolve?.()
      }
    })
  }

  private readyResolve?: () => void

  async ready (): Promise<void> {
    if (this.nodeVersion !== '') return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`child ${this.index} not ready after ${READY_TIMEOUT_MS} ms; stderr: ${this.stderr()}`)) }, READY_TIMEOUT_MS)
      this.readyResolve = () => { clearTimeout(timer); resolve() }
      void this.exited.then(() => { clearTimeout(timer); reject(new Error(`child ${this.index} exited before ready; stderr: ${this.stderr()}`)) })
    })
  }

  /** Sends a command and waits for its reply at most `timeoutMs`. Rejects if the child dies first. */
  async request<T> (command: Command, timeoutMs: number): Promise<T> {
    if (!this.alive || !this.proc.connected) throw new Error(`child ${this.index} is not running`)
    const seq = ++this.seq
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq)
        reject(new Error(`child ${this.index}: no reply to ${command.type} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(seq, { resolve: resolve as (v: unknown) => void, reject, timer })
      try {
        this.proc.send({ seq, command })
      } catch (err) {
        clearTimeout(timer)
        this.pending.delete(seq)
        reject(err as Error)
      }
    })
  }

  /** SIGKILL now; returns the time the signal was sent (the instances' time of death). */
  kill (): number {
    const at = Date.now()
    if (this.alive) {
      this.killedAt ??= at
      this.proc.kill('SIGKILL')
    }
    return at
  }

  stderr (): string {
    return this.stderrTail.split('\n').slice(-6).join(' | ')
  }
}

const live = new Set<SimChild>()
let hooked = false

function killAll (): void {
  for (const child of live) {
    if (child.alive) child.proc.kill('SIGKILL')
  }
}

function onSignal (signal: NodeJS.Signals): void {
  process.stderr.write(`\nsim: ${signal}: killing ${[...live].filter(c => c.alive).length} child process(es)\n`)
  killAll()
  process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143)
}

export function spawnChild (index: number, settings: NodeSettings, listeners: Listeners): SimChild {
  if (!hooked) {
    hooked = true
    process.on('exit', killAll)
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    process.on('SIGHUP', onSignal)
  }
  const child = new SimChild(index, settings, listeners)
  live.add(child)
  void child.exited.then(() => { live.delete(child) })
  return child
}

/** Asks every live child to stop its nodes and exit; SIGKILLs those that have not exited after `boundMs`. */
export async function reapAll (children: readonly SimChild[], graceMs: number, boundMs: number): Promise<{ graceful: number, killed: number }> {
  let killed = 0
  let graceful = 0
  await Promise.all(children.map(async child => {
    if (!child.alive) return
    await child.request({ type: 'shutdown', graceMs }, boundMs).catch(() => {})
    const timer = setTimeout(() => {
      if (child.alive) {
        killed++
        child.proc.kill('SIGKILL')
      }
    }, 2000)
    await child.exited
    clearTimeout(timer)
    if (child.exitInfo?.signal !== 'SIGKILL') graceful++
  }))
  return { graceful, killed }
}
