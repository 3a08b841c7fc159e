/**
 * IPC between `npm run bench:compare` and its child processes (bench/compare-netget-child.ts,
 * bench/compare-hyperdht-child.ts): numbered requests over Node's IPC channel, each with a deadline.
 *
 * Reaping: every child forked here is SIGKILLed when this process exits (normally, on an uncaught error, or on
 * SIGINT/SIGTERM/SIGHUP), and each child exits by itself when the IPC channel closes (serveRequests below), so
 * none outlives the benchmark. Children listen on 127.0.0.1 only.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

export interface Request {
  id: number
  cmd: string
  args: unknown
}

export type Reply = { id: number, ok: true, result: unknown } | { id: number, ok: false, error: string }

const live = new Set<ChildProcess>()
let hooked = false

function killAll (): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL')
    } catch {}
  }
}

function onSignal (signal: NodeJS.Signals): void {
  process.stderr.write(`bench:compare: ${signal}; killing ${live.size} child process(es)\n`)
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

export class Child {
  readonly label: string
  readonly proc: ChildProcess
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  private nextId = 1
  private readonly pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }>()
  private readonly stderrTail: string[] = []
  private gone = false

  /** `entry` relative to the repository root; `env` adds to this process's environment. */
  constructor (label: string, entry: string, args: string[] = [], env: Record<string, string> = {}) {
    hook()
    this.label = label
    this.proc = fork(entry, args, {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced'
    })
    live.add(this.proc)
    this.proc.stderr?.on('data', (b: Buffer) => {
      for (const line of b.toString().split('\n')) {
        if (line.trim() === '') continue
        this.stderrTail.push(line)
        if (this.stderrTail.length > 20) this.stderrTail.shift()
      }
    })
    this.proc.on('message', (m: Reply) => {
      const p = this.pending.get(m.id)
      if (p === undefined) return
      this.pending.delete(m.id)
      clearTimeout(p.timer)
      if (m.ok) p.resolve(m.result)
      else p.reject(new Error(`${this.label}: ${m.error}`))
    })
    this.exited = new Promise(resolve => {
      this.proc.on('exit', (code, signal) => {
        this.gone = true
        live.delete(this.proc)
        for (const [, p] of this.pending) {
          clearTimeout(p.timer)
          p.reject(new Error(`${this.label} exited (code ${code}, signal ${signal}): ${this.stderrTail.slice(-3).join(' | ')}`))
        }
        this.pending.clear()
        resolve({ code, signal })
      })
    })
  }

  get pid (): number | undefined {
    return this.proc.pid
  }

  /** Sends one command; rejects after `timeoutMs` or if the child dies. */
  async call<T> (cmd: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.gone) throw new Error(`${this.label} has exited`)
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${this.label}: ${cmd} did not answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      this.proc.send({ id, cmd, args } satisfies Request, err => {
        if (err === null) return
        const p = this.pending.get(id)
        if (p === undefined) return
        this.pending.delete(id)
        clearTimeout(p.timer)
        reject(err)
      })
    })
  }

  /** Asks the child to stop its nodes (bounded), closes the channel, SIGKILL after `graceMs` if still there. */
  async stop (graceMs: number): Promise<{ code: number | null, signal: NodeJS.Signals | null, killed: boolean }> {
    if (!this.gone) {
      await this.call('stopAll', null, graceMs).catch(() => {})
      try {
        this.proc.disconnect()
      } catch {}
    }
    let killed = false
    const timer = setTimeout(() => {
      killed = true
      this.proc.kill('SIGKILL')
    }, graceMs)
    const status = await this.exited
    clearTimeout(timer)
    return { ...status, killed }
  }

  tail (): string {
    return this.stderrTail.slice(-5).join(' | ')
  }
}

/**
 * Child side: answers requests with `handlers` (several may run at once), exits when the channel closes
 * (the benchmark is gone), after `maxLifetimeMs` whatever happens, and reports stray errors on stderr.
 */
export function serveRequests (handlers: Record<string, (args: never) => Promise<unknown>>, maxLifetimeMs: number): void {
  if (process.send === undefined) throw new Error('start this through bench/compare.ts (needs an IPC channel)')
  process.on('disconnect', () => { process.exit(0) })
  const lifetime = setTimeout(() => {
    process.stderr.write('compare child: maximum lifetime reached\n')
    process.exit(3)
  }, maxLifetimeMs)
  lifetime.unref()
  process.on('unhandledRejection', reason => { process.stderr.write(`unhandledRejection: ${String((reason as Error)?.stack ?? reason).slice(0, 400)}\n`) })
  process.on('uncaughtException', err => { process.stderr.write(`uncaughtException: ${String(err.stack ?? err).slice(0, 400)}\n`) })
  process.on('message', (m: Request) => {
    const handler = handlers[m.cmd]
    const reply = (r: Reply): void => {
      if (!process.connected) return
      try {
        process.send?.(r)
      } catch {}
    }
    if (handler === undefined) {
      reply({ id: m.id, ok: false, error: `unknown command ${m.cmd}` })
      return
    }
    handler(m.args as never).then(result => { reply({ id: m.id, ok: true, result }) }, (err: unknown) => {
      reply({ id: m.id, ok: false, error: err instanceof Error ? `${(err as Error & { code?: string }).code ?? err.name}: ${err.message}` : String(err) })
    })
  })
}

/** A wall-clock time with sub-millisecond resolution, comparable across processes of one machine. */
export function now (): number {
  return performance.timeOrigin + performance.now()
}

export async function bounded<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`${what} still pending after ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
