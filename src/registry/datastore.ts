/**
 * The datastore a registry keeps across restarts: the caller's (`datastore` option), or a LevelDB one that the
 * node opens in `<dataDir>/datastore` and closes when it stops. libp2p's peer store lives in it under /libp2p.
 */
import { join } from 'node:path'
import { MemoryDatastore, MountDatastore, NamespaceDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { StartError } from '../errors.js'
import type { Datastore } from 'interface-datastore'

export const DATASTORE_DIR = 'datastore'

export interface RegistryDatastore {
  /** netget's own keys (/netget/<network>/…). */
  datastore: Datastore
  /**
   * What libp2p is given: its peer store (/peers) kept in the same store under /libp2p; everything else libp2p
   * writes (kad-dht's PUT_VALUE records and provider entries, which any peer of an open network can send) in
   * memory, so that no peer can fill the disk, or make what it sent outlive a restart.
   */
  libp2p: Datastore
  /** Closes the datastore if the node opened it (a caller's own is left open). */
  close: () => Promise<void>
}

export async function openRegistryDatastore (options: { datastore?: Datastore, dataDir?: string }): Promise<RegistryDatastore | undefined> {
  if (options.datastore !== undefined) return wrap(options.datastore, async () => {})
  if (options.dataDir === undefined) return undefined
  const path = join(options.dataDir, DATASTORE_DIR)
  // Loaded only here: registries without a data dir (and every service and client) never load LevelDB.
  const [levelModule, { LevelDatastore }] = await Promise.all([import('level'), import('datastore-level')])
  // `level` is CommonJS: bundled (dist/netget.mjs) its exports arrive as the default export.
  const Level = levelModule.Level ?? (levelModule as unknown as { default: typeof levelModule }).default.Level
  // Opened here rather than by LevelDatastore, which reports every failure as one string: a held lock (another
  // process on this data dir) must read as such.
  const db = new Level<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
  let level: InstanceType<typeof LevelDatastore>
  try {
    await db.open({ createIfMissing: true, compression: false })
    level = new LevelDatastore(db)
    await level.open()
  } catch (err) {
    const causes = causeChain(err)
    const locked = causes.some(c => (c as { code?: unknown }).code === 'LEVEL_LOCKED' || /lock/i.test(c.message))
    throw new StartError(locked
      ? `the datastore ${path} is in use by another process (one registry per data dir)`
      : `the datastore ${path} could not be opened: ${causes.map(c => c.message).join(': ')}`, { cause: err })
  }
  return wrap(level, async () => { await level.close() })
}

function wrap (datastore: Datastore, close: () => Promise<void>): RegistryDatastore {
  const libp2p = new MountDatastore([
    { prefix: new Key('/peers'), datastore: new NamespaceDatastore(datastore, new Key('/libp2p')) },
    { prefix: new Key('/'), datastore: new MemoryDatastore() }
  ])
  return { datastore, libp2p, close }
}

/** An error and its causes, outermost first (bounded: a cycle of causes ends it). */
function causeChain (err: unknown): Error[] {
  const out: Error[] = []
  let current: unknown = err
  while (current instanceof Error && out.length < 8 && !out.includes(current)) {
    out.push(current)
    current = current.cause
  }
  return out
}
