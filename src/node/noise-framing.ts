/**
 * `@chainsafe/libp2p-noise` whose frame reader does not build an exception for every chunk read from the socket.
 *
 * After the handshake, noise splits what it reads into frames with `@libp2p/utils`' length-prefixed decoder and its
 * own 2-byte length reader. That reader throws a new RangeError whenever fewer than 2 bytes are buffered, and the
 * decoder takes any RangeError for "wait for more bytes". It is asked once more after the last whole frame of every
 * chunk, so every read from the socket built an Error and its stack trace; it also read each length through a
 * sub-array and a DataView. Here the length is read with two byte lookups, and "wait" is one RangeError made once.
 * The bytes on the wire are the same. Upstream proposal: docs/upstream.md, item 13. If noise's internals change
 * shape, connections are left as they are.
 */
import { noise } from '@chainsafe/libp2p-noise'
import type { NoiseComponents, NoiseExtensions, NoiseInit } from '@chainsafe/libp2p-noise'
import type { ConnectionEncrypter, SecuredConnection } from '@libp2p/interface'
import type { Uint8ArrayList } from 'uint8arraylist'

/** Thrown, never shown: the decoder catches every RangeError as "not enough bytes yet". One instance: no stack to build. */
const INCOMPLETE = new RangeError('Could not decode int16BE')

/** A noise frame's length: its first 2 bytes, big-endian; throws INCOMPLETE while fewer are buffered. Exported for tests. */
export function frameLength (data: Uint8Array | Uint8ArrayList): number {
  if (data.length < 2) throw INCOMPLETE
  if (data instanceof Uint8Array) return (data[0] << 8) | data[1]
  return (data.get(0) << 8) | data.get(1)
}

/** `noise(init)`, whose connections read frame lengths with frameLength() once their handshake is done. */
export function cheapFramingNoise (init: NoiseInit = {}): (components: NoiseComponents) => ConnectionEncrypter<NoiseExtensions> {
  const create = noise(init)
  return components => {
    const encrypter = create(components)
    const secureInbound = encrypter.secureInbound.bind(encrypter)
    const secureOutbound = encrypter.secureOutbound.bind(encrypter)
    encrypter.secureInbound = async (connection, options) => withFrameLength(await secureInbound(connection, options))
    encrypter.secureOutbound = async (connection, options) => withFrameLength(await secureOutbound(connection, options))
    return encrypter
  }
}

/**
 * From here on the connection's frames are read with frameLength(); any decoded before the handshake's promise
 * settled were read by noise's own. Guarded: a noise whose stream has no such decoder is left as it is (and
 * test/noise-framing.test.ts fails).
 */
function withFrameLength<T extends SecuredConnection<NoiseExtensions>> (secured: T): T {
  const decoder = (secured.connection as unknown as { decoder?: { lengthDecoder?: unknown } }).decoder
  if (typeof decoder?.lengthDecoder === 'function') decoder.lengthDecoder = frameLength
  return secured
}
