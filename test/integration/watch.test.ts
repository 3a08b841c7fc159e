/**
 * watch(): events pushed by the registries as a service changes, in order; a resync after the watched registry
 * is stopped and another serves; the end on abort and on stop(); filters; discovery answered from the watch.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { TestNetwork, eventually, waitForEvent } from '../helpers/network.js'
import type { Netget, ServiceInstance, WatchEvent } from '../../src/index.js'

const FAST = { healthInterval: 200, healthTimeout: 300, unhealthyThreshold: 2 }

/** Reads events from a watch until `until` accepts the list, or fails after `timeout` ms. */
async function collect (events: AsyncIterator<WatchEvent>, until: (seen: WatchEvent[]) => boolean, timeout = 10_000, seen: WatchEvent[] = []): Promise<WatchEvent[]> {
  const limit = Date.now() + timeout
  while (!until(seen)) {
    const left = limit - Date.now()
    if (left <= 0) throw new Error(`watch: condition not met within ${timeout} ms; saw ${seen.map(show).join(', ')}`)
    let timer: ReturnType<typeof setTimeout> | undefined
    const next = await Promise.race([events.next(), new Promise<'timeout'>(resolve => { timer = setTimeout(() => { resolve('timeout') }, left) })])
    clearTimeout(timer)
    if (next === 'timeout') continue
    if (next.done === true) throw new Error(`watch ended; saw ${seen.map(show).join(', ')}`)
    seen.push(next.value)
  }
  return seen
}

function show (e: WatchEvent): string {
  return e.type === 'resync' ? `resync(${e.instances.length})` : `${e.type}(${e.instance.peerId.slice(-4)})`
}

const is = (type: WatchEvent['type'], peerId?: string) => (e: WatchEvent): boolean =>
  e.type === type && (peerId === undefined || (e.type !== 'resync' && e.instance.peerId === peerId))

