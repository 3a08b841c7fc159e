/**
 * The registry side of watch streams against a peer that does not follow the protocol: anything but one WATCH
 * is refused with a code and the stream closed; a proper WATCH gets its snapshot first.
 */
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { after, describe, it } from 'node:test'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { watchProtocol } from '../../src/constants.js'
import { createNode } from '../../src/node/create-node.js'
import { REGISTRY_RESPONSE_LIMITS } from '../../src/registry/registry-server.js'
import { LOOPBACK, TestNetwork } from '../helpers/network.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>

describe('watch streams against a misbehaving peer', () => {
  const net = new TestNetwork()
  const raw: NetgetLibp2p[] = []
  after(async () => {
    await Promise.all(raw.map(async n => n.stop()))
    await net.stopAll()
  })

  async function rawWatch (registryAddr: string, request: Partial<RegistryRequest>): Promise<RegistryResponse[]> {
    const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: false, listen: LOOPBACK, bootstrapList: [], dialTimeout: 5000 })
    raw.push(node)
    await node.start()
    const ma = multiaddr(registryAddr)
    const registry = peerIdFromString(ma.getComponents().findLast(c => c.name === 'p2p')?.value ?? '')
    await node.peerStore.merge(registry, { multiaddrs: [ma.decapsulateCode(421)] })
    const signal = AbortSignal.timeout(5000)
    const stream = await node.dialProtocol(registry, watchProtocol('development'), { signal })
    const pb = pbStream(stream)
    await pb.write({ type: RegistryRequest.Type.WATCH, name: '', id: 7, record: EMPTY, key: EMPTY, closer: 0, relay: 0, ...request }, RegistryRequest, { signal })
    const out: RegistryResponse[] = []
    // Until the registry closes the stream, or after its first message for a served watch.
    try {
      while (true) {
        const message = await pb.read(RegistryResponse, { signal, limits: REGISTRY_RESPONSE_LIMITS })
        out.push(message)
        if (message.status === RegistryResponse.Status.OK) break
      }
    } catch {}
    return out
  }

  it('refuses a stream that does not start with WATCH, and a bad name, with a code', async () => {
    const { addrs } = await net.registries(1)
    const notWatch = await rawWatch(addrs[0], { type: RegistryRequest.Type.DISCOVER, name: 'Orders' })
    assert.deepEqual(notWatch.map(m => [m.status, m.code, m.id]), [[RegistryResponse.Status.REJECTED, 'NETGET_ERR_PROTOCOL', 7]])
    const badName = await rawWatch(addrs[0], { name: 'no spaces allowed' })
    assert.deepEqual(badName.map(m => [m.status, m.code]), [[RegistryResponse.Status.REJECTED, 'NETGET_ERR_RECORD_BAD_FIELD']])
    const served = await rawWatch(addrs[0], { name: 'Orders' })
    assert.deepEqual(served.map(m => [m.status, m.snapshot, m.id, m.records.length]), [[RegistryResponse.Status.OK, true, 7, 0]])
  })
})
