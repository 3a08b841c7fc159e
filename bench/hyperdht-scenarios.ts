/**
 * The same scenarios on HyperDHT, what a user would pick instead, with its own testnet helper on 127.0.0.1.
 * A testnet of size S has one bootstrapper, which stays ephemeral (stores nothing), and S − 1 storing nodes:
 * `storing` = 2 has the shape of netget's 2 registries.
 * 50 instances = 50 ephemeral DHT nodes, each announcing its own key pair under svc-<i mod 5> (10 per topic),
 * then under svc-all (50). A lookup reply carries at most 20 records per DHT node (hyperdht's persistent.js):
 * with 2 storing nodes a lookup cannot return all 50; `found` says how many it did.
 * a× (runHyperdhtSeparate): the testnet's 3 nodes each in a child process of its own (bench/hyperdht-node-child.ts,
 * built as testnet.js builds them), 10 announcers of one topic and the client in this process.
 */
import { CHILD_READY_TIMEOUT_MS, spawnChild, stopChildren } from './children.js'
import { counts, summarize, timeFresh, withTimeout } from './stats.js'
import type { CliChild } from '../scripts/lib/cli-child.js'
import type { LatencyResult, SeparateConfig } from './netget-scenarios.js'
import type { Counts, Summary } from './stats.js'
import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'

export interface HyperdhtConfig {
  storing: number
  names: number
  perName: number
  warmup: number
  samples: number
  freshSamples: number
  announceSamples: number
  pollMaxAttempts: number
  pollMaxMs: number
}

export interface HyperdhtResults {
  label: string
  storing: number
  layout: string
  setupMs: number
  /** First announce of the 50 set-up instances, 10 nodes at a time. */
  announceEach: Summary | null
  lookup10: LatencyResult
  lookup50: LatencyResult
  fresh: LatencyResult & { destroy: Summary | null }
  announceToDiscoverable: LatencyResult & { attempts: Counts | null, announce: Summary | null, gaveUp: number }
  bootstrap: string[]
}

type Log = (line: string) => void

type DHTClass = typeof DHT

async function lookupAll (dht: DHT, topic: Buffer): Promise<Set<string>> {
  const seen = new Set<string>()
  for await (const reply of dht.lookup(topic)) {
    for (const peer of reply.peers) seen.add(peer.publicKey.toString('hex'))
  }
  return seen
}

async function timeLookups (dht: DHT, topic: Buffer, expected: number, samples: number, warmup: number): Promise<LatencyResult> {
  for (let i = 0; i < warmup; i++) await withTimeout(lookupAll(dht, topic), 10_000, 'lookup')
  const times: number[] = []
  const found: number[] = []
  let failures = 0
  let firstError: string | undefined
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now()
    try {
      const seen = await withTimeout(lookupAll(dht, topic), 10_000, 'lookup')
      times.push(performance.now() - t0)
      found.push(seen.size)
      if (seen.size < expected) failures++
    } catch (err) {
      failures++
      firstError ??= (err as Error).message
    }
  }
  return { summary: summarize(times), found: counts(found), failures, ...(firstError !== undefined ? { firstError } : {}) }
}

async function mapLimit<T> (count: number, limit: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++
      out[i] = await fn(i)
    }
  }))
  return out
}

/** Loads hyperdht; null (with the reason) when it is not installed. */
export async function loadHyperdht (): Promise<{ DHT: DHTClass, createTestnet: typeof import('hyperdht/testnet.js').default, version: string } | { error: string }> {
  try {
    const { default: DHT } = await import('hyperdht')
    const { default: createTestnet } = await import('hyperdht/testnet.js')
    const { createRequire } = await import('node:module')
    const version = (createRequire(import.meta.url)('hyperdht/package.json') as { version: string }).version
    return { DHT, createTestnet, version }
  } catch (err) {
    return { error: `hyperdht could not be loaded (${(err as Error).message}); install it with npm i -D hyperdht` }
  }
}

