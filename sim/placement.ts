/**
 * Placement: do the registries that should hold a record hold it? "Should" is computed here, independently of
 * the library (src/registry/* is being rewritten, and a harness that reused its ranking would agree with its
 * bugs): a service key is sha256("netget/v1/<network>/<name>"), its position sha256(service key), a peer's
 * position sha256(peer id multihash), ranked by XOR distance — kad-dht's key space.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from 'multiformats/hashes/sha2'
import { round } from './metrics.js'
import type { RecordsReply } from './protocol.js'
import type { Truth } from './truth.js'

const encoder = new TextEncoder()
const positions = new Map<string, Uint8Array>()

async function peerPosition (peerId: string): Promise<Uint8Array> {
  let p = positions.get(peerId)
  if (p === undefined) {
    p = (await sha256.digest(peerIdFromString(peerId).toMultihash().bytes)).digest
    positions.set(peerId, p)
  }
  return p
}

export async function keyPosition (network: string, name: string): Promise<Uint8Array> {
  const key = (await sha256.digest(encoder.encode(`netget/v1/${network}/${name}`))).digest
  return (await sha256.digest(key)).digest
}

function closer (target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const d = (a[i] ^ target[i]) - (b[i] ^ target[i])
    if (d !== 0) return d
  }
  return 0
}

export async function closest (target: Uint8Array, peerIds: readonly string[], count: number): Promise<string[]> {
  const ranked = await Promise.all(peerIds.map(async id => ({ id, p: await peerPosition(id) })))
  ranked.sort((a, b) => closer(target, a.p, b.p))
  return ranked.slice(0, count).map(r => r.id)
}

export interface Placement {
  at: number
  /** Live instances registered ≥ grace ago (the ones that should be placed). */
  instances: number
  /** Mean, over those instances, of the share of their K closest live registries that hold and serve them. */
  placement: number
  /** Share of instances held by all of their K closest live registries. */
  fullyPlaced: number
  /** Share of instances held by no registry at all. */
  lost: number
  /** Mean number of registries holding each instance, anywhere. */
  copies: number
  /** Mean number of copies outside the K closest live registries. */
  strayCopies: number
  /** Copies of live instances that their registry marks down (so does not serve). */
  markedDown: number
  /**
   * The registries that lacked the most closest-K slots (sim id, slots lacked), at most 3: a registry left out
   * of the others' views (not verified there) lacks the slots of every instance whose closest K it is in, about
   * K / R of all instances.
   */
  mostLacking: Array<{ registry: string, slots: number }>
  /**
   * Up to 5 instances not fully placed: the true ranks (1 = closest live registry) of the closest-K registries
   * that lack them and of the holders outside the closest K; ranks just around K mean views that disagree at the
   * edge of the set, low ranks a registry that others do not know.
   */
  examples: string[]
  /** Fewest and median verified (and known) registries in the tables of the registries that answered (a full view is live − 1). */
  tableSizes: { min: number, median: number, knownMedian: number }
  registriesAnswered: number
  registriesLive: number
}

/** Which registries (peer ids) hold each instance's record, keyed by `<name>\n<peerId>`: up = served, down = hidden. */
export type Holders = Map<string, { up: Set<string>, down: Set<string> }>

export function holdersOf (replies: readonly RecordsReply[]): Holders {
  const holders: Holders = new Map()
  for (const reply of replies) {
    for (const registry of reply.registries) {
      for (const r of registry.records) {
        const key = `${r.name}\n${r.peerId}`
        let h = holders.get(key)
        if (h === undefined) {
          h = { up: new Set(), down: new Set() }
          holders.set(key, h)
        }
        ;(r.down ? h.down : h.up).add(registry.peerId)
      }
    }
  }
  return holders
}

function tableSizes (replies: readonly RecordsReply[]): { min: number, median: number, knownMedian: number } {
  const sizes = replies.flatMap(r => r.registries.map(g => g.verified)).sort((a, b) => a - b)
  const known = replies.flatMap(r => r.registries.map(g => g.known)).sort((a, b) => a - b)
  return { min: sizes[0] ?? 0, median: sizes[Math.floor(sizes.length / 2)] ?? 0, knownMedian: known[Math.floor(known.length / 2)] ?? 0 }
}

export async function measurePlacement (truth: Truth, replies: readonly RecordsReply[], network: string, k: number, at: number): Promise<Placement> {
  const holders = holdersOf(replies)
  const answered = replies.reduce((n, r) => n + r.registries.length, 0)
  const live = truth.liveRegistries(at)
  const settled = [...truth.instances.values()].filter(i => truth.isSettled(i, at))
  const closestByName = new Map<string, string[]>()
  let shareSum = 0
  let full = 0
  let lost = 0
  let copies = 0
  let stray = 0
  let markedDown = 0
  const lacking = new Map<string, number>()
  const examples: string[] = []
  const rankedByName = new Map<string, string[]>()
  for (const i of settled) {
    let set = closestByName.get(i.name)
    if (set === undefined) {
      set = await closest(await keyPosition(network, i.name), live, k)
      closestByName.set(i.name, set)
    }
    const h = holders.get(`${i.name}\n${i.peerId}`) ?? { up: new Set<string>(), down: new Set<string>() }
    const held = set.filter(r => h.up.has(r)).length
    for (const r of set) if (!h.up.has(r)) lacking.set(r, (lacking.get(r) ?? 0) + 1)
    if (held < Math.min(k, set.length) && examples.length < 5) {
      let ranked = rankedByName.get(i.name)
      if (ranked === undefined) {
        ranked = await closest(await keyPosition(network, i.name), live, live.length)
        rankedByName.set(i.name, ranked)
      }
      const rank = (r: string): string => `${ranked.indexOf(r) + 1}`
      const stray = [...h.up, ...h.down].filter(r => !set.includes(r))
      examples.push(`${i.name} …${i.peerId.slice(-6)}: lacks ranks ${set.filter(r => !h.up.has(r)).map(rank).join(',')}; held outside the ${k} at ranks ${stray.map(rank).join(',') || 'none'}`)
    }
    const expected = Math.min(k, set.length)
    shareSum += expected === 0 ? 1 : held / expected
    if (held === expected) full++
    if (h.up.size + h.down.size === 0) lost++
    copies += h.up.size + h.down.size
    stray += [...h.up, ...h.down].filter(r => !set.includes(r)).length
    markedDown += h.down.size
  }
  const n = settled.length
  return {
    at,
    instances: n,
    placement: n === 0 ? 1 : round(shareSum / n, 4),
    fullyPlaced: n === 0 ? 1 : round(full / n, 4),
    lost: n === 0 ? 0 : round(lost / n, 4),
    copies: n === 0 ? 0 : round(copies / n),
    strayCopies: n === 0 ? 0 : round(stray / n),
    markedDown,
    examples,
    tableSizes: tableSizes(replies),
    mostLacking: [...lacking].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([peerId, slots]) => ({ registry: truth.registries.get(peerId)?.id ?? peerId, slots })),
    registriesAnswered: answered,
    registriesLive: live.length
  }
}
