import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { noiseCrypto } from '../src/node/noise-crypto.js'

type Input = Parameters<typeof noiseCrypto.chaCha20Poly1305Encrypt>[0]
const bytes = (x: Uint8Array | { subarray: () => Uint8Array }): Uint8Array => Uint8Array.from(x instanceof Uint8Array ? x : x.subarray())
/** Chunks as noise hands them over (its own copy of uint8arraylist may differ from ours in type only). */
const chunks = (...parts: Uint8Array[]): Input => new Uint8ArrayList(...parts) as unknown as Input
const SIZES = [0, 1, 100, 1199, 1200, 1201, 3000, 65_519]

describe('noise cipher with one key object per session key', () => {
  it('seals and opens as noise\'s own cipher does, both ways, whole or in chunks, below and above 1200 bytes', () => {
    const k = randomBytes(32)
    const ad = randomBytes(32)
    for (const size of SIZES) {
      for (let n = 0; n < 3; n++) {
        const nonce = randomBytes(12)
        const plaintext = randomBytes(size)
        const chunked = chunks(plaintext.subarray(0, size >> 1), plaintext.subarray(size >> 1))
        for (const input of [plaintext as Input, chunked]) {
          const ours = bytes(noiseCrypto.chaCha20Poly1305Encrypt(input, nonce, ad, k))
          const theirs = bytes(defaultCrypto.chaCha20Poly1305Encrypt(input, nonce, ad, k))
          assert.deepEqual(ours, theirs, `ciphertext of ${size} bytes`)
          assert.deepEqual(bytes(noiseCrypto.chaCha20Poly1305Decrypt(theirs, nonce, ad, k)), new Uint8Array(plaintext))
          assert.deepEqual(bytes(noiseCrypto.chaCha20Poly1305Decrypt(chunks(theirs.subarray(0, 7), theirs.subarray(7)), nonce, ad, k)), new Uint8Array(plaintext))
        }
      }
    }
  })

  it('refuses a frame that was altered, or sealed under another key, nonce or associated data', () => {
    const k = randomBytes(32)
    const ad = randomBytes(32)
    const nonce = randomBytes(12)
    const sealed = bytes(noiseCrypto.chaCha20Poly1305Encrypt(randomBytes(3000), nonce, ad, k))
    const flipped = Uint8Array.from(sealed)
    flipped[100] ^= 1
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(flipped, nonce, ad, k))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, ad, randomBytes(32)))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, randomBytes(12), ad, k))
    assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(sealed, nonce, randomBytes(32), k))
  })

  it('random frames from the network fail with an Error, never open', () => {
    const k = randomBytes(32)
    fc.assert(fc.property(fc.uint8Array({ minLength: 1200, maxLength: 4000 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), (frame, nonce) => {
      assert.throws(() => noiseCrypto.chaCha20Poly1305Decrypt(frame, nonce, new Uint8Array(0), k), Error)
    }), { numRuns: 200 })
  })
})
