/**
 * The registry table and the key-space helpers a lookup relies on.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { TABLE_REFRESH_INTERVAL_MS, TABLE_REFRESH_MAX_INTERVAL_MS } from '../src/constants.js'
import { nextRefreshPeriod, randomInBucket } from '../src/routing/membership.js'
import { commonPrefixBits, compareDistance, peerPosition } from '../src/routing/position.js'
import { RegistryTable } from '../src/routing/registry-table.js'

async function ids (n: number): Promise<string[]> {
  return Promise.all(Array.from({ length: n }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
}

describe('key space', () => {
  it('randomInBucket lands in the bucket it is asked for', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 255 }), (self, bits) => {
      assert.equal(commonPrefixBits(self, randomInBucket(self, bits)), bits)
    }), { numRuns: 2000 })
  })
})

describe('table refresh period', () => {
  it('backs off while the table is stable, up to its cap, and drops back at the first change', () => {
    const periods: number[] = []
    let period = TABLE_REFRESH_INTERVAL_MS
    for (let i = 0; i < 6; i++) {
      period = nextRefreshPeriod(period, false)
      periods.push(period)
    }
    assert.deepEqual(periods, [2, 4, 8, 10, 10, 10].map(m => m * 60_000))
    assert.equal(periods.at(-1), TABLE_REFRESH_MAX_INTERVAL_MS)
    assert.equal(nextRefreshPeriod(TABLE_REFRESH_MAX_INTERVAL_MS, true), TABLE_REFRESH_INTERVAL_MS)
  })

  it('counts joins and leaves of verified registries in the table\'s generation, not hints', async () => {
    const [self, a, b] = await ids(3)
    const table = new RegistryTable(self, 20)
    const start = table.generation
    table.add(a, [multiaddr('/ip4/127.0.0.1/tcp/1')])
    assert.equal(table.generation, start, 'a hinted registry is not a member yet')
    table.add(a, [], { verified: true })
    table.add(b, [multiaddr('/ip4/127.0.0.1/tcp/2')], { verified: true })
    assert.equal(table.generation, start + 2)
    table.remove(a)
    assert.equal(table.generation, start + 3)
  })
})

describe('registry table', () => {
  it('keeps at most bucketSize registries per bucket, and lets a verified one replace an unverified one', async () => {
    const [self, ...others] = await ids(80)
    const table = new RegistryTable(self, 4)
    for (const id of others) table.add(id, [])
    const perBucket = new Map<number, number>()
    for (const entry of table.all()) {
      const b = commonPrefixBits(peerPosition(self), entry.position)
      perBucket.set(b, (perBucket.get(b) ?? 0) + 1)
    }
    assert.ok([...perBucket.values()].every(n => n <= 4))
    // A bucket full of hints takes a registry that proved itself.
    const refused = others.find(id => !table.has(id))!
    assert.ok(table.add(refused, [], { verified: true }) !== undefined)
    assert.ok(table.isVerified(refused))
  })

  it('drops a registry after two failures in a row, a configured one only goes unverified, and says so', async () => {
    const [self, a, b] = await ids(3)
    const removed: string[] = []
    const table = new RegistryTable(self, 20, { onRemoved: e => removed.push(e.id) })
    table.add(a, [multiaddr('/ip4/127.0.0.1/tcp/1')], { verified: true })
    table.add(b, [multiaddr('/ip4/127.0.0.1/tcp/2')], { verified: true, configured: true })
    assert.equal(table.failed(a), false)
    table.answered(a)
    assert.equal(table.failed(a), false, 'an answer in between resets the count')
    assert.equal(table.failed(a), true)
    assert.equal(table.has(a), false)
    assert.equal(table.failed(b, true), true)
    assert.equal(table.has(b), true)
    assert.equal(table.isVerified(b), false)
    assert.deepEqual(removed, [a, b])
  })

  it('lists the closest registries to a position, nearest first, and strips /p2p from addresses', async () => {
    const [self, ...others] = await ids(30)
    const table = new RegistryTable(self, 64)
    for (const id of others) table.add(id, [multiaddr(`/ip4/127.0.0.1/tcp/9/p2p/${id}`)])
    const target = new Uint8Array(randomBytes(32))
    const closest = table.closest(target, 5)
    const truth = [...others].sort((x, y) => compareDistance(target, peerPosition(x), peerPosition(y))).slice(0, 5)
    assert.deepEqual(closest.map(e => e.id), truth)
    assert.equal(closest[0].addrs[0].toString(), '/ip4/127.0.0.1/tcp/9')
  })

  it('judges its neighbourhood both ways: its own closest, and those that count it among theirs', async () => {
    const [self, ...others] = await ids(40)
    const count = 8
    const table = new RegistryTable(self, 64)
    for (const id of others) table.add(id, [], { verified: true })
    const byDistanceTo = (position: Uint8Array, list: string[]): string[] => [...list].sort((x, y) => compareDistance(position, peerPosition(x), peerPosition(y)))
    const siblings = byDistanceTo(peerPosition(self), others).slice(0, count)
    for (const id of others) {
      assert.equal(table.isSibling(id, count), siblings.includes(id))
      // What this table knows: fewer than `count` registries closer to `id` than this node is.
      const countsSelf = byDistanceTo(peerPosition(id), [self, ...others.filter(o => o !== id)]).indexOf(self) < count
      assert.equal(table.isNeighbour(id, count), siblings.includes(id) || countsSelf)
    }
    // A peer that is no verified registry is no neighbour (and is not remembered as one).
    const [client] = await ids(1)
    assert.equal(table.isNeighbour(client, count), false)
    table.add(client, [])
    assert.equal(table.isNeighbour(client, count), false)
    // A sibling that leaves makes room for the next: judgements follow the table's membership.
    table.failed(siblings[0], true)
    assert.equal(table.isSibling(byDistanceTo(peerPosition(self), others)[count], count), true)
  })

  it('counts a registry unconfirmed from its link\'s close until it answers again', async () => {
    const [self, other] = await ids(2)
    const table = new RegistryTable(self, 20)
    const entry = table.add(other, [], { verified: true })!
    assert.equal(entry.unconfirmed, false, 'never linked and closed: nothing to confirm')
    table.linkClosed(other)
    assert.equal(entry.unconfirmed, true)
    table.answered(other)
    assert.equal(entry.unconfirmed, false)
  })
})
