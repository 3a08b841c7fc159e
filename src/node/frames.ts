/**
 * Length-prefixed protobuf messages (an unsigned varint of the length, then the bytes) as the serving side reads
 * them, with two rules of the protocol specs that @libp2p/utils' lpStream does not enforce (docs/upstream.md):
 *
 * - A length prefix may be no longer than the varint of the largest allowed message: the stream is refused at the
 *   first byte past that. lpStream checked a prefix's length only once it decoded, and a 9- or 10-byte prefix
 *   (2^56, 2^63) never decodes as a safe integer, so it waited for more bytes until the session's idle close.
 * - Once a message has begun, the rest of it must arrive within `partialTimeout`: a peer that sends half a request
 *   does not hold a stream (and its buffers) until the idle close.
 */
import { byteStream } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import * as varint from 'uint8-varint'
import { ProtocolError } from '../errors.js'
import { RearmableDeadline, deadline } from '../util/deadline.js'
import type { Codec } from './rpc.js'
import type { Stream } from '@libp2p/interface'

export interface FrameStream {
  /**
   * The next message, decoded. `waitFor` bounds the wait for its first byte (an idle session); from then on the
   * rest must come within `partialTimeout` ms, whatever `waitFor` does (an idle deadline that passes while a
   * message arrives does not cut it), and ends early only with `stop`. Rejects with ProtocolError for a prefix or
   * a length over the limits, a message not completed in time, or a stream that ends inside a message; with the
   * stream's own error (UnexpectedEOFError…) when it ends between messages.
   */
  read: <T>(codec: Codec<T>, waitFor: AbortSignal, partialTimeout: number, stop?: AbortSignal) => Promise<T>
  write: <T>(message: T, codec: Codec<T>, signal: AbortSignal) => Promise<void>
  /** Stops the timer of the messages' remainders (the stream is done with). */
  done: () => void
}

export function frameStream (stream: Stream, maxDataLength: number): FrameStream {
  // The stream utils' own bound on bytes received and not read yet (4 MiB): a session's client may write many
  // requests ahead of the answers (a burst of discoveries on one stream), so the bound is not one message.
  const bytes = byteStream(stream)
  const maxPrefix = varint.encodingLength(maxDataLength)
  // The remainder's deadline, one for the stream's life when nothing else can stop a read (a session's requests):
  // its expiry ends the stream anyway, and one per message cost a controller and a timer per request.
  let remainder: { ms: number, deadline: RearmableDeadline } | undefined
  const restOf = (partialTimeout: number, stop: AbortSignal | undefined): { signal: AbortSignal, clear: () => void } => {
    if (stop !== undefined) return deadline(partialTimeout, stop)
    if (remainder?.ms !== partialTimeout) {
      remainder?.deadline.clear()
      remainder = { ms: partialTimeout, deadline: new RearmableDeadline(partialTimeout) }
    }
    const rest = remainder.deadline
    rest.arm()
    return { signal: rest.signal, clear: () => { rest.disarm() } }
  }
  return {
    async read (codec, waitFor, partialTimeout, stop) {
      const first = await bytes.read({ bytes: 1, signal: waitFor })
      const rest = restOf(partialTimeout, stop)
      let data: Uint8ArrayList
      try {
        let byte = first.get(0)
        let length = byte & 0x7f
        for (let i = 1; (byte & 0x80) !== 0; i++) {
          if (i >= maxPrefix) throw new ProtocolError(`length prefix longer than ${maxPrefix} bytes (messages are at most ${maxDataLength} bytes)`)
          byte = (await bytes.read({ bytes: 1, signal: rest.signal })).get(0)
          length += (byte & 0x7f) * 2 ** (7 * i)
        }
        if (length > maxDataLength) throw new ProtocolError(`message of ${length} bytes, more than ${maxDataLength}`)
        data = length === 0 ? new Uint8ArrayList() : await bytes.read({ bytes: length, signal: rest.signal })
      } catch (err) {
        if (err instanceof ProtocolError || stop?.aborted === true) throw err
        if (rest.signal.aborted) throw new ProtocolError(`a message begun was not completed within ${partialTimeout} ms`, { cause: err })
        if ((err as Error).name === 'UnexpectedEOFError') throw new ProtocolError('the stream ended inside a message', { cause: err })
        throw err
      } finally {
        rest.clear()
      }
      try {
        return codec.decode(data)
      } catch (err) {
        // A ProtocolError whatever the idle deadline did meanwhile: the caller resets the stream for it.
        throw new ProtocolError(`undecodable message: ${(err as Error).message}`, { cause: err })
      }
    },
    async write (message, codec, signal) {
      const encoded = codec.encode(message)
      await bytes.write(new Uint8ArrayList(varint.encode(encoded.byteLength), encoded), { signal })
    },
    done () {
      remainder?.deadline.clear()
    }
  }
}
