/**
 * An iterative, α-parallel Kademlia lookup: ask the closest registries known, learn the closer ones each
 * answer names, and go on until the `need` closest registries known have all answered (or failed and been
 * replaced by the next). It converges whatever the starting point, as Kademlia, dht-rpc and IPFS lookups do;
 * a warm start (a cached route) ends after one round when no answer names anything closer.
 *
 * The engine knows nothing of the wire: `query` asks one registry and returns its value and its hints.
 */
import { follow } from '../util/deadline.js'
import { compareDistance } from './position.js'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface Hint {
  id: string
  position: Uint8Array
  addrs: Multiaddr[]
}

export interface QueryAnswer<T> {
  value: T
  closer: Hint[]
}

export interface WalkInit<T> {
  /** Position in the key space to converge on. */
  target: Uint8Array
  /** Registries to start from (a cached route, the table's closest, this node when it is a registry). */
  seeds: Iterable<Omit<Hint, 'addrs'> & { addrs?: Multiaddr[] }>
  /** How many of the closest registries must have answered. */
  need: number
  /** Requests in flight at once. */
  alpha: number
  /** Requests sent at most, whatever happens (a bound on a lookup's cost). */
  maxQueries: number
  /** Candidates remembered at most (hints beyond are dropped, farthest first). */
  maxCandidates: number
  signal: AbortSignal
  /** Asks one registry; throws when it fails. `hop` is how many answers led to it (0 for a seed). */
  query: (candidate: Candidate, signal: AbortSignal) => Promise<QueryAnswer<T>>
  /** Hints that must not be followed (this node when it is no registry, excluded registries). */
  accept?: (id: string) => boolean
  /**
   * A request pending longer than this (ms) stops holding the lookup up: the next candidate is asked as well
   * (a hedge), and the slow one's answer still counts if it comes. @default no hedging
   */
  hedgeAfter?: number
  /**
   * A slow request is hedged only by a candidate among this many closest live ones (the registries that hold
   * the records: asking one farther away would answer quickly and wrongly). @default need
   */
  hedgeWithin?: number
}

export interface Candidate {
  id: string
  position: Uint8Array
  addrs: Multiaddr[]
  hop: number
  state: 'new' | 'pending' | 'answered' | 'failed'
  /** Came from a seed, not from a hint. */
  seed: boolean
  error?: Error
  /** When its request went out (performance.now()). */
  sentAt?: number
  /** A hedge went out for it: it no longer holds the walk up, even if the walk may hedge no more. */
  passedOver?: boolean
}

export interface Answered<T> {
  id: string
  value: T
  hop: number
}

export interface WalkResult<T> {
  /** The `need` closest registries that answered, nearest first (fewer when fewer could be reached). */
  closest: Array<Answered<T>>
  /** Every answer, in arrival order. */
  answers: Array<Answered<T>>
  /** Registries that failed, with why. */
  failures: Map<string, Error>
  /** Requests sent. */
  queries: number
  /** Largest hop count among `closest` (0 when the seeds were already the closest). */
  hops: number
  /** Requests sent while a request of the frontier was slow (past `hedgeAfter`): the hedges. */
  hedges: number
  /** Why it stopped before converging, if it did: 'aborted' or 'budget'. */
  incomplete?: 'aborted' | 'budget'
}

export async function walk<T> (init: WalkInit<T>): Promise<WalkResult<T>> {
  // Requests still out when the walk ends (outside the closest set by then) are cancelled.
  const linked = follow(init.signal)
  try {
    return await run(init, linked.signal)
  } finally {
    linked.abort(new DOMException('the lookup ended', 'AbortError'))
  }
}

