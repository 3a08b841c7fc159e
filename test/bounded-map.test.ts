/** BoundedMap: the one bounded cache of netget (src/util/bounded-map.ts). */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { BoundedMap } from '../src/util/bounded-map.js'

describe('BoundedMap', () => {
  it('never holds more than its capacity, and drops the oldest first', () => {
    const map = new BoundedMap<string, number>(3)
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, i)
    assert.deepEqual([...map.keys()], ['c', 'd', 'e'])
  })

  it('updating a key held does not evict, and keeps its place', () => {
    const map = new BoundedMap<string, number>(2)
    map.set('a', 1).set('b', 2).set('a', 3)
    assert.deepEqual([...map.entries()], [['a', 3], ['b', 2]])
    map.set('c', 4)
    assert.deepEqual([...map.keys()], ['b', 'c'])
  })

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new BoundedMap(bad), RangeError)
  })

  it('behaves as a Map cut to its newest keys, whatever the sequence of sets and deletes', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 12 }))), (capacity, ops) => {
      const map = new BoundedMap<number, number>(capacity)
      const model: number[] = []
      for (const [isSet, key] of ops) {
        const at = model.indexOf(key)
        if (isSet) {
          if (at === -1) {
            if (model.length >= capacity) model.shift()
            model.push(key)
          }
          map.set(key, key)
        } else {
          if (at !== -1) model.splice(at, 1)
          map.delete(key)
        }
        assert.ok(map.size <= capacity)
      }
      assert.deepEqual([...map.keys()], model)
    }))
  })
})
