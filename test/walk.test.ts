/**
 * The lookup engine on its own: given what each registry would answer, does it converge on the truly closest,
 * whatever the start, with failures, within its budget? (The network version is test/integration/scale.test.ts.)
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { commonPrefixBits, compareDistance } from '../src/routing/position.js'
import { walk } from '../src/routing/walk.js'

interface Node { id: string, position: Uint8Array, knows: Node[] }

/**
 * N registries whose tables are Kademlia k-buckets with a small k: each knows at most `bucket` random registries
 * sharing each prefix length with it (all of them where fewer exist). Far sparser than netget's tables (k = 20).
 */
function overlay (n: number, bucket: number, seed: number): Node[] {
  const rand = mulberry32(seed)
  const nodes: Node[] = Array.from({ length: n }, (_, i) => ({ id: `r${i}`, position: new Uint8Array(Array.from({ length: 32 }, () => Math.floor(rand() * 256))), knows: [] }))
  for (const node of nodes) {
    const buckets = new Map<number, Node[]>()
    for (const other of nodes) {
      if (other === node) continue
      const b = commonPrefixBits(node.position, other.position)
      buckets.set(b, [...(buckets.get(b) ?? []), other])
    }
    for (const members of buckets.values()) {
      const shuffled = members.map(m => ({ m, r: rand() })).sort((a, b) => a.r - b.r).map(x => x.m)
      node.knows.push(...shuffled.slice(0, bucket))
    }
  }
  return nodes
}

function mulberry32 (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A query that never answers: it fails only when the walk cancels it. */
async function hangUntilAborted (signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Error('cancelled')) }) })
}

/** The walk options every test shares. */
const LIMITS = { alpha: 3, maxQueries: 64, maxCandidates: 256 }

function closestOf (nodes: Node[], target: Uint8Array, k: number): string[] {
  return [...nodes].sort((a, b) => compareDistance(target, a.position, b.position)).slice(0, k).map(n => n.id)
}

async function lookup (nodes: Node[], start: Node, target: Uint8Array, need: number, dead = new Set<string>(), maxQueries = 64) {
  const byId = new Map(nodes.map(n => [n.id, n]))
  return walk<string>({
    target,
    seeds: [start],
    need,
    alpha: 3,
    maxQueries,
    maxCandidates: 256,
    signal: AbortSignal.timeout(5000),
    query: async candidate => {
      await Promise.resolve()
      if (dead.has(candidate.id)) throw new Error('unreachable')
      const node = byId.get(candidate.id)!
      const closer = [...node.knows].sort((a, b) => compareDistance(target, a.position, b.position)).slice(0, 20)
      return { value: node.id, closer: closer.map(c => ({ id: c.id, position: c.position, addrs: [] })) }
    }
  })
}

/** An AbortSignal that fires after `ms`, from a timer that keeps the event loop alive until then. */
function heldTimeout (ms: number): AbortSignal {
  const controller = new AbortController()
  setTimeout(() => { controller.abort(new DOMException(`${ms} ms passed`, 'TimeoutError')) }, ms)
  return controller.signal
}

