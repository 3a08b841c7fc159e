/**
 * A registry with a data dir (or a datastore) keeps the records it holds and the registries it knows: restarted,
 * it serves them before any service republishes, rejoins the network with no registry configured, and drops what
 * no longer verifies. Real LevelDB on disk, real nodes on loopback.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { Netget, StartError } from '../../src/index.js'
import { signRecord } from '../../src/records/service-record.js'
import { LOOPBACK, eventually, waitForEvent } from '../helpers/network.js'
import type { RestoreResult } from '../../src/index.js'

const TIMEOUT = 10_000

describe('a registry that restarts', () => {
  const nodes: Netget[] = []
  const dirs: string[] = []
  const track = (node: Netget): Netget => {
    nodes.push(node)
    return node
  }
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'netget-persist-'))
    dirs.push(dir)
    return dir
  }
  after(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
    await Promise.all(dirs.map(async d => rm(d, { recursive: true, force: true })))
  })

  /** Starts a registry and resolves with what it restored (the `restored` event comes during start). */
  const startRegistry = async (options: ConstructorParameters<typeof Netget>[0] = {}): Promise<{ node: Netget, restored?: RestoreResult }> => {
    const node = track(new Netget({ nodeType: 'registry', listen: LOOPBACK, ...options }))
    let restored: RestoreResult | undefined
    node.addEventListener('restored', evt => { restored = evt.detail })
    await node.start()
    return { node, ...(restored !== undefined ? { restored } : {}) }
  }

  /**
   * Runs a registry on `store` (a data dir or a datastore) until it verified another registry, then stops it:
   * identify verifies the other one, and the flush at stop saves it. Returns the other registry, still running.
   */
  const savedAnother = async (store: ConstructorParameters<typeof Netget>[0]): Promise<{ node: Netget }> => {
    const other = await startRegistry()
    const first = await startRegistry({ ...store, registryNodes: other.node.getMultiaddrs() })
    await eventually(async () => first.node.getStats().verifiedRegistries >= 1 ? true : undefined, TIMEOUT)
    await first.node.stop()
    return other
  }

  /** A registry (not started) whose listen address another running registry holds: its start fails after the restore. */
  const onTakenPort = async (options: ConstructorParameters<typeof Netget>[0]): Promise<Netget> => {
    const blocker = await startRegistry()
    const taken = blocker.node.getMultiaddrs()[0].replace(/\/p2p\/.*$/, '')
    return track(new Netget({ nodeType: 'registry', listen: [taken], ...options }))
  }

  it('serves the records it held from its data dir before any service republishes', async () => {
    const dataDir = await tempDir()
    const first = await startRegistry({ dataDir })
    assert.deepEqual(first.restored, { records: 0, discarded: 0, registries: 0 })
    const service = track(new Netget({ registryNodes: first.node.getMultiaddrs(), metadata: { name: 'Persisted', port: 7000 } }))
    await service.registerWithNetwork()
    await first.node.stop()
    // The service goes too, its withdrawal undelivered: only the datastore can bring its record back.
    await service.stop()

    // Probes every minute: the first discovery is answered before the prober could find the instance gone.
    const second = await startRegistry({ dataDir, healthInterval: 60_000 })
    assert.equal(second.node.peerId, first.node.peerId, 'the identity lives in the same data dir')
    assert.deepEqual(second.restored, { records: 1, discarded: 0, registries: 0 })
    let republished = 0
    second.node.addEventListener('record:stored', () => { republished++ })
    const client = track(new Netget({ registryNodes: second.node.getMultiaddrs() }))
    const found = await client.discoverServiceNode('Persisted')
    assert.deepEqual(found.map(i => [i.peerId, i.metadata.port]), [[service.peerId, 7000]])
    assert.equal(republished, 0)
  })

  it('keeps records in a datastore the caller gives, across two registries', async () => {
    const datastore = new MemoryDatastore()
    const first = await startRegistry({ datastore })
    const service = track(new Netget({ registryNodes: first.node.getMultiaddrs(), metadata: { name: 'InMemory' } }))
    await service.registerWithNetwork()
    await first.node.stop()
    // A registry with another identity restores them: records are the publishers', not the registry's.
    const second = await startRegistry({ datastore, healthInterval: 60_000 })
    assert.notEqual(second.node.peerId, first.node.peerId)
    assert.equal(second.restored?.records, 1)
    const client = track(new Netget({ registryNodes: second.node.getMultiaddrs() }))
    assert.deepEqual((await client.discoverServiceNode('InMemory')).map(i => i.peerId), [service.peerId])
  })

  it('drops saved records that no longer verify (expired, damaged, forged) and serves none of them', async () => {
    const dataDir = await tempDir()
    const seeded = await startRegistry({ dataDir })
    await seeded.node.stop()
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    const now = Date.now()
    const fields = { network: 'development', name: 'Stale', addresses: [], metadata: { name: 'Stale' }, sequence: 1n }
    const expired = await signRecord(key, { ...fields, issuedAt: now - 120_000, expiresAt: now - 60_000 })
    const live = await signRecord(key, { ...fields, name: 'Forged', metadata: { name: 'Forged' }, issuedAt: now, expiresAt: now + 60_000 })
    const forged = live.slice()
    forged[forged.length - 1] ^= 0xff
    const level = new LevelDatastore(join(dataDir, 'datastore'))
    await level.open()
    await level.put(new Key(`/netget/development/records/Stale/${peerId}`), expired)
    await level.put(new Key(`/netget/development/records/Forged/${peerId}`), forged)
    await level.put(new Key('/netget/development/records/Junk/x'), new Uint8Array([1, 2, 3]))
    await level.put(new Key('/netget/development/registries/not-json'), new TextEncoder().encode('{'))
    await level.close()

    const restarted = await startRegistry({ dataDir })
    assert.deepEqual(restarted.restored, { records: 0, discarded: 3, registries: 0 })
    const client = track(new Netget({ registryNodes: restarted.node.getMultiaddrs() }))
    for (const name of ['Stale', 'Forged']) assert.deepEqual(await client.discoverServiceNode(name), [])
    await restarted.node.stop()
    // Deleted, not only skipped: the next start reads nothing back.
    const reopened = new LevelDatastore(join(dataDir, 'datastore'))
    await reopened.open()
    const left: string[] = []
    for await (const k of reopened.queryKeys({ prefix: '/netget/' })) left.push(k.toString())
    await reopened.close()
    assert.deepEqual(left, [])
  })

  it('finds its way back into the network through the registries it knew, with none configured', async () => {
    const dataDir = await tempDir()
    const other = await savedAnother({ dataDir })
    const restarted = await startRegistry({ dataDir })
    assert.equal(restarted.restored?.registries, 1)
    const connected = waitForEvent<string>(other.node, 'peer:connect', TIMEOUT, id => id === restarted.node.peerId)
    await connected
    await eventually(async () => restarted.node.getStats().verifiedRegistries >= 1 ? true : undefined, TIMEOUT)
  })

  it('keeps the registries it saved through a run in which none of them answered, and through a failed start', async () => {
    const datastore = new MemoryDatastore()
    const other = await savedAnother({ datastore })
    await other.node.stop()
    // The registry it knew is down: this run verifies nobody, and its stop must not forget it.
    const lonely = await startRegistry({ datastore })
    assert.equal(lonely.restored?.registries, 1)
    await lonely.node.stop()
    // A start that fails after the restore (its port taken) must not forget it either.
    await assert.rejects((await onTakenPort({ datastore })).start(), StartError)
    const last = await startRegistry({ datastore })
    assert.equal(last.restored?.registries, 1)
  })

  it('a start that fails after the restore says nothing was restored, and frees its data dir', async () => {
    const dataDir = await tempDir()
    await (await startRegistry({ dataDir })).node.stop()
    const failing = await onTakenPort({ dataDir })
    let restored = 0
    failing.addEventListener('restored', () => { restored++ })
    await assert.rejects(failing.start(), StartError)
    assert.equal(restored, 0, 'no restored event for a start that failed')
    assert.equal(failing.isRunning(), false)
    // LevelDB holds a lock on its directory while open: a second start on it would fail with "in use".
    const next = await startRegistry({ dataDir })
    assert.deepEqual(next.restored, { records: 0, discarded: 0, registries: 0 })
  })

  it('refuses to share its data dir with a registry that runs: StartError, and the first keeps running', async () => {
    const dataDir = await tempDir()
    const running = await startRegistry({ dataDir })
    const second = track(new Netget({ nodeType: 'registry', listen: LOOPBACK, dataDir }))
    await assert.rejects(second.start(), (err: Error) => err instanceof StartError && /in use by another process/.test(err.message))
    const service = track(new Netget({ registryNodes: running.node.getMultiaddrs(), metadata: { name: 'StillServed' } }))
    await service.registerWithNetwork()
  })
})
