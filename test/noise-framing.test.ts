/**
 * Noise's frame reader without an exception per socket read (noise-framing.ts): the same frames out of any
 * chunking of the bytes, and none of the RangeErrors stock noise builds for every chunk.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import fc from 'fast-check'
import { Uint8ArrayList } from 'uint8arraylist'
import { createNode } from '../src/node/create-node.js'
import { uint16BEDecode } from '../node_modules/@chainsafe/libp2p-noise/dist/src/encoder.js'
import { frameLength } from '../src/node/noise-framing.js'
import type { Libp2p } from '@libp2p/interface'

/** Noise's own reader, by path (the package's exports do not include it; its Uint8ArrayList is its own copy's type). */
const stockFrameLength = uint16BEDecode as unknown as typeof frameLength

/** The frames a noise connection's decoder yields for `chunks`, read with `lengthDecoder`. */
function frames (chunks: Uint8Array[], lengthDecoder: typeof frameLength): number[][] {
  const decoder = new LengthPrefixedDecoder({ lengthDecoder, maxBufferSize: 16 * 1024 * 1024, encodingLength: () => 2 })
  const out: number[][] = []
  for (const chunk of chunks) for (const frame of decoder.decode(chunk)) out.push([...frame.subarray()])
  return out
}

/** `bytes` cut at `cuts` (offsets, any order, duplicates allowed). */
function cut (bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map(c => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let start = 0
  for (const end of [...at, bytes.length]) {
    out.push(bytes.subarray(start, end))
    start = end
  }
  return out
}

const PROTOCOL = '/netget-test/echo/1.0.0'
const nodes: Libp2p[] = []
after(async () => { await Promise.all(nodes.map(async n => n.stop())) })

describe('noise frame reader', () => {
  it('reads a frame\'s length as stock noise does, and asks for more bytes with a RangeError below 2', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 2, maxLength: 8 }), fc.nat(8), (bytes, split) => {
      const list = new Uint8ArrayList(bytes.subarray(0, Math.min(split, bytes.length)), bytes.subarray(Math.min(split, bytes.length)))
      assert.equal(frameLength(bytes), stockFrameLength(bytes))
      assert.equal(frameLength(list), stockFrameLength(list))
    }), { numRuns: 300 })
    for (const short of [new Uint8Array(0), new Uint8Array(1), new Uint8ArrayList(new Uint8Array(1))]) {
      assert.throws(() => frameLength(short), RangeError)
    }
  })

  it('yields the same frames as stock noise from any cut of the bytes into chunks', () => {
    const frame = fc.uint8Array({ maxLength: 300 })
    fc.assert(fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.nat(3000), { maxLength: 12 }), (payloads, cuts) => {
      const wire = Buffer.concat(payloads.flatMap(p => [Uint8Array.of(p.length >> 8, p.length & 0xff), p]))
      const chunks = cut(wire, cuts)
      const ours = frames(chunks, frameLength)
      assert.deepEqual(ours, frames(chunks, stockFrameLength))
      // Empty frames are skipped by the decoder; every other frame comes out whole and in order.
      assert.deepEqual(ours, payloads.filter(p => p.length > 0).map(p => [...p]))
    }), { numRuns: 300 })
  })

  it('a netget node exchanges messages without building a RangeError for every read', async () => {
    const [a, b] = await Promise.all([0, 1].map(async () => {
      const node = await createNode({ privateKey: await generateKeyPair('Ed25519'), network: 'framing-test', dhtServer: false, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrapList: [], dialTimeout: 5000 })
      await node.start()
      nodes.push(node)
      return node
    }))
    await b.handle(PROTOCOL, async stream => {
      for await (const chunk of stream) stream.send(chunk)
      await stream.close()
    })
    const stream = await a.dialProtocol(b.getMultiaddrs()[0], PROTOCOL, { signal: AbortSignal.timeout(5000) })
    const EXCHANGES = 50
    const made = await countRangeErrors(async () => {
      for (let i = 0; i < EXCHANGES; i++) {
        const message = randomBytes(100)
        let timer: ReturnType<typeof setTimeout> | undefined
        const answered = new Promise<Uint8Array>((resolve, reject) => {
          timer = setTimeout(() => { reject(new Error('no echo within 5 s')) }, 5000)
          stream.addEventListener('message', event => { resolve(event.data.subarray()) }, { once: true })
        })
        try {
          stream.send(message)
          assert.deepEqual(Buffer.from(await answered), message)
        } finally {
          clearTimeout(timer)
        }
      }
    })
    // Stock noise builds one per chunk read at each end: at least 2 × EXCHANGES here.
    assert.ok(made < EXCHANGES / 5, `${made} RangeErrors built for ${EXCHANGES} exchanges`)
    await stream.close()
  })
})

/** RangeErrors constructed (by `new` or by call) while `fn` runs. */
async function countRangeErrors (fn: () => Promise<void>): Promise<number> {
  const original = globalThis.RangeError
  let made = 0
  globalThis.RangeError = new Proxy(original, {
    apply (target, self, args) { made++; return Reflect.apply(target, self, args) },
    construct (target, args, newTarget) { made++; return Reflect.construct(target, args, newTarget) }
  })
  try {
    await fn()
  } finally {
    globalThis.RangeError = original
  }
  return made
}
