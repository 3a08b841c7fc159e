/**
 * Noise's cipher with one key object per session key. `@chainsafe/libp2p-noise` seals and opens frames of 1200
 * bytes or more with Node's ChaCha20-Poly1305, passing the raw 32-byte key, so Node imports the key again for
 * every such frame. A `KeyObject` made once per key (a session direction's key is one Uint8Array for the
 * session's life) costs 4.8 µs per 3 KB frame instead of 12.3 µs here (docs/upstream.md, item 10). Smaller frames
 * and the handshake keep noise's own code. The bytes on the wire are the same: this is the same cipher.
 */
import { createCipheriv, createDecipheriv, createSecretKey, getCiphers } from 'node:crypto'
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import type { KeyObject } from 'node:crypto'

/** Below this, noise's default (WebAssembly) cipher is faster than Node's; the same threshold noise uses. */
const NODE_CIPHER_MIN_BYTES = 1200
const ALGORITHM = 'chacha20-poly1305'
const TAG_BYTES = 16

const keys = new WeakMap<Uint8Array, KeyObject>()

function keyObject (k: Uint8Array): KeyObject {
  let key = keys.get(k)
  if (key === undefined) {
    key = createSecretKey(k)
    keys.set(k, key)
  }
  return key
}

/** Node builds without ChaCha20-Poly1305 (Electron's main process) keep noise's default, which noise adapts to them. */
const NODE_HAS_CIPHER = getCiphers().includes(ALGORITHM)

export const noiseCrypto: ICryptoInterface = !NODE_HAS_CIPHER ? defaultCrypto : {
  ...defaultCrypto,
  chaCha20Poly1305Encrypt (plaintext, nonce, ad, k) {
    if (plaintext.byteLength < NODE_CIPHER_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k)
    // A list of chunks is joined first (one copy): one output buffer is simpler for the transport than a list.
    const input = plaintext instanceof Uint8Array ? plaintext : plaintext.subarray()
    const cipher = createCipheriv(ALGORITHM, keyObject(k), nonce, { authTagLength: TAG_BYTES })
    cipher.setAAD(ad, { plaintextLength: input.byteLength })
    const updated = cipher.update(input)
    const final = cipher.final()
    const tag = cipher.getAuthTag()
    return Buffer.concat([updated, final, tag], updated.byteLength + final.byteLength + tag.byteLength)
  },
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    if (ciphertext.byteLength < NODE_CIPHER_MIN_BYTES) return defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    const input = ciphertext instanceof Uint8Array ? ciphertext : ciphertext.subarray()
    const length = input.byteLength - TAG_BYTES
    const decipher = createDecipheriv(ALGORITHM, keyObject(k), nonce, { authTagLength: TAG_BYTES })
    decipher.setAAD(ad, { plaintextLength: length })
    decipher.setAuthTag(input.subarray(length))
    const output = decipher.update(input.subarray(0, length))
    const final = decipher.final()
    return final.byteLength > 0 ? Buffer.concat([output, final], output.byteLength + final.byteLength) : output
  }
}
