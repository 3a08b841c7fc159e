/**
 * Closed networks (authority key + admission certificates) and private networks (PSK), over real nodes.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { registryProtocol } from '../../src/constants.js'
import {
  AdmissionError, AdmissionErrorCodes, InvalidOptionError, NoRegistryReachableError,
  RecordErrorCodes, formatPublicKey, issueCertificate
} from '../../src/index.js'
import { createNode } from '../../src/node/create-node.js'
import { request } from '../../src/node/rpc.js'
import { signRecord } from '../../src/records/service-record.js'
import { AdmissionGuard } from '../../src/security/admission-guard.js'
import { newPsk } from '../../src/security/psk.js'
import { LOOPBACK, TestNetwork, waitForEvent } from '../helpers/network.js'
import type { Role } from '../../src/index.js'
import type { PrivateKey } from '@libp2p/interface'

const DAY = 24 * 60 * 60 * 1000

interface Member {
  key: PrivateKey
  peerId: string
  admission: Uint8Array
}

describe('closed network', () => {
  const net = new TestNetwork()
  let authority: PrivateKey
  let authorityText: string

  async function member (role: Role, services: string[] = [], validity: { notBefore?: number, notAfter?: number } = {}, issuer?: PrivateKey): Promise<Member> {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    const now = Date.now()
    const admission = await issueCertificate(issuer ?? authority, {
      subject: peerId, role, services, notBefore: validity.notBefore ?? now - 1000, notAfter: validity.notAfter ?? now + DAY
    })
    return { key, peerId, admission }
  }

  function closed (m: Member): { authority: string, admission: Uint8Array, privateKey: PrivateKey } {
    return { authority: authorityText, admission: m.admission, privateKey: m.key }
  }

  async function registry (): Promise<{ node: ReturnType<TestNetwork['node']>, addr: string }> {
    const node = net.node({ nodeType: 'registry', ...closed(await member('registry')) })
    await node.start()
    return { node, addr: node.getMultiaddrs()[0] }
  }

  before(async () => {
    authority = await generateKeyPair('Ed25519')
    authorityText = formatPublicKey(authority.publicKey)
  })
  after(async () => { await net.stopAll() })

  it('admitted services register and admitted clients discover them', async () => {
    const { addr } = await registry()
    const db = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: [addr], ...closed(await member('service', ['Database*'])) })
    await db.registerWithNetwork()
    const client = net.node({ registryNodes: [addr], ...closed(await member('client')) })
    assert.deepEqual((await client.discoverServiceNode('DatabaseService')).map(f => f.peerId), [db.peerId])
  })

  it('refuses a node without a certificate: it can neither register nor discover', async () => {
    const { node: reg, addr } = await registry()
    const refused = waitForEvent<{ peerId: string, code: string }>(reg, 'peer:refused', 5000)
    const outsider = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: [addr], registerTimeout: 3000 })
    await assert.rejects(outsider.registerWithNetwork(), NoRegistryReachableError)
    const event = await refused
    assert.equal(event.code, AdmissionErrorCodes.MISSING)
    assert.ok(reg.getStats().refusedPeers >= 1)
  })

  it('refuses a certificate from another authority', async () => {
    const { node: reg, addr } = await registry()
    const rogue = await generateKeyPair('Ed25519')
    const impostor = await member('service', ['Database*'], {}, rogue)
    // The impostor trusts the real authority (so its own check passes) but shows a certificate issued by another key.
    await assert.rejects(net.node({ registryNodes: [addr], ...closed(impostor) }).start(), InvalidOptionError)
    const node = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: [addr], registerTimeout: 3000, authority: formatPublicKey(rogue.publicKey), admission: impostor.admission, privateKey: impostor.key })
    const refused = waitForEvent<{ code: string }>(reg, 'peer:refused', 5000)
    await assert.rejects(node.registerWithNetwork(), NoRegistryReachableError)
    // INVALID when the registry reads the rogue certificate first; MISSING when the impostor (who distrusts the
    // registry's certificate) hung up before showing it. Either way it is refused.
    assert.ok([AdmissionErrorCodes.INVALID, AdmissionErrorCodes.MISSING].includes((await refused).code as never))
  })

  it('refuses name squatting: a record for a name the certificate does not allow', async () => {
    const { node: reg, addr } = await registry()
    const cache = await member('service', ['Cache*'])
    const squatter = net.node({ metadata: { name: 'DatabaseService' }, registryNodes: [addr], ...closed(cache) })
    await assert.rejects(squatter.registerWithNetwork(), (err: unknown) => err instanceof AdmissionError && err.code === AdmissionErrorCodes.NAME)

    // The same through the wire, skipping the local check: the registry refuses it.
    const raw = await createNode({ privateKey: cache.key, network: 'development', dhtServer: false, listen: LOOPBACK, bootstrapList: [], dialTimeout: 2000 })
    const guard = new AdmissionGuard({ network: 'development', authority: authority.publicKey, certificate: cache.admission, timeout: 2000, recheckInterval: 60_000, denyFor: 1000, onRefused: () => {} })
    await guard.start(raw)
    await raw.start()
    try {
      const now = Date.now()
      const fields = { network: 'development', name: 'DatabaseService', addresses: [], metadata: {}, sequence: 1n, issuedAt: now, expiresAt: now + 60_000 }
      const target = multiaddr(addr)
      const sendTo = async (bytes: Uint8Array) => request(raw, target, registryProtocol('development'),
        { type: RegistryRequest.Type.PUBLISH, record: bytes as Uint8Array<ArrayBuffer>, name: '', id: 1, key: new Uint8Array(0), closer: 0, relay: 0 },
        { request: RegistryRequest, response: RegistryResponse }, { signal: AbortSignal.timeout(5000), maxDataLength: 1 << 20 })
      const squat = await sendTo(await signRecord(cache.key, { ...fields, admission: cache.admission }))
      assert.equal(squat.status, RegistryResponse.Status.REJECTED)
      assert.equal(squat.code, RecordErrorCodes.ADMISSION_NAME)
      const bare = await sendTo(await signRecord(cache.key, { ...fields, name: 'CacheService' }))
      assert.equal(bare.code, RecordErrorCodes.ADMISSION_MISSING)
      const borrowed = await member('service', ['Cache*'])
      const stolen = await sendTo(await signRecord(cache.key, { ...fields, name: 'CacheService', admission: borrowed.admission }))
      assert.equal(stolen.code, RecordErrorCodes.ADMISSION_INVALID)
      const good = await sendTo(await signRecord(cache.key, { ...fields, name: 'CacheService', admission: cache.admission }))
      assert.equal(good.status, RegistryResponse.Status.OK)
      const rejected = reg.getStats().rejected
      assert.equal(rejected[RecordErrorCodes.ADMISSION_NAME], 1)
      assert.equal(rejected[RecordErrorCodes.ADMISSION_MISSING], 1)
      assert.equal(rejected[RecordErrorCodes.ADMISSION_INVALID], 1)
    } finally {
      await guard.stop()
      await raw.stop()
    }
    const client = net.node({ registryNodes: [addr], ...closed(await member('client')) })
    assert.deepEqual(await client.discoverServiceNode('DatabaseService'), [])
    assert.deepEqual((await client.discoverServiceNode('CacheService')).map(f => f.peerId), [cache.peerId])
  })

  it('never admits a peer without a registry certificate as a DHT server or registry', async () => {
    const { node: reg, addr } = await registry()
    const pretender = await member('service', ['Database*'])
    // A registry node needs a registry certificate: refused before it starts.
    const node = net.node({ nodeType: 'registry', registryNodes: [addr], ...closed(pretender) })
    await assert.rejects(node.start(), InvalidOptionError)
    // A raw DHT server holding only a service certificate: refused as soon as it shows what it serves.
    const raw = await createNode({ privateKey: pretender.key, network: 'development', dhtServer: true, listen: LOOPBACK, bootstrapList: [], dialTimeout: 2000 })
    const guard = new AdmissionGuard({ network: 'development', authority: authority.publicKey, certificate: pretender.admission, timeout: 2000, recheckInterval: 60_000, denyFor: 1000, onRefused: () => {} })
    await guard.start(raw)
    await raw.start()
    try {
      const refused = waitForEvent<{ peerId: string, code: string }>(reg, 'peer:refused', 5000, d => d.peerId === pretender.peerId)
      await raw.dial(multiaddr(addr))
      assert.equal((await refused).code, AdmissionErrorCodes.ROLE)
    } finally {
      await guard.stop()
      await raw.stop()
    }
  })

  it('rejects expired certificates, and drops a peer whose certificate expires while connected', async () => {
    const expired = await member('service', ['Database*'], { notBefore: Date.now() - 2 * DAY, notAfter: Date.now() - DAY })
    const node = net.node({ ...closed(expired), metadata: { name: 'DatabaseService' } })
    await assert.rejects(node.start(), InvalidOptionError)

    // Two raw nodes with guards on a clock the test moves.
    let clock = Date.now()
    const a = await member('registry', [], { notAfter: Date.now() + DAY })
    const b = await member('client', [], { notAfter: Date.now() + 60 * 60 * 1000 })
    const nodes = await Promise.all([a, b].map(async m => createNode({ privateKey: m.key, network: 'development', dhtServer: false, listen: LOOPBACK, bootstrapList: [], dialTimeout: 2000 })))
    const refusals: Array<{ peerId: string, code: string }> = []
    const { promise: refusedB, resolve } = Promise.withResolvers<void>()
    const guards = [a, b].map((m, i) => new AdmissionGuard({
      network: 'development', authority: authority.publicKey, certificate: m.admission, timeout: 2000, recheckInterval: 20, denyFor: 60_000, now: () => clock,
      onRefused: (peerId, err) => {
        if (i === 0) {
          refusals.push({ peerId, code: err.code })
          resolve()
        }
      }
    }))
    try {
      for (let i = 0; i < 2; i++) {
        await guards[i].start(nodes[i])
        await nodes[i].start()
      }
      const connected = waitForEvent(nodes[0], 'peer:connect', 3000)
      await nodes[1].dial(nodes[0].getMultiaddrs()[0])
      await connected
      assert.equal((await guards[0].require(b.peerId, ['client'], AbortSignal.timeout(3000))).subject, b.peerId)
      clock += 2 * 60 * 60 * 1000
      await Promise.race([refusedB, new Promise((_r, reject) => setTimeout(() => { reject(new Error('not refused within 3 s')) }, 3000).unref())])
      assert.deepEqual(refusals[0], { peerId: b.peerId, code: AdmissionErrorCodes.EXPIRED })
      assert.equal(guards[0].roleOf(b.peerId), undefined)
    } finally {
      for (let i = 0; i < 2; i++) {
        await guards[i].stop()
        await nodes[i].stop()
      }
    }
  })

  it('validates the closed-network options together', async () => {
    const m = await member('service', ['Database*'])
    assert.throws(() => net.node({ authority: authorityText }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'admission')
    assert.throws(() => net.node({ admission: m.admission }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'authority')
    assert.throws(() => net.node({ authority: 'not-a-key', admission: m.admission }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'authority')
    // A certificate for another peer than this node's identity.
    const other = await member('service', ['Database*'])
    const node = net.node({ authority: authorityText, admission: m.admission, privateKey: other.key })
    await assert.rejects(node.start(), (err: unknown) => err instanceof InvalidOptionError && err.option === 'admission')
  })
})

describe('private network (PSK)', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('lets nodes with the same key talk and keeps others out', async () => {
    const psk = newPsk()
    const { addrs } = await net.registries(1, 'development', { psk })
    const service = await net.service('DatabaseService', addrs, { psk })
    assert.deepEqual((await net.node({ registryNodes: addrs, psk }).discoverServiceNode('DatabaseService')).map(f => f.peerId), [service.peerId])
    const stranger = net.node({ registryNodes: addrs, psk: newPsk(), discoverTimeout: 3000, dialTimeout: 1000 })
    await assert.rejects(stranger.discoverServiceNode('DatabaseService'), NoRegistryReachableError)
    const open = net.node({ registryNodes: addrs, discoverTimeout: 3000, dialTimeout: 1000 })
    await assert.rejects(open.discoverServiceNode('DatabaseService'))
  })

  it('refuses a PSK that is not in the pnet key format', async () => {
    const node = net.node({ psk: new TextEncoder().encode('not a key') })
    await assert.rejects(node.start(), { code: 'NETGET_ERR_KEY_FILE' })
  })
})
