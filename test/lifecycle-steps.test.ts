/**
 * src/facade/lifecycle.ts: a node's parts start in order; a failure stops those already started, newest first;
 * a part that fails to stop is reported and the others still stop.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { startInOrder, stopInReverse } from '../src/facade/lifecycle.js'
import type { Step } from '../src/facade/lifecycle.js'

function steps (names: string[], log: string[], failStart?: string, failStop?: string): Step[] {
  return names.map(name => ({
    name,
    start: async () => {
      log.push(`start ${name}`)
      if (name === failStart) throw new Error(`${name} would not start`)
    },
    stop: () => {
      log.push(`stop ${name}`)
      if (name === failStop) throw new Error(`${name} would not stop`)
    }
  }))
}

describe('start order', () => {
  it('starts every step in order', async () => {
    const log: string[] = []
    await startInOrder(steps(['a', 'b', 'c'], log), () => { assert.fail('nothing to undo') })
    assert.deepEqual(log, ['start a', 'start b', 'start c'])
  })

  it('after a failed start, stops the steps begun (the failing one too), newest first, and rethrows its error', async () => {
    const log: string[] = []
    await assert.rejects(startInOrder(steps(['a', 'b', 'c', 'd'], log, 'c'), () => { assert.fail('no stop fails') }), /c would not start/)
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
  })

  it('a stop that fails while undoing is reported, and never replaces the start\'s error', async () => {
    const log: string[] = []
    const reported: string[] = []
    await assert.rejects(startInOrder(steps(['a', 'b', 'c'], log, 'c', 'b'), step => { reported.push(step) }), /c would not start/)
    assert.deepEqual(log, ['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a'])
    assert.deepEqual(reported, ['b'])
  })

  it('stops every step newest first, past one that fails', async () => {
    const log: string[] = []
    const reported: Array<[string, string]> = []
    await stopInReverse(steps(['a', 'b', 'c'], log, undefined, 'b'), (step, err) => { reported.push([step, (err as Error).message]) })
    assert.deepEqual(log, ['stop c', 'stop b', 'stop a'])
    assert.deepEqual(reported, [['b', 'b would not stop']])
  })
})
