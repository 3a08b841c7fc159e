/**
 * The component logger netget gives libp2p: silent and cheap for what `DEBUG` leaves off, libp2p's own logger for
 * what it enables, down to scopes created below a silent component (per connection, per stream).
 */
import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import { disable, enable } from '@libp2p/logger'
import { quietLogger } from '../src/node/logger.js'

describe('quietLogger', () => {
  const before = process.env.DEBUG
  afterEach(() => { if (before === undefined) disable(); else enable(before) })

  it('hands out silent loggers when nothing is enabled, and they accept every call', () => {
    disable()
    const log = quietLogger().forComponent('libp2p:tcp')
    assert.equal(log.enabled, false)
    log('a %s', 'b'); log.error('x'); log.trace('y')
    const scoped = log.newScope('connection').newScope('outbound:1')
    assert.equal(scoped.enabled, false)
  })

  it('gives libp2p\'s logger to an enabled component, and to a scope that DEBUG enables below a silent one', () => {
    enable('libp2p:tcp:connection:outbound:*,netget:registry')
    const logger = quietLogger()
    assert.equal(logger.forComponent('netget:registry').enabled, true)
    assert.equal(logger.forComponent('netget:health').enabled, false)
    const tcp = logger.forComponent('libp2p:tcp')
    assert.equal(tcp.enabled, false)
    assert.equal(tcp.newScope('connection').newScope('inbound:7').enabled, false)
    assert.equal(tcp.newScope('connection').newScope('outbound:7').enabled, true)
  })

  it('counts a component as enabled when only its errors are', () => {
    enable('libp2p:dial-queue:error')
    const log = quietLogger().forComponent('libp2p:dial-queue')
    assert.equal((log.error as unknown as { enabled: boolean }).enabled, true)
    assert.equal((quietLogger().forComponent('libp2p:other').error as unknown as { enabled?: boolean }).enabled, undefined)
  })
})
