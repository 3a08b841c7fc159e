/**
 * `npm run bench:wire`: what one small request and its answer cost in CPU on a kept libp2p stream, with the
 * stock TCP transport, Noise and yamux against netget's components (`src/node/coalescing-tcp.ts`,
 * `src/node/noise-framing.ts`, `src/node/yamux-window.ts`), each alone, the transport and muxer together, and all
 * three. Two processes (this one and a forked echo server); 20 kept streams; 2 000 exchanges of 100 bytes a second
 * for 10 s per run; the variants interleaved, `--rounds` times (3), so that the machine's noise falls on all of
 * them (`--only 'a,b'`: those variants and stock). CPU is user + system of both processes, per exchange.
 * Prints a table and writes bench/results/wire.json (`--json FILE`).
 */
import { fork } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { coalescingTcp } from '../src/node/coalescing-tcp.js'
import { quietLogger } from '../src/node/logger.js'
import { cheapFramingNoise } from '../src/node/noise-framing.js'
import { halfWindowYamux } from '../src/node/yamux-window.js'
import { runEnvironment, summarize } from './stats.js'
import type { Libp2p, Stream } from '@libp2p/interface'

const PROTOCOL = '/netget-bench/echo/1.0.0'
const STREAMS = 20
const RATE = 2000
const SECONDS = 10
const PAYLOAD = new Uint8Array(100)
const VARIANTS = [
  { name: 'stock', coalesce: false, halfWindow: false, framing: false },
  { name: 'coalescing-tcp', coalesce: true, halfWindow: false, framing: false },
  { name: 'yamux-window', coalesce: false, halfWindow: true, framing: false },
  { name: 'noise-framing', coalesce: false, halfWindow: false, framing: true },
  { name: 'tcp + yamux', coalesce: true, halfWindow: true, framing: false },
  { name: 'netget (all)', coalesce: true, halfWindow: true, framing: true }
] as const
type Variant = typeof VARIANTS[number]

async function node (variant: Variant): Promise<Libp2p> {
  const socket = { inboundSocketInactivityTimeout: 0, outboundSocketInactivityTimeout: 0 }
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [variant.coalesce ? coalescingTcp(socket) : tcp(socket)],
    connectionEncrypters: [variant.framing ? cheapFramingNoise() : noise()],
    streamMuxers: [variant.halfWindow ? halfWindowYamux({ enableKeepAlive: false }) : yamux({ enableKeepAlive: false })],
    connectionMonitor: { enabled: false },
    logger: quietLogger()
  })
}

async function server (variant: Variant): Promise<void> {
  const n = await node(variant)
  await n.handle(PROTOCOL, async stream => {
    for await (const chunk of stream) stream.send(chunk)
  }, { maxInboundStreams: STREAMS * 2 })
  let base = process.cpuUsage()
  process.on('message', message => {
    if (message === 'start') {
      base = process.cpuUsage()
      return
    }
    process.send?.(process.cpuUsage(base), () => { void Promise.resolve(n.stop()).then(() => process.exit(0)) })
  })
  process.send?.(n.getMultiaddrs()[0].toString())
}

interface Run { variant: string, exchanges: number, cpuUsPerExchange: number, systemUsPerExchange: number }