export async function runHyperdht (
  lib: { DHT: DHTClass, createTestnet: typeof import('hyperdht/testnet.js').default },
  config: HyperdhtConfig,
  log: Log,
  during?: (bootstrap: string[]) => Promise<void>
): Promise<HyperdhtResults> {
  const { DHT, createTestnet } = lib
  const total = config.names * config.perName
  const setup0 = performance.now()
  const testnet = await withTimeout(createTestnet(config.storing + 1, { host: '127.0.0.1' }), 20_000, 'hyperdht testnet')
  try {
    const offLoopback = testnet.nodes.map(n => n.address().host).filter(h => h !== '127.0.0.1')
    if (offLoopback.length > 0) throw new Error(`hyperdht testnet bound to ${offLoopback.join(', ')}, not loopback only`)
    const bootstrap = testnet.bootstrap.map(b => `${b.host}:${b.port}`)
    const client = testnet.createNode()
    await withTimeout(client.fullyBootstrapped(), 10_000, 'client bootstrap')

    const topic = (name: string): Buffer => DHT.hash(Buffer.from(`netget-bench/${name}`))
    const keyPairs: KeyPair[] = []
    const announceTimes: number[] = []
    await mapLimit(total, 10, async i => {
      const node = testnet.createNode()
      await withTimeout(node.fullyBootstrapped(), 10_000, 'announcer bootstrap')
      const keyPair = DHT.keyPair()
      keyPairs[i] = keyPair
      const t0 = performance.now()
      await withTimeout(node.announce(topic(`svc-${i % config.names}`), keyPair).finished(), 10_000, 'announce')
      announceTimes.push(performance.now() - t0)
      await withTimeout(node.announce(topic('svc-all'), keyPair).finished(), 10_000, 'announce')
    })
    const setupMs = performance.now() - setup0
    log(`  hyperdht (${config.storing} storing nodes): testnet + ${total} announcers in ${setupMs.toFixed(0)} ms`)
    for (const node of testnet.nodes) {
      if (node.address().host !== '127.0.0.1') throw new Error(`a hyperdht node bound to ${node.address().host}`)
    }

    await lookupAll(client, topic('svc-0'))
    const lookup10 = await timeLookups(client, topic('svc-0'), config.perName, config.samples, config.warmup)
    log(`  a. lookup ${config.perName}: p50 ${lookup10.summary?.p50.toFixed(3)} ms, found ${lookup10.found?.min}–${lookup10.found?.max}`)
    const lookup50 = await timeLookups(client, topic('svc-all'), total, config.samples, config.warmup)
    log(`  a. lookup ${total}: p50 ${lookup50.summary?.p50.toFixed(3)} ms, found ${lookup50.found?.min}–${lookup50.found?.max}`)

    // c. A fresh client: new DHT, bootstrap, first lookup of svc-0 to the end; destroy timed apart.
    const fresh = await timeFresh(config.freshSamples, config.perName, async closeWith => {
      const client = new DHT({ ephemeral: true, bootstrap: testnet.bootstrap, host: '127.0.0.1' })
      closeWith(async () => { await withTimeout(client.destroy(), 10_000, 'destroy').catch(() => {}) })
      await withTimeout(client.fullyBootstrapped(), 10_000, 'fresh bootstrap')
      return (await withTimeout(lookupAll(client, topic('svc-0')), 10_000, 'fresh lookup')).size
    })
    log(`  c. fresh client first result: p50 ${fresh.summary?.p50.toFixed(3)} ms`)

    // d. announce resolved → the connected client's lookup returns the new key (a new topic per sample:
    // hyperdht lookups are never cached, and a topic with > 20 records would hide a new one at random).
    const announcer = testnet.createNode()
    await withTimeout(announcer.fullyBootstrapped(), 10_000, 'announcer bootstrap')
    const visible: number[] = []
    const attempts: number[] = []
    const announceD: number[] = []
    const dFound: number[] = []
    let gaveUp = 0
    let dFailures = 0
    let dError: string | undefined
    const dWarmup = Math.min(2, config.announceSamples)
    for (let i = 0; i < config.announceSamples + dWarmup; i++) {
      const keyPair = DHT.keyPair()
      const key = keyPair.publicKey.toString('hex')
      const t = topic(`svc-new-${i}`)
      try {
        const a0 = performance.now()
        await withTimeout(announcer.announce(t, keyPair).finished(), 10_000, 'announce')
        const t0 = performance.now()
        const deadline = t0 + config.pollMaxMs
        let n = 0
        let seenAt: number | undefined
        let lastCount = 0
        while (n < config.pollMaxAttempts && performance.now() < deadline) {
          n++
          const seen = await withTimeout(lookupAll(client, t), 10_000, 'lookup')
          if (seen.has(key)) {
            seenAt = performance.now()
            lastCount = seen.size
            break
          }
        }
        if (i >= dWarmup) {
          announceD.push(t0 - a0)
          attempts.push(n)
          if (seenAt === undefined) gaveUp++
          else {
            visible.push(seenAt - t0)
            dFound.push(lastCount)
          }
        }
      } catch (err) {
        if (i >= dWarmup) dFailures++
        dError ??= (err as Error).message
      }
    }
    log(`  d. announce → discoverable: p50 ${summarize(visible)?.p50.toFixed(3)} ms`)

    await during?.(bootstrap)

    return {
      label: `HyperDHT ${config.storing}n`,
      storing: config.storing,
      layout: `hyperdht testnet of ${config.storing + 1} (1 bootstrapper + ${config.storing} storing nodes); ${total} announcer nodes ` +
        `(${config.names} topics × ${config.perName}, then all ${total} under one topic); 1 bootstrapped client; all on 127.0.0.1`,
      setupMs,
      announceEach: summarize(announceTimes),
      lookup10,
      lookup50,
      fresh: { summary: fresh.summary, found: fresh.found, failures: fresh.failures, destroy: fresh.close, ...(fresh.firstError !== undefined ? { firstError: fresh.firstError } : {}) },
      announceToDiscoverable: {
        summary: summarize(visible),
        found: counts(dFound),
        failures: dFailures,
        attempts: counts(attempts),
        announce: summarize(announceD),
        gaveUp,
        ...(dError !== undefined ? { firstError: dError } : {})
      },
      bootstrap
    }
  } finally {
    await withTimeout(testnet.destroy(), 20_000, 'testnet destroy').catch(err => { log(`  warning: ${(err as Error).message}`) })
  }
}

