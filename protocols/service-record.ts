import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ServiceRecord {
  network: string
  name: string
  publicKey: Uint8Array<ArrayBuffer>
  addresses: string[]
  metadata: string
  sequence: bigint
  issuedAt: bigint
  expiresAt: bigint
  withdrawn: boolean
  admission: Uint8Array<ArrayBuffer>
}

export namespace ServiceRecord {
  let _codec: Codec<ServiceRecord>

  export const codec = (): Codec<ServiceRecord> => {
    if (_codec == null) {
      _codec = message<ServiceRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.network != null && obj.network !== '')) {
          w.uint32(10)
          w.string(obj.network)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.publicKey != null && obj.publicKey.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.publicKey)
        }

        if (obj.addresses != null && obj.addresses.length > 0) {
          for (const value of obj.addresses) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.metadata != null && obj.metadata !== '')) {
          w.uint32(42)
          w.string(obj.metadata)
        }

        if ((obj.sequence != null && obj.sequence !== 0n)) {
          w.uint32(48)
          w.uint64(obj.sequence)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0n)) {
          w.uint32(56)
          w.uint64(obj.issuedAt)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(64)
          w.uint64(obj.expiresAt)
        }

        if ((obj.withdrawn != null && obj.withdrawn !== false)) {
          w.uint32(72)
          w.bool(obj.withdrawn)
        }

        if ((obj.admission != null && obj.admission.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.admission)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          network: '',
          name: '',
          publicKey: uint8ArrayAlloc(0),
          addresses: [],
          metadata: '',
          sequence: 0n,
          issuedAt: 0n,
          expiresAt: 0n,
          withdrawn: false,
          admission: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.network = reader.string()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.publicKey = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.addresses != null && obj.addresses.length === opts.limits.addresses) {
                throw new MaxLengthError('Decode error - repeated field "addresses" had too many elements')
              }

              obj.addresses.push(reader.string())
              break
            }
            case 5: {
              obj.metadata = reader.string()
              break
            }
            case 6: {
              obj.sequence = reader.uint64()
              break
            }
            case 7: {
              obj.issuedAt = reader.uint64()
              break
            }
            case 8: {
              obj.expiresAt = reader.uint64()
              break
            }
            case 9: {
              obj.withdrawn = reader.bool()
              break
            }
            case 10: {
              obj.admission = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addresses: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.network`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.publicKey`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.addresses != null && obj.addresses === opts.limits.addresses) {
                throw new MaxLengthError('Streaming decode error - repeated field "addresses" had too many elements')
              }

              yield {
                field: `${prefix}.addresses[]`,
                index: obj.addresses,
                value: reader.string()
              }

              obj.addresses++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.metadata`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.sequence`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.withdrawn`,
                value: reader.bool()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.admission`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ServiceRecordNetworkFieldEvent {
    field: '$.network'
    value: string
  }

  export interface ServiceRecordNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ServiceRecordPublicKeyFieldEvent {
    field: '$.publicKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ServiceRecordAddressesFieldEvent {
    field: '$.addresses[]'
    index: number
    value: string
  }

  export interface ServiceRecordMetadataFieldEvent {
    field: '$.metadata'
    value: string
  }

  export interface ServiceRecordSequenceFieldEvent {
    field: '$.sequence'
    value: bigint
  }

  export interface ServiceRecordIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: bigint
  }

  export interface ServiceRecordExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export interface ServiceRecordWithdrawnFieldEvent {
    field: '$.withdrawn'
    value: boolean
  }

  export interface ServiceRecordAdmissionFieldEvent {
    field: '$.admission'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ServiceRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ServiceRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ServiceRecord>): ServiceRecord {
    return decodeMessage(buf, ServiceRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ServiceRecord>): Generator<ServiceRecordNetworkFieldEvent | ServiceRecordNameFieldEvent | ServiceRecordPublicKeyFieldEvent | ServiceRecordAddressesFieldEvent | ServiceRecordMetadataFieldEvent | ServiceRecordSequenceFieldEvent | ServiceRecordIssuedAtFieldEvent | ServiceRecordExpiresAtFieldEvent | ServiceRecordWithdrawnFieldEvent | ServiceRecordAdmissionFieldEvent> {
    return streamMessage(buf, ServiceRecord.codec(), opts)
  }
}

export interface SignedServiceRecord {
  record: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace SignedServiceRecord {
  let _codec: Codec<SignedServiceRecord>

  export const codec = (): Codec<SignedServiceRecord> => {
    if (_codec == null) {
      _codec = message<SignedServiceRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.record != null && obj.record.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.record)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          record: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.record = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.record`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedServiceRecordRecordFieldEvent {
    field: '$.record'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedServiceRecordSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedServiceRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedServiceRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedServiceRecord>): SignedServiceRecord {
    return decodeMessage(buf, SignedServiceRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedServiceRecord>): Generator<SignedServiceRecordRecordFieldEvent | SignedServiceRecordSignatureFieldEvent> {
    return streamMessage(buf, SignedServiceRecord.codec(), opts)
  }
}
