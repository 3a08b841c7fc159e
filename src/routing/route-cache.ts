/**
 * The closest registries of each name, as the last lookup found them: a lookup of a name seeds from them, and
 * while its route is fresh asks them without asking for closer ones (smaller answers); a stale one is repaired.
 */
import { compareDistance } from './position.js'
import { BoundedMap } from '../util/bounded-map.js'

/** The closest registries of one name, as the last lookup found them. */
export interface Route {
  /** Nearest first, at most `size`. */
  ids: string[]
  /** Until then, the registries are asked without asking for closer ones (ms since the epoch). */
  fresh: number
}

export interface RouteCacheInit {
  /** How long a name's closest registries are asked without asking them for closer ones again (ms). */
  ttl: number
  /** Registries kept per name (the replicationFactor). */
  size: number
  /** A registry's position in the key space. */
  position: (id: string) => Uint8Array
  /** Registries taken out of use (removeRegistryNode): never kept in a route. */
  excluded: (id: string) => boolean
}

/** Routes kept at most (one per service name). */
const MAX_CACHED_ROUTES = 4096

export class RouteCache {
  private readonly init: RouteCacheInit
  private readonly routes = new BoundedMap<string, Route>(MAX_CACHED_ROUTES)

  constructor (init: RouteCacheInit) {
    this.init = init
  }

  get (name: string): Route | undefined {
    return this.routes.get(name)
  }

  has (name: string): boolean {
    return this.routes.has(name)
  }

  delete (name: string): void {
    this.routes.delete(name)
  }

  /** Forgets every route, e.g. after the set of registries changed. */
  clear (): void {
    this.routes.clear()
  }

  /** Keeps a name's closest registries: the new ones, then earlier ones still standing, nearest first. */
  remember (name: string, target: Uint8Array, ids: string[], wasFresh: boolean, failed: string[] = []): void {
    const previous = this.routes.get(name)
    const all = [...new Set([...ids, ...(previous?.ids ?? [])])].filter(id => !failed.includes(id) && !this.init.excluded(id))
    all.sort((a, b) => compareDistance(target, this.init.position(a), this.init.position(b)))
    const fresh = wasFresh && previous !== undefined ? previous.fresh : Date.now() + this.init.ttl
    this.routes.delete(name)
    this.routes.set(name, { ids: all.slice(0, this.init.size), fresh })
  }
}
