/**
 * A Map with a capacity: setting a new key when full drops the oldest entry first. netget's caches (verified
 * record bytes, parsed hints, key objects, routes, discovery answers) and its bounded bookkeeping (refused peers,
 * departed registries) are all this. A cache that wants least-recently-used order deletes and sets an entry again
 * when it uses it (as the registry client's newest-record memo does).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly capacity: number

  constructor (capacity: number) {
    super()
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
    this.capacity = capacity
  }

  override set (key: K, value: V): this {
    if (!this.has(key)) {
      while (this.size >= this.capacity) this.delete(this.keys().next().value as K)
    }
    return super.set(key, value)
  }
}