async function run (variant: Variant): Promise<Run> {
  const child = fork(fileURLToPath(import.meta.url), ['--server', variant.name], { execArgv: process.execArgv })
  const killer = setTimeout(() => { child.kill('SIGKILL') }, 60_000)
  try {
    const addr = await new Promise<string>((resolve, reject) => {
      child.once('message', m => { resolve(m as string) })
      child.once('exit', code => { reject(new Error(`echo server exited (${code})`)) })
    })
    const client = await node(variant)
    const streams: Stream[] = await Promise.all(Array.from({ length: STREAMS }, async () => client.dialProtocol(multiaddr(addr), PROTOCOL, { signal: AbortSignal.timeout(5000) })))
    const readers = streams.map(s => s[Symbol.asyncIterator]())
    child.send('start')
    const start = process.cpuUsage()
    let exchanges = 0
    const end = performance.now() + SECONDS * 1000
    while (performance.now() < end) {
      const tick = performance.now()
      await Promise.all(Array.from({ length: RATE / 100 }, async (_, i) => {
        streams[i % STREAMS].send(PAYLOAD)
        await readers[i % STREAMS].next()
        exchanges++
      }))
      const wait = 10 - (performance.now() - tick)
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
    }
    const mine = process.cpuUsage(start)
    const theirs = await new Promise<NodeJS.CpuUsage>(resolve => { child.once('message', m => { resolve(m as NodeJS.CpuUsage) }); child.send('cpu') })
    await client.stop()
    return {
      variant: variant.name,
      exchanges,
      cpuUsPerExchange: Math.round((mine.user + mine.system + theirs.user + theirs.system) / exchanges),
      systemUsPerExchange: Math.round((mine.system + theirs.system) / exchanges)
    }
  } finally {
    clearTimeout(killer)
    if (child.exitCode === null) child.kill()
  }
}

const { values } = parseArgs({ options: { server: { type: 'string' }, rounds: { type: 'string', default: '3' }, json: { type: 'string' }, only: { type: 'string' } } })
if (values.server !== undefined) {
  const variant = VARIANTS.find(v => v.name === values.server)
  if (variant === undefined) throw new Error(`unknown variant ${values.server}`)
  await server(variant)
} else {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const environment = runEnvironment(root)
  // --only 'tcp + yamux,netget (all)': those variants and stock alone (a closer comparison in the same time), written
  // to --json only: bench/results/wire.json keeps a run of every variant.
  const wanted = values.only?.split(',').map(name => name.trim())
  const unknown = wanted?.filter(name => !VARIANTS.some(v => v.name === name)) ?? []
  if (unknown.length > 0) throw new Error(`--only: no variant ${unknown.map(n => `"${n}"`).join(', ')} (variants: ${VARIANTS.map(v => v.name).join(', ')})`)
  if (wanted !== undefined && values.json === undefined) throw new Error('--only needs --json FILE: bench/results/wire.json keeps a run of every variant')
  const variants = VARIANTS.filter(v => v.name === 'stock' || wanted === undefined || wanted.includes(v.name))
  const runs: Run[] = []
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const variant of variants) runs.push(await run(variant))
  }
  const stock = summarize(runs.filter(r => r.variant === 'stock').map(r => r.cpuUsPerExchange))?.p50 ?? Number.NaN
  const results = variants.map(v => {
    const mine = runs.filter(r => r.variant === v.name)
    const cpu = summarize(mine.map(r => r.cpuUsPerExchange))
    const system = summarize(mine.map(r => r.systemUsPerExchange))
    return { variant: v.name, runs: mine.length, cpuUsPerExchange: { median: cpu?.p50, min: cpu?.min, max: cpu?.max }, systemUsPerExchange: { median: system?.p50 }, vsStock: cpu === null ? null : Number((cpu.p50 / stock).toFixed(2)) }
  })
  console.log(`wire: CPU of both ends per 100-byte request/response on a kept stream (${STREAMS} streams, ${RATE}/s, ${SECONDS} s × ${values.rounds} rounds)`)
  console.log('variant            cpu µs (median, min–max)   system µs   vs stock')
  for (const r of results) {
    console.log(`${r.variant.padEnd(18)} ${String(r.cpuUsPerExchange.median).padStart(6)} (${r.cpuUsPerExchange.min}–${r.cpuUsPerExchange.max})`.padEnd(46) + `${String(r.systemUsPerExchange.median).padStart(6)}   ${r.vsStock}`)
  }
  const file = resolve(root, values.json ?? 'bench/results/wire.json')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify({ environment, results, runs }, null, 2)}\n`)
  console.log(`json: ${file}`)
}
