/**
 * What a registry keeps across restarts, in a `datastore-*` datastore: the signed records it holds and the
 * registries it knows. Writes are batched (write-behind every PERSIST_FLUSH_INTERVAL_MS and at stop), not one per
 * renewal: a record lives a lease (≈ 60 s) and is renewed every third of it, so a crash loses at most one flush
 * interval of changes, which the publishers' next renewals restore anyway.
 *
 * Keys, under the network's namespace (a data dir reused for another network keeps both):
 *   /netget/<network>/records/<name>/<peerId>  → the SignedServiceRecord bytes, as received
 *   /netget/<network>/registries/<peerId>      → JSON { addrs: string[] }
 * Nothing read back is trusted: records are verified again as if they came from the network (signature, network,
 * expiry, admission), and what fails is deleted.
 */
import { Key } from 'interface-datastore'
import type { Datastore } from 'interface-datastore'
import type { Logger } from '@libp2p/interface'
import type { VerifiedRecord } from '../records/service-record.js'

/** Bytes of one saved registry entry read back at most (a peer id and MAX_ADDRS short multiaddrs fit in far less). */
const MAX_SAVED_REGISTRY_BYTES = 4096
/** Registries saved at most: the verified entries of a full table are far fewer. */
const MAX_SAVED_REGISTRIES = 1024

export interface SavedRegistry {
  id: string
  addrs: string[]
}

export interface PersistenceCounters {
  /** Flushes (batches committed) since start. */
  flushes: number
  /** Flushes that failed (the changes stay queued for the next one). */
  flushFailures: number
}

export class RegistryPersistence {
  private readonly datastore: Datastore
  private readonly prefix: string
  private readonly log: Logger
  /** Pending changes: a record's bytes to put, or null to delete it. */
  private readonly pending = new Map<string, Uint8Array | null>()
  private savedRegistries = new Set<string>()
  private registriesToSave?: SavedRegistry[]
  private flushing?: Promise<void>
  readonly counters: PersistenceCounters = { flushes: 0, flushFailures: 0 }

  constructor (datastore: Datastore, network: string, log: Logger) {
    this.datastore = datastore
    this.prefix = `/netget/${network}`
    this.log = log
  }

  /** Saved records' bytes, with their keys (to discard one that no longer verifies). */
  async * records (signal?: AbortSignal): AsyncGenerator<{ key: string, bytes: Uint8Array }> {
    for await (const { key, value } of this.datastore.query({ prefix: `${this.prefix}/records/` }, { signal })) {
      yield { key: key.toString(), bytes: value }
    }
  }

  /** Saved registries; an entry that does not parse is deleted. */
  async registries (signal?: AbortSignal): Promise<SavedRegistry[]> {
    const out: SavedRegistry[] = []
    const bad: Key[] = []
    for await (const { key, value } of this.datastore.query({ prefix: `${this.prefix}/registries/` }, { signal })) {
      const saved = value.byteLength <= MAX_SAVED_REGISTRY_BYTES ? parseSavedRegistry(key.baseNamespace(), value) : undefined
      if (saved === undefined) bad.push(key)
      else if (out.length < MAX_SAVED_REGISTRIES) out.push(saved)
    }
    for (const key of bad) await this.datastore.delete(key, { signal })
    this.savedRegistries = new Set(out.map(r => r.id))
    return out
  }

  /** Forgets a saved record that no longer verifies (at the next flush). */
  discard (key: string): void {
    this.pending.set(key, null)
  }

  recordStored (record: VerifiedRecord): void {
    this.pending.set(this.recordKey(record), record.bytes)
  }

  recordDropped (record: VerifiedRecord): void {
    this.pending.set(this.recordKey(record), null)
  }

  /** The registries to restore at the next start: the verified ones of the table, replacing what was saved. */
  registriesChanged (registries: SavedRegistry[]): void {
    this.registriesToSave = registries.slice(0, MAX_SAVED_REGISTRIES)
  }

  /** Whether changes wait for a flush. */
  get dirty (): boolean {
    return this.pending.size > 0 || this.registriesToSave !== undefined
  }

  /** Writes the pending changes in one batch; a failure keeps them for the next flush (and is logged). */
  async flush (): Promise<void> {
    // One flush at a time: a second caller waits for the first, then writes what came meanwhile.
    while (this.flushing !== undefined) await this.flushing
    if (!this.dirty) return
    this.flushing = this.write().finally(() => { this.flushing = undefined })
    return this.flushing
  }

  private async write (): Promise<void> {
    const changes = new Map(this.pending)
    this.pending.clear()
    const registries = this.registriesToSave
    this.registriesToSave = undefined
    const batch = this.datastore.batch()
    for (const [key, bytes] of changes) {
      if (bytes === null) batch.delete(new Key(key))
      else batch.put(new Key(key), bytes)
    }
    let saved = this.savedRegistries
    if (registries !== undefined) {
      saved = new Set(registries.map(r => r.id))
      for (const id of this.savedRegistries) {
        if (!saved.has(id)) batch.delete(this.registryKey(id))
      }
      for (const r of registries) batch.put(this.registryKey(r.id), new TextEncoder().encode(JSON.stringify({ addrs: r.addrs })))
    }
    try {
      await batch.commit()
      this.savedRegistries = saved
      this.counters.flushes++
    } catch (err) {
      this.counters.flushFailures++
      this.log.error('could not write %d record changes to the datastore: %e', changes.size, err)
      // Newer changes made while the batch failed win over the ones put back.
      for (const [key, bytes] of changes) if (!this.pending.has(key)) this.pending.set(key, bytes)
      if (registries !== undefined) this.registriesToSave ??= registries
    }
  }

  private recordKey (record: VerifiedRecord): string {
    // Names are [A-Za-z0-9._-] and peer ids base58: neither holds a key separator.
    return `${this.prefix}/records/${record.name}/${record.peerId}`
  }

  private registryKey (id: string): Key {
    return new Key(`${this.prefix}/registries/${id}`)
  }
}

function parseSavedRegistry (id: string, value: Uint8Array): SavedRegistry | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(value))
    if (typeof parsed !== 'object' || parsed === null) return undefined
    const addrs = (parsed as { addrs?: unknown }).addrs
    if (!Array.isArray(addrs) || !addrs.every(a => typeof a === 'string')) return undefined
    return { id, addrs }
  } catch {
    return undefined
  }
}
