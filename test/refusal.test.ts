/**
 * src/registry/refusal.ts: what a discovery that no registry answered reports. Refusals only: a refusal error
 * (the admission one first, which waiting does not cure); any registry not reached: "no registry reachable".
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { AdmissionError, AdmissionErrorCodes, LimitErrorCodes, LimitExceededError, NoRegistryReachableError } from '../src/errors.js'
import { Refusal, noAnswerError } from '../src/registry/refusal.js'

const failures = (...errors: Error[]): Map<string, Error> => new Map(errors.map((err, i) => [`12D3KooRegistry${i}`, err]))

describe('noAnswerError', () => {
  it('every registry rate-limited the caller: LimitExceededError with the code, naming each registry', () => {
    const err = noAnswerError('Db', failures(new Refusal(LimitErrorCodes.RATE, 'slow down'), new Refusal(LimitErrorCodes.RATE, 'slow down')))
    assert.ok(err instanceof LimitExceededError)
    assert.equal(err.code, LimitErrorCodes.RATE)
    assert.match(err.message, /every registry asked for "Db" refused: 12D3KooRegistry0: .*; 12D3KooRegistry1: /)
  })

  it('refusals of both kinds: the admission refusal, whichever registry answered first', () => {
    for (const order of [[0, 1], [1, 0]]) {
      const refusals = [new Refusal(LimitErrorCodes.RATE, 'slow down'), new Refusal(AdmissionErrorCodes.MISSING, 'no certificate')]
      const err = noAnswerError('Db', failures(...order.map(i => refusals[i])))
      assert.ok(err instanceof AdmissionError, `order ${order}`)
      assert.equal(err.code, AdmissionErrorCodes.MISSING)
    }
  })

  it('a registry not reached, or a refusal of an unknown kind: no registry reachable, with every reason', () => {
    const mixed = noAnswerError('Db', failures(new Refusal(LimitErrorCodes.RATE, 'slow down'), new Error('deadline of 3000 ms passed')))
    assert.ok(mixed instanceof NoRegistryReachableError)
    assert.match(mixed.message, /slow down.*deadline of 3000 ms passed/)
    assert.ok(noAnswerError('Db', failures(new Refusal('NETGET_ERR_SOMETHING_NEW', '?'))) instanceof NoRegistryReachableError)
    assert.match(noAnswerError('Db', new Map()).message, /none reachable in time/)
  })
})
