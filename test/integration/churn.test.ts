/**
 * Churn without unhandled rejections: services and a registry stop (cleanly or by crashing) and start while a
 * client discovers in a loop, all in one process. Any promise rejection nobody handled is a bug: in an
 * application it crashes the process (Node's default) or is silently lost.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { NotStartedError } from '../../src/index.js'
import { TestNetwork } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'

const NAMES = ['Alpha', 'Beta', 'Gamma', 'Delta']
const FAST = { healthInterval: 300, healthTimeout: 500, recordTtl: 6000 }

/** Stops the libp2p node underneath, without the withdrawal a stop() publishes: a crash. */
async function crash (node: Netget): Promise<void> {
  await (node as unknown as { running?: { node: { stop(): Promise<void> } } }).running?.node.stop()
}

describe('churn', () => {
  const net = new TestNetwork()
  const rejections: unknown[] = []
  const onRejection = (reason: unknown): void => { rejections.push(reason) }
  process.on('unhandledRejection', onRejection)
  after(async () => {
    await net.stopAll()
    process.off('unhandledRejection', onRejection)
  })

  it('no unhandled rejection while services and a registry stop and start during discovery', async t => {
    const { nodes: registries, addrs } = await net.registries(6, 'development', FAST)
    const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]
    // Five at a time: twenty nodes starting at once beside the rest of the suite once starved one another past the
    // 3-s request deadline of their first registration, before any churn (CI, 2026-11-29).
    let services: Netget[] = []
    for (let i = 0; i < 20; i += 5) {
      services.push(...await Promise.all(Array.from({ length: 5 }, async (_, j) => net.service(NAMES[(i + j) % NAMES.length], [pick(addrs)], FAST))))
    }
    const client = net.node({ registryNodes: addrs, ...FAST })

    let churning = true
    let discoveries = 0
    let found = 0
    const failures = new Set<string>()
    const discovering = (async () => {
      while (churning) {
        for (const name of NAMES) {
          // A discovery may fail during churn (no registry answered in time): that is an answer, not a crash.
          // Every other pass probes the instances too: dials to instances that are going away.
          found += await client.discoverServiceNode(name, { probe: Math.floor(discoveries / NAMES.length) % 2 === 0 }).then(r => r.length, (err: Error) => {
            // A client that stopped (its start failed) fails every call at once: say why, rather than spin.
            if (err instanceof NotStartedError) throw new Error(`the client stopped during churn; earlier failures: ${[...failures].join('; ')}`)
            failures.add(`${err.name}: ${err.message}`.slice(0, 300))
            return 0
          })
          discoveries++
          // Yield to timers each time: a discovery that fails at once must not starve the loop that ends the churn.
          await new Promise(resolve => setImmediate(resolve))
        }
      }
    })()
    discovering.catch(() => {})

    // About 50 rounds alone, 5–15 while the rest of the suite runs: round 5 brings a registry back. At least 6
    // rounds, however loaded the machine (a round's length is the machine's, not netget's), within 30 s.
    const ends = Date.now() + 5000
    const bound = Date.now() + 30_000
    let round = 0
    while ((Date.now() < ends || round <= 5) && Date.now() < bound) {
      round++
      const victim = pick(services)
      services = services.filter(s => s !== victim)
      // Alternate clean stops and crashes; don't wait for them, so that stops overlap with starts and lookups.
      const stopping = round % 2 === 0 ? victim.stop() : crash(victim)
      const replacement = net.service(pick(NAMES), [pick(addrs)], FAST).then(s => { services.push(s) }, () => {})
      // Nodes stopped while they start, register and discover: pending dials and requests are cut short.
      const early = net.node({ metadata: { name: pick(NAMES) }, registryNodes: [pick(addrs)], ...FAST })
      const registering = early.registerWithNetwork().catch(() => {})
      const shortClient = net.node({ registryNodes: [pick(addrs)], ...FAST })
      const shortDiscovery = shortClient.discoverServiceNode(pick(NAMES)).catch(() => [])
      await Promise.all([early.stop(), shortClient.stop(), registering, shortDiscovery])
      if (round === 2) await crash(registries[5])
      if (round === 3) await registries[5].stop()
      if (round === 5) {
        const again = net.node({ nodeType: 'registry', registryNodes: addrs.slice(0, 5), ...FAST })
        await again.start()
      }
      await Promise.all([stopping, replacement])
    }
    churning = false
    await discovering
    t.diagnostic(`${round} rounds of churn, ${discoveries} discoveries`)
    // Stop everything one node at a time: each stop cuts the others' lookups and checks short, in every state.
    for (const node of [...net.nodes].sort(() => Math.random() - 0.5)) await node.stop()
    await net.stopAll()
    // Rejections surface as 'unhandledRejection' once the microtask queue drains after the rejecting tick:
    // give the last stops' timers a moment to fire (bounded; nothing waits on it).
    await new Promise(resolve => setTimeout(resolve, 300))

    assert.ok(round > 5, `only ${round} rounds of churn`)
    // Two passes over the names at least: one that probes the instances and one that does not. How many more fit
    // in 5 s depends on the machine's load (CI ran 20 with four test files at once), not on netget.
    assert.ok(discoveries >= 2 * NAMES.length, `only ${discoveries} discoveries`)
    assert.ok(found > 0)
    assert.deepEqual(rejections.map(r => (r as Error)?.stack ?? String(r)), [])
  })
})
