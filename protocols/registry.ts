import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RegistryRequest {
  type: RegistryRequest.Type
  record: Uint8Array<ArrayBuffer>
  name: string
  id: number
}

export namespace RegistryRequest {
  export enum Type {
    PUBLISH = 'PUBLISH',
    DISCOVER = 'DISCOVER',
    REPLICATE = 'REPLICATE'
  }

  enum __TypeValues {
    PUBLISH = 0,
    DISCOVER = 1,
    REPLICATE = 2
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

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.PUBLISH,
          record: uint8ArrayAlloc(0),
          name: '',
          id: 0
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

  export function encode (obj: Partial<RegistryRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RegistryRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryRequest>): RegistryRequest {
    return decodeMessage(buf, RegistryRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryRequest>): Generator<RegistryRequestTypeFieldEvent | RegistryRequestRecordFieldEvent | RegistryRequestNameFieldEvent | RegistryRequestIdFieldEvent> {
    return streamMessage(buf, RegistryRequest.codec(), opts)
  }
}

export interface RegistryResponse {
  status: RegistryResponse.Status
  code: string
  message: string
  records: Uint8Array<ArrayBuffer>[]
  id: number
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

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          code: '',
          message: '',
          records: [],
          id: 0
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
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          records: 0
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

  export function encode (obj: Partial<RegistryResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RegistryResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryResponse>): RegistryResponse {
    return decodeMessage(buf, RegistryResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryResponse>): Generator<RegistryResponseStatusFieldEvent | RegistryResponseCodeFieldEvent | RegistryResponseMessageFieldEvent | RegistryResponseRecordsFieldEvent | RegistryResponseIdFieldEvent> {
    return streamMessage(buf, RegistryResponse.codec(), opts)
  }
}
