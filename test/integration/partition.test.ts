/**
 * After a partition heals, registries that dropped each other from their tables meet again by themselves, within
 * seconds, even when the registry that introduced them is gone.
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { TestNetwork, eventually } from '../helpers/network.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** A gater that refuses, while `cut` holds, every connection to or from the peers in `other`. */
function partitionGater (state: { cut: boolean, other: Set<string> }): ConnectionGater {
  const refused = (peer: PeerId): boolean => state.cut && state.other.has(peer.toString())
  return {
    denyDialPeer: async peer => refused(peer),
    denyInboundEncryptedConnection: async peer => refused(peer),
    denyOutboundEncryptedConnection: async peer => refused(peer)
  }
}

describe('partition', () => {
  const net = new TestNetwork()
  afterEach(async () => { await net.stopAll() })

  it('registries that dropped each other during a partition find each other again once it heals', async () => {
    // A and B know each other only through S, the registry both were given.
    const seed = net.node({ nodeType: 'registry' })
    await seed.start()
    const stateA = { cut: false, other: new Set<string>() }
    const stateB = { cut: false, other: new Set<string>() }
    const a = net.node({ nodeType: 'registry', connectionGater: partitionGater(stateA), registryNodes: [seed.getMultiaddrs()[0]] })
    await a.start()
    const b = net.node({ nodeType: 'registry', connectionGater: partitionGater(stateB), registryNodes: [seed.getMultiaddrs()[0]] })
    await b.start()
    await eventually(async () => a.getStats().verifiedRegistries === 2 && b.getStats().verifiedRegistries === 2 ? true : undefined, 10_000)

    stateA.other.add(b.peerId)
    stateB.other.add(a.peerId)
    stateA.cut = stateB.cut = true
    await a.hangUp(b.peerId)
    // Each notices the other is gone (its liveness check cannot connect) and drops it from its table.
    await eventually(async () => a.getStats().verifiedRegistries === 1 ? true : undefined, 10_000)
    // S goes away meanwhile: nobody is left to introduce A and B again, they must find each other themselves.
    await seed.stop()
    await eventually(async () => a.getStats().verifiedRegistries === 0 ? true : undefined, 10_000)

    stateA.cut = stateB.cut = false
    const healed = performance.now()
    await eventually(async () => a.getStats().verifiedRegistries === 1 && b.getStats().verifiedRegistries === 1 ? true : undefined, 15_000)
    const took = performance.now() - healed
    // Well before the first table refresh (60 s) or any renewal: the dropped registry was tried again.
    assert.ok(took < 10_000, `met again after ${Math.round(took)} ms`)
  })
})
