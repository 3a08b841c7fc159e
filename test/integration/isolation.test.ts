/**
 * Networks are isolated: nothing registered in one is seen in another, even through shared registries' hosts.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { NoRegistryReachableError } from '../../src/index.js'
import { TestNetwork } from '../helpers/network.js'

describe('network isolation', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('keeps development and production apart', async () => {
    const dev = await net.registries(2, 'development')
    const prod = await net.registries(2, 'production')
    const devService = await net.service('DatabaseService', dev.addrs, { network: 'development' })
    const prodService = await net.service('DatabaseService', prod.addrs, { network: 'production' })

    const devClient = net.node({ network: 'development', registryNodes: dev.addrs })
    const prodClient = net.node({ network: 'production', registryNodes: prod.addrs })
    assert.deepEqual((await devClient.discoverServiceNode('DatabaseService')).map(f => f.peerId), [devService.peerId])
    assert.deepEqual((await prodClient.discoverServiceNode('DatabaseService')).map(f => f.peerId), [prodService.peerId])
    const [found] = await prodClient.discoverServiceNode('DatabaseService')
    assert.equal(found.network, 'production')
  })

  it('never uses a registry of another network, even when given its address', async () => {
    const prod = await net.registries(1, 'production')
    await net.service('DatabaseService', prod.addrs, { network: 'production' })
    // A development client pointed at a production registry: the connection opens, the protocols do not match.
    const confused = net.node({ network: 'development', registryNodes: prod.addrs, discoverTimeout: 3000 })
    await assert.rejects(confused.discoverServiceNode('DatabaseService'), NoRegistryReachableError)
    const squatter = net.node({ network: 'development', metadata: { name: 'DatabaseService' }, registryNodes: prod.addrs, registerTimeout: 3000 })
    await assert.rejects(squatter.registerWithNetwork(), NoRegistryReachableError)
    const prodClient = net.node({ network: 'production', registryNodes: prod.addrs })
    assert.equal((await prodClient.discoverServiceNode('DatabaseService')).length, 1)
  })
})
