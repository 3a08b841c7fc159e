/**
 * netget logs through the libp2p component logger it is given (`logger`, or `@libp2p/logger` enabled with
 * DEBUG=netget*), so that a user can see why a request failed: nothing is swallowed silently.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InvalidOptionError, Netget } from '../../src/index.js'
import { TestNetwork } from '../helpers/network.js'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/** A ComponentLogger that keeps every line (component and arguments) it is given. */
function capturingLogger (): { logger: ComponentLogger, lines: Array<{ component: string, args: unknown[] }> } {
  const lines: Array<{ component: string, args: unknown[] }> = []
  const forComponent = (component: string): Logger => {
    const log = ((...args: unknown[]) => { lines.push({ component, args }) }) as unknown as Logger
    return Object.assign(log, {
      enabled: true,
      error: (...args: unknown[]) => { lines.push({ component: `${component}:error`, args }) },
      trace: () => {},
      newScope: (scope: string) => forComponent(`${component}:${scope}`)
    })
  }
  return { logger: { forComponent }, lines }
}

describe('logging', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('a registry that cannot be reached is logged under netget:registry-client, with the error', async () => {
    const { addrs } = await net.registries(1)
    await net.service('Logged', addrs)
    // A configured registry whose address refuses connections (nothing listens on port 1).
    const ghost = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const { logger, lines } = capturingLogger()
    const client = net.node({ registryNodes: [`/ip4/127.0.0.1/tcp/1/p2p/${ghost}`, ...addrs], logger, queryFanout: 2 })
    assert.equal((await client.discoverServiceNode('Logged')).length, 1)
    const failed = lines.filter(l => l.component === 'netget:registry-client' && l.args.includes(ghost))
    assert.ok(failed.length > 0, `no netget:registry-client line names ${ghost}: ${JSON.stringify(lines.filter(l => l.component.startsWith('netget')).map(l => l.args.map(String)))}`)
    assert.ok(failed.some(l => l.args.some(a => a instanceof Error)), 'the line carries the error')
    // libp2p logs through the same logger.
    assert.ok(lines.some(l => l.component.startsWith('libp2p')), 'libp2p components use the given logger')
  })

  it('a logger option that is not a ComponentLogger is refused at construction', () => {
    assert.throws(() => new Netget({ logger: {} as unknown as ComponentLogger }), (err: unknown) => err instanceof InvalidOptionError && err.option === 'logger')
  })
})
