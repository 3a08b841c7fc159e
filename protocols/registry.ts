import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RegistryRequest {
  type: RegistryRequest.Type
  record: Uint8Array<ArrayBuffer>
  name: string
  id: number
  key: Uint8Array<ArrayBuffer>
  closer: number
  relay: number
}

export namespace RegistryRequest {
  export enum Type {
    PUBLISH = 'PUBLISH',
    DISCOVER = 'DISCOVER',
    REPLICATE = 'REPLICATE',
    FIND = 'FIND'
  }

  enum __TypeValues {
    PUBLISH = 0,
    DISCOVER = 1,
    REPLICATE = 2,
    FIND = 3
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<RegistryRequest>

  export const codec = (): Codec<RegistryRequest> => {
    if (_codec == null) {
      _codec = message<RegistryRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          RegistryRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.record != null && obj.record.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.record)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(32)
          w.uint32(obj.id)
        }

        if ((obj.key != null && obj.key.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.key)
        }

        if ((obj.closer != null && obj.closer !== 0)) {
          w.uint32(48)
          w.uint32(obj.closer)
        }

        if ((obj.relay != null && obj.relay !== 0)) {
          w.uint32(56)
          w.uint32(obj.relay)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.PUBLISH,
          record: uint8ArrayAlloc(0),
          name: '',
          id: 0,
          key: uint8ArrayAlloc(0),
          closer: 0,
          relay: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = RegistryRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.record = reader.bytes()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            case 4: {
              obj.id = reader.uint32()
              break
            }
            case 5: {
              obj.key = reader.bytes()
              break
            }
            case 6: {
              obj.closer = reader.uint32()
              break
            }
            case 7: {
              obj.relay = reader.uint32()
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
                field: `${prefix}.type`,
                value: RegistryRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.record`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.id`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.closer`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.relay`,
                value: reader.uint32()
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

  export interface RegistryRequestTypeFieldEvent {
    field: '$.type'
    value: RegistryRequest.Type
  }

  export interface RegistryRequestRecordFieldEvent {
    field: '$.record'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RegistryRequestNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface RegistryRequestIdFieldEvent {
    field: '$.id'
    value: number
  }

  export interface RegistryRequestKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RegistryRequestCloserFieldEvent {
    field: '$.closer'
    value: number
  }

  export interface RegistryRequestRelayFieldEvent {
    field: '$.relay'
    value: number
  }

  export function encode (obj: Partial<RegistryRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RegistryRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryRequest>): RegistryRequest {
    return decodeMessage(buf, RegistryRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryRequest>): Generator<RegistryRequestTypeFieldEvent | RegistryRequestRecordFieldEvent | RegistryRequestNameFieldEvent | RegistryRequestIdFieldEvent | RegistryRequestKeyFieldEvent | RegistryRequestCloserFieldEvent | RegistryRequestRelayFieldEvent> {
    return streamMessage(buf, RegistryRequest.codec(), opts)
  }
}

export interface RegistryPeer {
  id: Uint8Array<ArrayBuffer>
  addrs: Uint8Array<ArrayBuffer>[]
}

export namespace RegistryPeer {
  let _codec: Codec<RegistryPeer>

  export const codec = (): Codec<RegistryPeer> => {
    if (_codec == null) {
      _codec = message<RegistryPeer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          addrs: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.bytes())
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
          addrs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.bytes()
              }

              obj.addrs++

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

  export interface RegistryPeerIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RegistryPeerAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<RegistryPeer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RegistryPeer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryPeer>): RegistryPeer {
    return decodeMessage(buf, RegistryPeer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryPeer>): Generator<RegistryPeerIdFieldEvent | RegistryPeerAddrsFieldEvent> {
    return streamMessage(buf, RegistryPeer.codec(), opts)
  }
}

export interface RegistryResponse {
  status: RegistryResponse.Status
  code: string
  message: string
  records: Uint8Array<ArrayBuffer>[]
  id: number
  closer: RegistryPeer[]
}

export namespace RegistryResponse {
  export enum Status {
    OK = 'OK',
    REJECTED = 'REJECTED'
  }

  enum __StatusValues {
    OK = 0,
    REJECTED = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<RegistryResponse>

  export const codec = (): Codec<RegistryResponse> => {
    if (_codec == null) {
      _codec = message<RegistryResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          RegistryResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.code != null && obj.code !== '')) {
          w.uint32(18)
          w.string(obj.code)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if (obj.records != null && obj.records.length > 0) {
          for (const value of obj.records) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(40)
          w.uint32(obj.id)
        }

        if (obj.closer != null && obj.closer.length > 0) {
          for (const value of obj.closer) {
            w.uint32(50)
            RegistryPeer.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          code: '',
          message: '',
          records: [],
          id: 0,
          closer: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = RegistryResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.code = reader.string()
              break
            }
            case 3: {
              obj.message = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.records != null && obj.records.length === opts.limits.records) {
                throw new MaxLengthError('Decode error - repeated field "records" had too many elements')
              }

              obj.records.push(reader.bytes())
              break
            }
            case 5: {
              obj.id = reader.uint32()
              break
            }
            case 6: {
              if (opts.limits?.closer != null && obj.closer.length === opts.limits.closer) {
                throw new MaxLengthError('Decode error - repeated field "closer" had too many elements')
              }

              obj.closer.push(RegistryPeer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.closer$
              }))
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
          records: 0,
          closer: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: RegistryResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.code`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.records != null && obj.records === opts.limits.records) {
                throw new MaxLengthError('Streaming decode error - repeated field "records" had too many elements')
              }

              yield {
                field: `${prefix}.records[]`,
                index: obj.records,
                value: reader.bytes()
              }

              obj.records++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.id`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              if (opts.limits?.closer != null && obj.closer === opts.limits.closer) {
                throw new MaxLengthError('Streaming decode error - repeated field "closer" had too many elements')
              }

              for (const evt of RegistryPeer.codec().stream(reader, reader.uint32(), `${prefix}.closer[]`, {
                limits: opts.limits?.closer$
              })) {
                yield {
                  ...evt,
                  index: obj.closer
                }
              }

              obj.closer++

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

  export interface RegistryResponseStatusFieldEvent {
    field: '$.status'
    value: RegistryResponse.Status
  }

  export interface RegistryResponseCodeFieldEvent {
    field: '$.code'
    value: string
  }

  export interface RegistryResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface RegistryResponseRecordsFieldEvent {
    field: '$.records[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface RegistryResponseIdFieldEvent {
    field: '$.id'
    value: number
  }

  export interface RegistryResponseCloserIdFieldEvent {
    field: '$.closer[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface RegistryResponseCloserAddrsFieldEvent {
    field: '$.closer[].addrs[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<RegistryResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RegistryResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryResponse>): RegistryResponse {
    return decodeMessage(buf, RegistryResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryResponse>): Generator<RegistryResponseStatusFieldEvent | RegistryResponseCodeFieldEvent | RegistryResponseMessageFieldEvent | RegistryResponseRecordsFieldEvent | RegistryResponseIdFieldEvent | RegistryResponseCloserIdFieldEvent | RegistryResponseCloserAddrsFieldEvent> {
    return streamMessage(buf, RegistryResponse.codec(), opts)
  }
}
