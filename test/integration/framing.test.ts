/**
 * The framing rules of protocols/registry.md, through the wire, against a real registry: a length prefix longer
 * than the largest message needs is reset at once, whatever its value (9- and 10-byte prefixes included), and a
 * request begun must arrive whole within the request deadline.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { byteStream, lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { RegistryRequest, RegistryResponse } from '../../protocols/registry.js'
import { MAX_REGISTRY_MESSAGE_BYTES } from '../../src/constants.js'
import { createNode } from '../../src/node/create-node.js'
import { TestNetwork } from '../helpers/network.js'
import type { NetgetLibp2p } from '../../src/node/create-node.js'

const REQUEST_TIMEOUT = 400

/** An unsigned LEB128 varint of any size (uint8-varint stops at 2^53). */
function leb128 (value: bigint): Uint8Array {
  const out: number[] = []
  do {
    const low = Number(value & 0x7fn)
    value >>= 7n
    out.push(value > 0n ? low | 0x80 : low)
  } while (value > 0n)
  return new Uint8Array(out)
}

describe('registry protocol framing', () => {
  const net = new TestNetwork()
  let raw: NetgetLibp2p
  let registryAddr: string

  before(async () => {
    const { addrs } = await net.registries(1, 'development', { requestTimeout: REQUEST_TIMEOUT })
    registryAddr = addrs[0]
    raw = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'development', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
    await raw.start()
    const ma = multiaddr(registryAddr)
    await raw.peerStore.merge(peerIdFromString(ma.getComponents().findLast(c => c.name === 'p2p')?.value ?? ''), { multiaddrs: [ma.decapsulateCode(421)] })
  })

  after(async () => {
    await raw.stop()
    await net.stopAll()
  })

  /**
   * Writes `bytes` on a new registry stream, leaves it open (or closes its writing side, `halfClose`), and says how
   * the registry ended it, and when (ms).
   */
  const send = async (bytes: Uint8Array, halfClose = false): Promise<{ outcome: string, ms: number }> => {
    const signal = AbortSignal.timeout(10_000)
    const peer = peerIdFromString(multiaddr(registryAddr).getComponents().findLast(c => c.name === 'p2p')?.value ?? '')
    const stream = await raw.dialProtocol(peer, '/netget/development/registry/1.0.0', { signal })
    const bs = byteStream(stream)
    const started = performance.now()
    await bs.write(bytes, { signal })
    if (halfClose) await stream.close({ signal })
    let outcome = 'closed'
    try {
      while ((await bs.read({ signal })) !== null) outcome = 'answered'
    } catch (err) {
      outcome = (err as Error).name
    }
    return { outcome, ms: performance.now() - started }
  }

  for (const [label, value] of [['2^56 (9 bytes)', 2n ** 56n], ['2^63 (10 bytes)', 2n ** 63n], ['2^21 (4 bytes)', 2n ** 21n]] as const) {
    it(`a length prefix of ${label} is reset at once, not held until the idle close`, async () => {
      const prefix = leb128(value)
      const { outcome, ms } = await send(prefix)
      assert.equal(outcome, 'StreamResetError')
      assert.ok(ms < REQUEST_TIMEOUT, `reset after ${ms.toFixed(0)} ms`)
    })
  }

  /** Opens `count` streams of `protocol` on one connection to `target`, sends nothing, and reads their states. */
  const openMany = async (target: string, protocol: string, count: number): Promise<string[]> => {
    const peer = peerIdFromString(target)
    const streams = []
    for (let i = 0; i < count; i++) streams.push(await raw.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(5000) }))
    // The refusal (a reset) comes a round trip after the negotiation: wait for it, bounded.
    const last = streams.at(-1)
    if (last !== undefined && last.status === 'open') {
      await new Promise<void>(resolve => {
        const timer = setTimeout(resolve, 2000)
        last.addEventListener('close', () => { clearTimeout(timer); resolve() }, { once: true })
      })
    }
    const states = streams.map(s => s.status)
    for (const s of streams) s.abort(new Error('test over'))
    return states
  }

  it('a registry serves 8 registry streams per connection and resets the 9th at once', async () => {
    const states = await openMany(multiaddr(registryAddr).getComponents().findLast(c => c.name === 'p2p')?.value ?? '', '/netget/development/registry/1.0.0', 9)
    assert.deepEqual(states, [...new Array(8).fill('open'), 'reset'])
  })

  it('a node serves 32 health/1.0.0 probe streams per connection and resets the 33rd at once', async () => {
    const service = await net.service('Probed', [registryAddr])
    await raw.peerStore.merge(peerIdFromString(service.peerId), { multiaddrs: [multiaddr(service.getMultiaddrs()[0]).decapsulateCode(421)] })
    const states = await openMany(service.peerId, '/netget/development/health/1.0.0', 33)
    assert.deepEqual(states, [...new Array(32).fill('open'), 'reset'])
  })

  it('requests written ahead of the answers are all answered: four of 10 KiB in one write', async () => {
    const signal = AbortSignal.timeout(10_000)
    const peer = peerIdFromString(multiaddr(registryAddr).getComponents().findLast(c => c.name === 'p2p')?.value ?? '')
    const stream = await raw.dialProtocol(peer, '/netget/development/registry/1.0.0', { signal })
    const lp = lpStream(stream, { maxDataLength: MAX_REGISTRY_MESSAGE_BYTES })
    // Junk records of 10 KiB: each is refused, but only after it was read whole.
    const requests = [1, 2, 3, 4].map(id => RegistryRequest.encode({ type: RegistryRequest.Type.PUBLISH, id, record: new Uint8Array(10_240).fill(id), name: '', key: new Uint8Array(0), closer: 0, relay: 0 }))
    await lp.writeV(requests, { signal })
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(RegistryResponse.decode(await lp.read({ signal })))
    assert.deepEqual(answers.map(a => [a.id, a.status]), [1, 2, 3, 4].map(id => [id, RegistryResponse.Status.REJECTED]))
    await stream.close({ signal })
  })

  it('a request begun and never finished is reset within the request deadline', async () => {
    // The prefix announces 100 bytes; 10 come.
    const { outcome, ms } = await send(new Uint8Array([100, ...new Array(10).fill(0)]))
    assert.equal(outcome, 'StreamResetError')
    assert.ok(ms >= REQUEST_TIMEOUT - 50 && ms < 3 * REQUEST_TIMEOUT, `reset after ${ms.toFixed(0)} ms`)
  })

  it('a request cut short by the client closing its side is reset at once, not taken for the end of the session', async () => {
    const { outcome, ms } = await send(new Uint8Array([100, ...new Array(10).fill(0)]), true)
    assert.equal(outcome, 'StreamResetError')
    assert.ok(ms < REQUEST_TIMEOUT, `reset after ${ms.toFixed(0)} ms`)
  })
})