describe('walk', () => {
  it('converges on the truly closest registries from any start (200 registries, k-buckets of 4)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 5 }), async (seed, need) => {
      const nodes = overlay(200, 4, seed)
      const target = new Uint8Array(randomBytes(32))
      const start = nodes[seed % nodes.length]
      const result = await lookup(nodes, start, target, need)
      assert.deepEqual(result.closest.map(a => a.id), closestOf(nodes, target, need))
      assert.ok(result.queries <= 64)
    }), { numRuns: 60 })
  })

  it('replaces registries that fail by the next closest', async () => {
    const nodes = overlay(100, 4, 7)
    const target = new Uint8Array(randomBytes(32))
    const truth = closestOf(nodes, target, 5)
    const dead = new Set(truth.slice(0, 2))
    // The start must be alive, or there is nothing to walk from.
    const start = nodes.find(n => !dead.has(n.id))!
    const result = await lookup(nodes, start, target, 3, dead)
    assert.deepEqual(result.closest.map(a => a.id), closestOf(nodes.filter(n => !dead.has(n.id)), target, 3))
    assert.ok([...dead].every(id => result.failures.has(id)))
  })

  it('a start at the closest registries ends after one round with no hop', async () => {
    const nodes = overlay(100, 4, 9)
    const target = new Uint8Array(randomBytes(32))
    const truth = closestOf(nodes, target, 2)
    const byId = new Map(nodes.map(n => [n.id, n]))
    const result = await walk<string>({
      target,
      seeds: truth.map(id => byId.get(id)!),
      need: 2,
      ...LIMITS,
      signal: AbortSignal.timeout(5000),
      query: async candidate => ({ value: candidate.id, closer: [] })
    })
    assert.equal(result.queries, 2)
    assert.equal(result.hops, 0)
  })

  it('stops at its query budget and at its signal, and says so', async () => {
    const nodes = overlay(200, 4, 11)
    const target = new Uint8Array(randomBytes(32))
    const budget = await lookup(nodes, nodes[0], target, 20, new Set(), 5)
    assert.equal(budget.incomplete, 'budget')
    assert.ok(budget.queries <= 5)
    const controller = new AbortController()
    const pending = walk<string>({
      target, seeds: [nodes[0]], need: 3, alpha: 3, maxQueries: 64, maxCandidates: 256, signal: controller.signal,
      query: async (_c, signal) => hangUntilAborted(signal)
    })
    controller.abort()
    const aborted = await pending
    assert.equal(aborted.incomplete, 'aborted')
    assert.equal(aborted.closest.length, 0)
  })

  it('hedges a registry that does not answer: the next one is asked and the lookup ends without it', async () => {
    const nodes = overlay(60, 4, 13)
    const target = new Uint8Array(randomBytes(32))
    const truth = closestOf(nodes, target, 3)
    const byId = new Map(nodes.map(n => [n.id, n]))
    const started = performance.now()
    const result = await walk<string>({
      target,
      seeds: truth.map(id => byId.get(id)!),
      need: 2,
      ...LIMITS,
      hedgeAfter: 50,
      hedgeWithin: 3,
      signal: AbortSignal.timeout(5000),
      // The closest one hangs until the walk gives up on it.
      query: async (candidate, signal) => candidate.id === truth[0]
        ? hangUntilAborted(signal)
        : { value: candidate.id, closer: [] }
    })
    assert.deepEqual(result.closest.map(a => a.id), truth.slice(1, 3))
    assert.ok(performance.now() - started < 1000)
  })

  it('hedges once per registry it needs: when every registry is slow, it waits instead of asking them all', async () => {
    const nodes = overlay(60, 4, 17)
    const target = new Uint8Array(randomBytes(32))
    const truth = closestOf(nodes, target, 20)
    const byId = new Map(nodes.map(n => [n.id, n]))
    const result = await walk<string>({
      target,
      seeds: truth.map(id => byId.get(id)!),
      need: 1,
      ...LIMITS,
      hedgeAfter: 2,
      hedgeWithin: 20,
      signal: AbortSignal.timeout(5000),
      // Every registry takes 40 ms, twenty times the hedge delay.
      query: async (candidate, signal) => {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, 40)
          signal.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason) }, { once: true })
        })
        return { value: candidate.id, closer: [] }
      }
    })
    assert.equal(result.queries, 2, 'the closest and one hedge')
    assert.equal(result.hedges, 1)
    assert.equal(result.closest.length, 1)
  })

  it('hedges a request that turned slow while the walk was busy (no wait for the signal)', async () => {
    const nodes = overlay(60, 4, 19)
    const target = new Uint8Array(randomBytes(32))
    const truth = closestOf(nodes, target, 2)
    const byId = new Map(nodes.map(n => [n.id, n]))
    const hedgeAfter = 30
    const result = await walk<string>({
      target,
      seeds: truth.map(id => byId.get(id)!),
      need: 1,
      ...LIMITS,
      hedgeAfter,
      hedgeWithin: 2,
      signal: AbortSignal.timeout(5000),
      query: async (candidate, signal) => {
        if (candidate.id !== truth[0]) return { value: candidate.id, closer: [] }
        // Busy past the hedge threshold before the request is even out: as on a loaded event loop.
        const until = performance.now() + hedgeAfter * 2
        while (performance.now() < until);
        return hangUntilAborted(signal)
      }
    })
    assert.equal(result.incomplete, undefined)
    assert.deepEqual(result.closest.map(a => a.id), [truth[1]])
  })

  it('never hedges past the registries that hold the records: it waits for a slow one instead', async () => {
    const nodes = overlay(60, 4, 17)
    const target = new Uint8Array(randomBytes(32))
    const truth = closestOf(nodes, target, 3)
    const byId = new Map(nodes.map(n => [n.id, n]))
    const asked: string[] = []
    const result = await walk<string>({
      target,
      seeds: truth.map(id => byId.get(id)!),
      need: 2,
      ...LIMITS,
      hedgeAfter: 20,
      hedgeWithin: 2,
      // A timer that holds the process (AbortSignal.timeout's does not): the queries here hang on it alone.
      signal: heldTimeout(300),
      query: async (candidate, signal) => {
        asked.push(candidate.id)
        if (candidate.id !== truth[0]) return { value: candidate.id, closer: [] }
        return hangUntilAborted(signal)
      }
    })
    assert.ok(!asked.includes(truth[2]), 'the third registry was asked')
    assert.equal(result.incomplete, 'aborted')
  })

  it('with no seeds, ends at once with nothing', async () => {
    const result = await walk<string>({ target: new Uint8Array(32), seeds: [], need: 3, alpha: 3, maxQueries: 64, maxCandidates: 256, signal: AbortSignal.timeout(1000), query: async () => { throw new Error('never') } })
    assert.equal(result.queries, 0)
    assert.equal(result.closest.length, 0)
  })
})
