/**
 * copyInstance: what discovery, watch and the caches hand out is the caller's own, however it is changed.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { copyInstance } from '../src/records/instance.js'
import type { ServiceInstance } from '../src/index.js'

function instance (metadata: Record<string, unknown>): ServiceInstance {
  return {
    peerId: 'p', name: 'n', network: 'development', metadata, addresses: ['/ip4/127.0.0.1/tcp/1'], sequence: 1n, issuedAt: 0, expiresAt: 1,
    health: { status: 'passing', lastSeen: 5, checks: [{ name: 'db', passing: true, output: '', lastRun: 4 }], load: { cpu: 0.1, eventLoopDelay: 1, rss: 50 } }
  }
}

describe('copyInstance', () => {
  it('copies metadata, addresses and health deeply: changing the copy leaves the original as it was', () => {
    const original = instance({ name: 'n', tags: ['a'], nested: { list: [1, { x: 2 }] }, n: null })
    const copy = copyInstance(original)
    assert.deepEqual(copy, original)
    ;(copy.metadata.tags as string[]).push('b')
    ;((copy.metadata.nested as { list: Array<{ x: number }> }).list[1]).x = 3
    copy.addresses.push('x')
    copy.health.checks[0].passing = false
    if (copy.health.load !== undefined) copy.health.load.cpu = 9
    assert.deepEqual(original.metadata, { name: 'n', tags: ['a'], nested: { list: [1, { x: 2 }] }, n: null })
    assert.deepEqual(original.addresses, ['/ip4/127.0.0.1/tcp/1'])
    assert.equal(original.health.checks[0].passing, true)
    assert.equal(original.health.load?.cpu, 0.1)
  })

  it('keeps a "__proto__" key of JSON metadata as a key, and copies values that are not plain JSON', () => {
    const fromJson = instance(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'))
    const copy = copyInstance(fromJson)
    assert.equal(Object.getPrototypeOf(copy.metadata), Object.prototype)
    assert.deepEqual(Object.keys(copy.metadata), ['__proto__', 'a'])
    assert.equal((copy.metadata as Record<string, unknown>).polluted, undefined)
    const at = new Date(0)
    const own = copyInstance(instance({ at }))
    assert.ok(own.metadata.at instanceof Date && own.metadata.at !== at && own.metadata.at.getTime() === 0)
  })
})