async function run<T> (init: WalkInit<T>, signal: AbortSignal): Promise<WalkResult<T>> {
  const { target, need, alpha } = init
  const candidates = new Map<string, Candidate>()
  const answers: Array<Answered<T>> = []
  const failures = new Map<string, Error>()
  let sorted: Candidate[] = []
  let queries = 0
  let hedges = 0
  let inFlight = 0
  let wake: (() => void) | undefined

  const resort = (): void => {
    sorted = [...candidates.values()].sort((a, b) => compareDistance(target, a.position, b.position))
    if (sorted.length > init.maxCandidates) {
      // Drop the farthest candidates that were never asked; asked ones stay (their answers count).
      for (const c of sorted.slice(init.maxCandidates)) if (c.state === 'new') candidates.delete(c.id)
      sorted = sorted.filter(c => candidates.has(c.id))
    }
  }
  const add = (hint: Omit<Hint, 'addrs'> & { addrs?: Multiaddr[] }, hop: number, seed: boolean): void => {
    if (candidates.has(hint.id) || (init.accept !== undefined && !init.accept(hint.id))) return
    candidates.set(hint.id, { id: hint.id, position: hint.position, addrs: hint.addrs ?? [], hop, state: 'new', seed })
  }
  for (const seed of init.seeds) add(seed, 0, true)
  resort()

  const hedgeAfter = init.hedgeAfter ?? Number.POSITIVE_INFINITY
  // One hedge per registry the walk needs: a hedge that turns slow in turn is waited for, not hedged again (else
  // a client whose registries all slowed down would ask every one of the closest, one per hedgeAfter).
  const maxHedges = need
  const hedgesLeft = (): boolean => hedges < maxHedges
  const slow = (c: Candidate, now: number): boolean => c.state === 'pending' &&
    (c.passedOver === true || (hedgesLeft() && now - (c.sentAt ?? now) > hedgeAfter))
  const within = Math.max(need, init.hedgeWithin ?? need)
  /**
   * The first `need` live candidates: those that decide when the walk is done. A slow one is passed over for the
   * next, as long as that one is among the `within` closest live candidates.
   */
  const frontier = (now: number): Candidate[] => {
    const live: Candidate[] = []
    for (const c of sorted) {
      if (c.state === 'failed') continue
      live.push(c)
      if (live.length === within) break
    }
    const out = live.filter(c => !slow(c, now)).slice(0, need)
    // Not enough replacements: wait for the slow ones after all, nearest first.
    for (const c of live) {
      if (out.length >= need) break
      if (!out.includes(c)) out.push(c)
    }
    return out.sort((a, b) => compareDistance(target, a.position, b.position))
  }

  const ask = (candidate: Candidate): void => {
    candidate.state = 'pending'
    candidate.sentAt = performance.now()
    queries++
    inFlight++
    init.query(candidate, signal).then(answer => {
      candidate.state = 'answered'
      answers.push({ id: candidate.id, value: answer.value, hop: candidate.hop })
      for (const hint of answer.closer) add(hint, candidate.hop + 1, false)
      resort()
    }, (err: unknown) => {
      candidate.state = 'failed'
      candidate.error = err instanceof Error ? err : new Error(String(err))
      failures.set(candidate.id, candidate.error)
    }).finally(() => {
      inFlight--
      wake?.()
    })
  }

  let incomplete: WalkResult<T>['incomplete']
  while (true) {
    if (signal.aborted) {
      incomplete = 'aborted'
      break
    }
    // One reading of the clock per round: the frontier and the hedge timer must agree on who is slow, or a
    // request turning slow between two readings would leave the walk with no timer to wake it.
    const now = performance.now()
    const front = frontier(now)
    // Done when the closest live candidates have all answered; requests still out farther away do not matter.
    if (front.every(c => c.state === 'answered')) break
    const waiting = front.filter(c => c.state === 'new')
    // Slow requests do not hold a slot: their hedges go out while they are pending.
    const slowOnes = sorted.filter(c => slow(c, now))
    const slowNow = slowOnes.filter(c => c.passedOver !== true).length
    const busy = inFlight - slowOnes.length
    let started = 0
    for (const c of waiting) {
      if (busy + started >= alpha) break
      started++
      if (queries >= init.maxQueries) {
        incomplete = 'budget'
        break
      }
      if (slowNow > 0) {
        hedges++
        for (const s of slowOnes) s.passedOver = true
      }
      ask(c)
    }
    if (incomplete !== undefined && inFlight === 0) break
    if (inFlight === 0) continue
    const { promise, resolve } = Promise.withResolvers<void>()
    wake = resolve
    const onAbort = (): void => { resolve() }
    signal.addEventListener('abort', onAbort, { once: true })
    // Wake up when the oldest request in the frontier turns slow, to hedge it.
    let hedgeTimer: ReturnType<typeof setTimeout> | undefined
    if (Number.isFinite(hedgeAfter) && hedgesLeft()) {
      // Only requests not slow yet: one already slow but kept (nobody to replace it) is waited for, not polled.
      const due = front.filter(c => c.state === 'pending' && !slow(c, now)).map(c => (c.sentAt ?? now) + hedgeAfter - now)
      if (due.length > 0) hedgeTimer = setTimeout(resolve, Math.max(1, Math.min(...due)))
    }
    await promise
    clearTimeout(hedgeTimer)
    signal.removeEventListener('abort', onAbort)
    wake = undefined
  }

  const byId = new Map(answers.map(a => [a.id, a]))
  const closest: Array<Answered<T>> = []
  for (const c of frontier(performance.now())) {
    const answer = byId.get(c.id)
    if (answer !== undefined) closest.push(answer)
  }
  return {
    closest,
    answers,
    failures,
    queries,
    hedges,
    hops: closest.reduce((max, a) => Math.max(max, a.hop), 0),
    ...(incomplete !== undefined ? { incomplete } : {})
  }
}
