/**
 * Filters on discovery (tags, metadata fields, a semver range) and the pick helper, on a real network; the
 * picking rule itself (health first, then random or the less loaded of two) with a seeded random.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { pickInstance } from '../../src/discovery/pick.js'
import { InvalidOptionError, NoInstanceError } from '../../src/index.js'
import { TestNetwork } from '../helpers/network.js'
import type { Netget, ServiceInstance } from '../../src/index.js'

describe('filters and pick', () => {
  const net = new TestNetwork()
  let client: Netget
  const ids: Record<string, string> = {}
  before(async () => {
    const { addrs } = await net.registries(1)
    for (const [key, metadata] of Object.entries({
      a: { tags: ['primary', 'eu'], version: '2.3.1', region: 'eu-west', shard: { id: 1 } },
      b: { tags: ['replica', 'eu'], version: '2.4.0-beta.1', region: 'eu-west', shard: { id: 2 } },
      c: { tags: ['replica', 'us'], version: '1.9.0', region: 'us-east' },
      d: { version: 'not-semver' }
    })) ids[key] = (await net.service('Catalog', addrs, { metadata: { name: 'Catalog', ...metadata } })).peerId
    client = net.node({ registryNodes: addrs })
  })
  after(async () => { await net.stopAll() })

  const found = async (filter: Record<string, unknown>): Promise<string[]> =>
    (await client.discoverServiceNode('Catalog', filter)).map(i => Object.keys(ids).find(k => ids[k] === i.peerId) ?? '?').sort()

  it('keeps the instances that have every tag, equal metadata fields, a version in range', async () => {
    assert.deepEqual(await found({}), ['a', 'b', 'c', 'd'])
    assert.deepEqual(await found({ tags: ['eu'] }), ['a', 'b'])
    assert.deepEqual(await found({ tags: ['replica', 'eu'] }), ['b'])
    assert.deepEqual(await found({ metadata: { region: 'eu-west' } }), ['a', 'b'])
    assert.deepEqual(await found({ metadata: { shard: { id: 2 } } }), ['b'])
    assert.deepEqual(await found({ version: '^2.0.0' }), ['a'])
    assert.deepEqual(await found({ version: '>=2.4.0-beta.0' }), ['b'])
    assert.deepEqual(await found({ version: '>=1 <3', tags: ['replica'] }), ['c'])
    // The cache answers filtered as well.
    assert.deepEqual((await client.discoverServiceNode('Catalog', { maxAge: 60_000, tags: ['us'] })).map(i => i.peerId), [ids.c])
  })

  it('refuses a bad filter with a clear error', async () => {
    await assert.rejects(client.discoverServiceNode('Catalog', { version: 'two point oh' }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'version')
    await assert.rejects(client.discoverServiceNode('Catalog', { tags: 'eu' as unknown as string[] }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'tags')
    await assert.rejects(client.pick('Catalog', { strategy: 'fastest' as 'random' }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'strategy')
  })

  it('picks one matching instance, or throws NoInstanceError', async () => {
    const picked = await client.pick('Catalog', { tags: ['primary'] })
    assert.equal(picked.peerId, ids.a)
    const any = await client.pick('Catalog', { strategy: 'least-loaded' })
    assert.ok(Object.values(ids).includes(any.peerId))
    await assert.rejects(client.pick('Catalog', { tags: ['nowhere'] }), NoInstanceError)
  })

  it('picks passing before unknown before suspect, never failing, and the less loaded of two', () => {
    const inst = (id: string, status: ServiceInstance['health']['status'], cpu?: number): ServiceInstance => ({
      peerId: id, name: 'x', network: 'development', metadata: {}, addresses: [], sequence: 1n, issuedAt: 0, expiresAt: 0,
      health: { status, checks: [], ...(cpu !== undefined ? { load: { cpu, eventLoopDelay: 0, rss: 1 } } : {}) }
    })
    const seq = (...values: number[]): () => number => () => values.shift() ?? 0
    assert.equal(pickInstance([inst('s', 'suspect'), inst('u', 'unknown'), inst('f', 'failing')], 'random')?.peerId, 'u')
    assert.equal(pickInstance([inst('s', 'suspect'), inst('f', 'failing')], 'random')?.peerId, 's')
    assert.equal(pickInstance([inst('f', 'failing')], 'random'), undefined)
    const pool = [inst('busy', 'passing', 0.9), inst('idle', 'passing', 0.1), inst('mid', 'passing', 0.5)]
    // First choice index 0 (busy), second among the others index 0 → idle: the less loaded wins.
    assert.equal(pickInstance(pool, 'least-loaded', seq(0, 0))?.peerId, 'idle')
    // First idle (index 1), second among the others index 1 → mid (index 2): idle stays.
    assert.equal(pickInstance(pool, 'least-loaded', seq(0.4, 0.6))?.peerId, 'idle')
    assert.equal(pickInstance(pool, 'random', seq(0.99))?.peerId, 'mid')
  })
})
