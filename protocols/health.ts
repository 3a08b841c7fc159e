import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface HealthRequest {
  nonce: Uint8Array<ArrayBuffer>
  id: number
}

export namespace HealthRequest {
  let _codec: Codec<HealthRequest>

  export const codec = (): Codec<HealthRequest> => {
    if (_codec == null) {
      _codec = message<HealthRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nonce)
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(16)
          w.uint32(obj.id)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nonce: uint8ArrayAlloc(0),
          id: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nonce = reader.bytes()
              break
            }
            case 2: {
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
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
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

  export interface HealthRequestNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HealthRequestIdFieldEvent {
    field: '$.id'
    value: number
  }

  export function encode (obj: Partial<HealthRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HealthRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HealthRequest>): HealthRequest {
    return decodeMessage(buf, HealthRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HealthRequest>): Generator<HealthRequestNonceFieldEvent | HealthRequestIdFieldEvent> {
    return streamMessage(buf, HealthRequest.codec(), opts)
  }
}

export interface HealthResponse {
  status: HealthResponse.Status
  nonce: Uint8Array<ArrayBuffer>
  id: number
}

export namespace HealthResponse {
  export enum Status {
    SERVING = 'SERVING',
    NOT_SERVING = 'NOT_SERVING'
  }

  enum __StatusValues {
    SERVING = 0,
    NOT_SERVING = 1
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<HealthResponse>

  export const codec = (): Codec<HealthResponse> => {
    if (_codec == null) {
      _codec = message<HealthResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          HealthResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.nonce)
        }

        if ((obj.id != null && obj.id !== 0)) {
          w.uint32(24)
          w.uint32(obj.id)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.SERVING,
          nonce: uint8ArrayAlloc(0),
          id: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = HealthResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.nonce = reader.bytes()
              break
            }
            case 3: {
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
                field: `${prefix}.status`,
                value: HealthResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
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

  export interface HealthResponseStatusFieldEvent {
    field: '$.status'
    value: HealthResponse.Status
  }

  export interface HealthResponseNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HealthResponseIdFieldEvent {
    field: '$.id'
    value: number
  }

  export function encode (obj: Partial<HealthResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HealthResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HealthResponse>): HealthResponse {
    return decodeMessage(buf, HealthResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HealthResponse>): Generator<HealthResponseStatusFieldEvent | HealthResponseNonceFieldEvent | HealthResponseIdFieldEvent> {
    return streamMessage(buf, HealthResponse.codec(), opts)
  }
}