export interface HyperdhtSeparateResults {
  label: string
  layout: string
  setupMs: number
  /** Spawn → `listening` line of each node process. */
  nodeStartMs: number[]
  lookup10: LatencyResult
  /** c×: a fresh ephemeral node's new DHT → bootstrapped → first lookup with every record. */
  fresh: LatencyResult
  bootstrap: string[]
}

/**
 * a×: the shape of the 2-storing-node testnet (a first node + 2 more, ephemeral: false), each node in a child
 * process of its own; `perName` ephemeral announcers of one topic and one bootstrapped client in this process.
 */
export async function runHyperdhtSeparate (lib: { DHT: DHTClass }, config: SeparateConfig, log: Log): Promise<HyperdhtSeparateResults> {
  const { DHT } = lib
  const children: CliChild[] = []
  const nodes: DHT[] = []
  const storing = 2
  try {
    const setup0 = performance.now()
    const bootstrap: string[] = []
    const nodeStartMs: number[] = []
    for (let i = 0; i < storing + 1; i++) {
      const t0 = performance.now()
      const child = spawnChild(`hyperdht-node-${i + 1}`, bootstrap.slice(0, 1), 'bench/hyperdht-node-child.ts')
      children.push(child)
      const [, address] = await child.waitForLine(/^listening (\S+)$/, CHILD_READY_TIMEOUT_MS)
      if (!address.startsWith('127.0.0.1:')) throw new Error(`hyperdht-node-${i + 1} bound off loopback: ${address}`)
      bootstrap.push(address)
      nodeStartMs.push(performance.now() - t0)
    }
    log(`  a×. ${storing + 1} hyperdht node processes up (pids ${children.map(c => c.pid).join(', ')}) in ${nodeStartMs.map(ms => ms.toFixed(0)).join(' + ')} ms`)
    const [host, port] = bootstrap[0].split(':')
    const createNode = (): DHT => {
      const node = new DHT({ ephemeral: true, bootstrap: [{ host, port: Number(port) }], host: '127.0.0.1' })
      nodes.push(node)
      return node
    }
    const topic = DHT.hash(Buffer.from('netget-bench/svc-proc'))
    await Promise.all(Array.from({ length: config.perName }, async () => {
      const node = createNode()
      await withTimeout(node.fullyBootstrapped(), 10_000, 'announcer bootstrap')
      await withTimeout(node.announce(topic, DHT.keyPair()).finished(), 10_000, 'announce')
    }))
    const client = createNode()
    await withTimeout(client.fullyBootstrapped(), 10_000, 'client bootstrap')
    for (const node of nodes) {
      if (node.address().host !== '127.0.0.1') throw new Error(`a hyperdht node bound to ${node.address().host}`)
    }
    const setupMs = performance.now() - setup0
    const first = await withTimeout(lookupAll(client, topic), 10_000, 'lookup')
    if (first.size < config.perName) throw new Error(`the client's lookup returns ${first.size} records, expected ${config.perName}`)
    log(`  a×. hyperdht: ${config.perName} announcers + client in ${setupMs.toFixed(0)} ms`)

    const warmDeadline = performance.now() + config.maxMs
    for (let i = 0; i < config.warmup && performance.now() < warmDeadline; i++) await withTimeout(lookupAll(client, topic), 10_000, 'lookup')
    const lookup10 = await timeLookups(client, topic, config.perName, config.samples, 0)
    log(`  a×. hyperdht lookup ${config.perName}, node processes: p50 ${lookup10.summary?.p50.toFixed(3)} ms, found ${lookup10.found?.min}–${lookup10.found?.max}`)

    // c×. Fresh clients against the node processes, as netget's: new DHT → bootstrapped → first full lookup.
    const fresh = await timeFresh(config.freshSamples, config.perName, async closeWith => {
      const client = new DHT({ ephemeral: true, bootstrap: [{ host, port: Number(port) }], host: '127.0.0.1' })
      closeWith(async () => { await withTimeout(client.destroy(), 10_000, 'destroy').catch(() => {}) })
      await withTimeout(client.fullyBootstrapped(), 10_000, 'fresh bootstrap')
      return (await withTimeout(lookupAll(client, topic), 10_000, 'fresh lookup')).size
    })
    log(`  c×. hyperdht fresh client first result, node processes: p50 ${fresh.summary?.p50.toFixed(3)} ms`)
    return {
      label: `HyperDHT ${storing}n`,
      layout: `hyperdht testnet shape of ${storing + 1} (first node + ${storing}), each node in a child process of its own (bench/hyperdht-node-child.ts); ` +
        `${config.perName} announcer nodes of one topic and 1 bootstrapped client in the benchmark process; all on 127.0.0.1`,
      setupMs,
      nodeStartMs,
      lookup10,
      fresh: { summary: fresh.summary, found: fresh.found, failures: fresh.failures, ...(fresh.firstError !== undefined ? { firstError: fresh.firstError } : {}) },
      bootstrap
    }
  } finally {
    for (const node of nodes.reverse()) await withTimeout(node.destroy(), 10_000, 'destroy').catch(err => { log(`  warning: ${(err as Error).message}`) })
    await stopChildren(children, log)
  }
}