describe('watch', () => {
  const net = new TestNetwork()
  afterEach(async () => { await net.stopAll() })

  it('yields up for every live instance, then up, changed and down as they happen, in order', async () => {
    const { addrs } = await net.registries(1, 'development', FAST)
    const first = await net.service('Ledger', addrs, { metadata: { name: 'Ledger', version: '1.0.0' } })
    const client = net.node({ registryNodes: addrs })
    const events = client.watch('Ledger')[Symbol.asyncIterator]()
    const seen = await collect(events, s => s.some(is('up', first.peerId)))
    assert.deepEqual(seen.map(e => e.type), ['up'])

    const second = await net.service('Ledger', addrs)
    await collect(events, s => s.some(is('up', second.peerId)), 10_000, seen)
    first.metadata = { name: 'Ledger', version: '1.1.0' }
    await first.registerWithNetwork()
    await collect(events, s => s.some(e => is('changed', first.peerId)(e) && e.type === 'changed' && e.instance.metadata.version === '1.1.0'), 10_000, seen)
    await second.stop()
    await collect(events, s => s.some(is('down', second.peerId)), 10_000, seen)
    const keys = seen.map(e => e.type === 'resync' ? 'resync' : `${e.type}:${e.instance.peerId === first.peerId ? 'first' : 'second'}`)
    // In this order; a health change (a first probe answer) may add a `changed` of either instance anywhere, so the
    // metadata change is found by its version, not as the first `changed` of the first instance.
    const renewed = seen.findIndex(e => is('changed', first.peerId)(e) && e.type === 'changed' && e.instance.metadata.version === '1.1.0')
    const order = [keys.indexOf('up:first'), keys.indexOf('up:second'), renewed, keys.indexOf('down:second')]
    assert.ok(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])), keys.join(', '))
    assert.ok(keys.every(k => ['up:first', 'up:second', 'changed:first', 'changed:second', 'down:second'].includes(k)), keys.join(', '))
    // While watched, discovery answers from the watch: the same set, no request.
    const requests = client.getStats().requests
    assert.deepEqual((await client.discoverServiceNode('Ledger')).map(i => i.peerId), [first.peerId])
    assert.equal(client.getStats().requests, requests)
    await events.return?.()
  })

  it('reports a health verdict change as changed, and a failing instance as down then up', async () => {
    const { addrs } = await net.registries(1, 'development', FAST)
    let ok = true
    const service = await net.service('Ledger', addrs, { healthCheckInterval: 100, healthChecks: { db: () => ok } })
    const client = net.node({ registryNodes: addrs })
    const events = client.watch('Ledger')[Symbol.asyncIterator]()
    const seen = await collect(events, s => s.some(e => e.type !== 'resync' && e.instance.health.status === 'passing'))
    ok = false
    await collect(events, s => s.some(is('down', service.peerId)), 10_000, seen)
    ok = true
    await collect(events, s => s.filter(is('up', service.peerId)).length >= 2, 10_000, seen)
    const last = seen.at(-1)
    assert.ok(last?.type === 'up' && last.instance.health.checks[0]?.passing === true)
    await events.return?.()
  })

  it('resyncs when the watched registry stops and another serves, with no instance lost', async () => {
    const { nodes, addrs } = await net.registries(3, 'development', { ...FAST, replicationFactor: 2 })
    const service = await net.service('Ledger', addrs, { replicationFactor: 2 })
    const client = net.node({ registryNodes: addrs, replicationFactor: 2 })
    const events = client.watch('Ledger')[Symbol.asyncIterator]()
    const seen = await collect(events, s => s.some(is('up', service.peerId)))
    // Stop one of the registries that hold the record (and that the watch follows).
    const holder = nodes.find(r => r.listRecords('Ledger').length > 0)
    assert.ok(holder !== undefined)
    await holder.stop()
    await collect(events, s => s.some(is('resync')), 20_000, seen)
    const resync = seen.find(is('resync'))
    assert.ok(resync?.type === 'resync')
    assert.deepEqual(resync.instances.map(i => i.peerId), [service.peerId])
    assert.equal(seen.filter(is('down')).length, 0, 'a live instance was reported down')
    // And it keeps following: a change after the resync arrives.
    service.metadata = { name: 'Ledger', build: 2 }
    await service.registerWithNetwork()
    await collect(events, s => s.some(e => e.type === 'changed' && e.instance.metadata.build === 2), 10_000, seen)
    await events.return?.()
  })

  it('ends on abort and on stop(), filters, and mirrors events on the node', async () => {
    const { addrs } = await net.registries(1, 'development', FAST)
    const eu = await net.service('Ledger', addrs, { metadata: { name: 'Ledger', tags: ['eu'] } })
    await net.service('Ledger', addrs, { metadata: { name: 'Ledger', tags: ['us'] } })
    const client: Netget = net.node({ registryNodes: addrs })
    const mirrored = waitForEvent<{ name: string }>(client, 'watch:up', 10_000, d => d.name === 'Ledger')
    const controller = new AbortController()
    const filtered = client.watch('Ledger', { tags: ['eu'], signal: controller.signal })[Symbol.asyncIterator]()
    const seen = await collect(filtered, s => s.some(is('up', eu.peerId)))
    await mirrored
    controller.abort()
    assert.deepEqual(await filtered.next(), { value: undefined, done: true })
    assert.ok(seen.every(e => e.type === 'up' && e.instance.peerId === eu.peerId))

    const open = client.watch('Ledger')[Symbol.asyncIterator]()
    await collect(open, s => s.length >= 2)
    const pending = open.next()
    await client.stop()
    // Events queued before stop() (a health verdict arriving meanwhile) may still come out; then the loop ends.
    let result = await pending
    for (let i = 0; i < 16 && result.done !== true; i++) result = await open.next()
    assert.deepEqual(result, { value: undefined, done: true })
    // A loop still running when stop() came ends too, rather than throwing.
    assert.deepEqual(await open.next(), { value: undefined, done: true })
  })

  it('on a registry node among the closest, follows its own view too: a failing instance goes down', async () => {
    const { nodes, addrs } = await net.registries(5, 'development', FAST)
    let ok = true
    const service = await net.service('Ledger', addrs, { healthCheckInterval: 100, healthChecks: { db: () => ok } })
    // A registry that probes the instance (among its 3 closest): a watch there must see what its prober sees.
    const prober = await eventually(async () => nodes.find(r => r.listRecords('Ledger')[0]?.health.status === 'passing'), 10_000)
    const events = prober.watch('Ledger')[Symbol.asyncIterator]()
    const seen = await collect(events, s => s.some(is('up', service.peerId)))
    ok = false
    await collect(events, s => s.some(is('down', service.peerId)), 10_000, seen)
    assert.deepEqual(await prober.discoverServiceNode('Ledger'), [])
    await events.return?.()
  })

  it('a consumer that does not read gets its backlog as one resync, and no change after it is lost', async () => {
    const { Consumer } = await import('../../src/discovery/watch.js')
    const consumer = new Consumer(() => true, undefined, () => {})
    const instance = (i: number): ServiceInstance => ({
      peerId: `p${i}`, name: 'x', network: 'development', metadata: {}, addresses: [], sequence: 1n, issuedAt: 0, expiresAt: Date.now() + 60_000, health: { status: 'passing', checks: [] }
    })
    const all = new Map(Array.from({ length: 1100 }, (_, i) => [`p${i}`, instance(i)]))
    consumer.update(all, false)
    const first = await consumer.next()
    assert.ok(first.done !== true && first.value.type === 'resync' && first.value.instances.length === 1100)
    all.delete('p0')
    consumer.update(all, false)
    const second = await consumer.next()
    assert.ok(second.done !== true && second.value.type === 'down' && second.value.instance.peerId === 'p0')
    consumer.end()
    assert.deepEqual(await consumer.next(), { value: undefined, done: true })
  })
})
