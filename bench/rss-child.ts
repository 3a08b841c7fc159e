/**
 * One node in its own process, for its resident set size:
 *   node --expose-gc --import tsx bench/rss-child.ts <mode> [settleMs] [bootstrap...]
 * mode: bare (Node + tsx only) | netget-loaded (netget imported, no node) | registry | service | hyperdht
 *       | netget-many <n> | hyperdht-many <n>
 * registry/service take netget registry multiaddrs; hyperdht takes host:port bootstrap nodes (127.0.0.1 only).
 * Prints one JSON line {mode, rssMb, heapUsedMb, startMs} after the node settled, stops it, and exits.
 * The -many modes build their own network in this process (netget: 2 registries; hyperdht: a testnet with
 * 2 storing nodes), read RSS, add n services / n announcing DHT nodes, settle, read again, and report
 * {perNodeMb, heapPerNodeMb, beforeMb, afterMb} as well.
 */
import { MB, settledMemory, sleep } from './stats.js'

const [mode = 'bare', settleArg = '1000', ...peers] = process.argv.slice(2)
const settleMs = Number(settleArg)

// Whatever happens, this process ends by itself.
const watchdog = setTimeout(() => {
  process.stderr.write(`rss-child ${mode}: watchdog fired\n`)
  process.exit(3)
}, 30_000)
watchdog.unref()

function report (startMs: number, memory: { rss: number, heapUsed: number }): void {
  process.stdout.write(JSON.stringify({ mode, rssMb: memory.rss / MB, heapUsedMb: memory.heapUsed / MB, startMs }) + '\n')
}

async function main (): Promise<void> {
  const many = mode.endsWith('-many')
  if (!many && peers.some(p => !p.startsWith('/ip4/127.0.0.1/') && !p.startsWith('127.0.0.1:'))) throw new Error('loopback peers only')
  const t0 = performance.now()
  if (mode === 'bare') {
    await sleep(settleMs)
    report(0, await settledMemory())
    return
  }
  if (mode === 'netget-many') return await netgetMany(Number(peers[0] ?? 50))
  if (mode === 'hyperdht-many') return await hyperdhtMany(Number(peers[0] ?? 50))
  if (mode === 'hyperdht') {
    const { default: DHT } = await import('hyperdht')
    const dht = new DHT({
      ephemeral: true,
      host: '127.0.0.1',
      bootstrap: peers.map(p => {
        const [host, port] = p.split(':')
        return { host, port: Number(port) }
      })
    })
    try {
      await dht.fullyBootstrapped()
      // Like a service registering: announce one key pair under a topic.
      await dht.announce(DHT.hash(Buffer.from('rss-child')), DHT.keyPair()).finished()
      const startMs = performance.now() - t0
      await sleep(settleMs)
      report(startMs, await settledMemory())
    } finally {
      await dht.destroy()
    }
    return
  }
  const { Netget } = await import('../src/index.js')
  if (mode === 'netget-loaded') {
    await sleep(settleMs)
    report(0, await settledMemory())
    return
  }
  if (mode !== 'registry' && mode !== 'service') throw new Error(`unknown mode ${mode}`)
  const node = new Netget({
    nodeType: mode,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    registryNodes: peers,
    ...(mode === 'service' ? { metadata: { name: 'rss-child' } } : {})
  })
  try {
    if (mode === 'service') await node.registerWithNetwork()
    else await node.start()
    const startMs = performance.now() - t0
    await sleep(settleMs)
    report(startMs, await settledMemory())
  } finally {
    await node.stop()
  }
}

function reportMany (count: number, startMs: number, before: { rss: number, heapUsed: number }, after: { rss: number, heapUsed: number }): void {
  process.stdout.write(JSON.stringify({
    mode,
    rssMb: after.rss / MB,
    heapUsedMb: after.heapUsed / MB,
    startMs,
    nodes: count,
    beforeMb: before.rss / MB,
    afterMb: after.rss / MB,
    perNodeMb: (after.rss - before.rss) / count / MB,
    heapPerNodeMb: (after.heapUsed - before.heapUsed) / count / MB
  }) + '\n')
}

async function netgetMany (count: number): Promise<void> {
  const { Netget } = await import('../src/index.js')
  const listen = ['/ip4/127.0.0.1/tcp/0']
  const nodes: InstanceType<typeof Netget>[] = []
  try {
    const r1 = new Netget({ nodeType: 'registry', listen })
    nodes.push(r1)
    await r1.start()
    const r2 = new Netget({ nodeType: 'registry', listen, registryNodes: r1.getMultiaddrs() })
    nodes.push(r2)
    await r2.start()
    const registries = [...r1.getMultiaddrs(), ...r2.getMultiaddrs()]
    await sleep(300)
    const before = await settledMemory()
    const t0 = performance.now()
    for (let i = 0; i < count; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, count - i) }, async (_, j) => {
        const s = new Netget({ metadata: { name: `svc-${(i + j) % 5}` }, registryNodes: registries, listen })
        nodes.push(s)
        await s.registerWithNetwork()
      }))
    }
    const startMs = performance.now() - t0
    await sleep(settleMs)
    reportMany(count, startMs, before, await settledMemory())
  } finally {
    await Promise.all(nodes.filter(n => n.nodeType === 'service').map(async n => n.stop()))
    await Promise.all(nodes.filter(n => n.nodeType === 'registry').map(async n => n.stop()))
  }
}

async function hyperdhtMany (count: number): Promise<void> {
  const { default: DHT } = await import('hyperdht')
  const { default: createTestnet } = await import('hyperdht/testnet.js')
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  try {
    await sleep(300)
    const before = await settledMemory()
    const t0 = performance.now()
    for (let i = 0; i < count; i += 10) {
      await Promise.all(Array.from({ length: Math.min(10, count - i) }, async (_, j) => {
        const node = testnet.createNode()
        await node.fullyBootstrapped()
        await node.announce(DHT.hash(Buffer.from(`svc-${(i + j) % 5}`)), DHT.keyPair()).finished()
      }))
    }
    const startMs = performance.now() - t0
    await sleep(settleMs)
    reportMany(count, startMs, before, await settledMemory())
  } finally {
    await testnet.destroy()
  }
}

main().then(() => {
  clearTimeout(watchdog)
  // libp2p/hyperdht may leave short timers behind after stop; exit without waiting for them.
  setTimeout(() => process.exit(0), 50).unref()
}, err => {
  process.stderr.write(`rss-child ${mode}: ${(err as Error).stack ?? err}\n`)
  process.exit(1)
})
