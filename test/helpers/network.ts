/**
 * A real local test network: registries and services as real libp2p nodes on loopback TCP in this process.
 * Every node created here is stopped by `stopAll()` (call it in `after`/`afterEach`).
 */
import { Netget } from '../../src/index.js'
import type { NetgetOptions } from '../../src/index.js'

export const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']

export class TestNetwork {
  readonly nodes: Netget[] = []

  node (options: NetgetOptions = {}): Netget {
    const node = new Netget({ listen: LOOPBACK, ...options })
    this.nodes.push(node)
    return node
  }

  /** Starts `count` registries of `network`, each bootstrapped from the previous ones; returns their multiaddrs. */
  async registries (count: number, network = 'development', options: NetgetOptions = {}): Promise<{ nodes: Netget[], addrs: string[] }> {
    const nodes: Netget[] = []
    const addrs: string[] = []
    for (let i = 0; i < count; i++) {
      const registry = this.node({ nodeType: 'registry', network, registryNodes: [...addrs], ...options })
      await registry.start()
      nodes.push(registry)
      addrs.push(registry.getMultiaddrs()[0])
    }
    return { nodes, addrs }
  }

  /** Starts and registers one service instance. */
  async service (name: string, registryNodes: string[], options: NetgetOptions = {}): Promise<Netget> {
    const service = this.node({ metadata: { name, ...(options.metadata ?? {}) }, registryNodes, ...withoutMetadata(options) })
    await service.registerWithNetwork()
    return service
  }

  /**
   * Starts and registers `count` instances, `concurrency` at a time: dozens of nodes starting at once in one
   * process (Noise handshakes, key generation) can starve each other past a request deadline on a loaded machine.
   */
  async services (count: number, name: (i: number) => string, registryNodes: string[], options: NetgetOptions = {}, concurrency = 16): Promise<Netget[]> {
    const started: Netget[] = []
    for (let i = 0; i < count; i += concurrency) {
      const batch = Array.from({ length: Math.min(concurrency, count - i) }, async (_, j) => this.service(name(i + j), registryNodes, options))
      started.push(...await Promise.all(batch))
    }
    return started
  }

  async stopAll (): Promise<void> {
    await Promise.all(this.nodes.splice(0).map(async n => n.stop()))
  }
}

function withoutMetadata (options: NetgetOptions): NetgetOptions {
  const { metadata: _ignored, ...rest } = options
  return rest
}

/** Resolves with the first event of `type` on `target` that satisfies `accept`, or rejects after `timeout` ms. */
export async function waitForEvent<T> (target: EventTarget, type: string, timeout: number, accept: (detail: T) => boolean = () => true): Promise<T> {
  const { promise, resolve, reject } = Promise.withResolvers<T>()
  const listener = (evt: Event): void => {
    const detail = (evt as CustomEvent<T>).detail
    if (accept(detail)) resolve(detail)
  }
  target.addEventListener(type, listener)
  const timer = setTimeout(() => { reject(new Error(`no "${type}" event within ${timeout} ms`)) }, timeout)
  try {
    return await promise
  } finally {
    clearTimeout(timer)
    target.removeEventListener(type, listener)
  }
}

/** Polls `check` every `interval` ms until it returns a value other than undefined, or fails after `timeout` ms. */
export async function eventually<T> (check: () => Promise<T | undefined>, timeout: number, interval = 50): Promise<T> {
  const deadline = Date.now() + timeout
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    await new Promise(resolve => setTimeout(resolve, interval))
  }
  throw new Error(`condition not met within ${timeout} ms${last !== undefined ? `: ${(last as Error).message}` : ''}`)
}

/**
 * The answers a registry's prober got, per instance: each new `health.lastSeen` of the records it holds, seen by
 * polling `listRecords()` every `interval` ms (probes of one instance are ≥ 100 ms apart in the tests), and
 * `onProbe` called at each with the instance's peer id.
 */
export function watchProbes (registry: Netget, onProbe: (peerId: string) => void = () => {}, interval = 5): { count: (peerId: string) => number, times: (peerId: string) => number[], stop: () => void } {
  const seen = new Map<string, number[]>()
  const timer = setInterval(() => {
    for (const record of registry.listRecords()) {
      const at = record.health.lastSeen
      if (at === undefined) continue
      const times = seen.get(record.peerId) ?? []
      if (times.at(-1) === at) continue
      times.push(at)
      seen.set(record.peerId, times)
      onProbe(record.peerId)
    }
  }, interval)
  timer.unref()
  return {
    count: peerId => seen.get(peerId)?.length ?? 0,
    times: peerId => [...seen.get(peerId) ?? []],
    stop: () => { clearInterval(timer) }
  }
}
