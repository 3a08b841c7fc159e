import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
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
  checks: CheckResult[]
  load?: Load
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

        if (obj.checks != null && obj.checks.length > 0) {
          for (const value of obj.checks) {
            w.uint32(34)
            CheckResult.codec().encode(value, w)
          }
        }

        if (obj.load != null) {
          w.uint32(42)
          Load.codec().encode(obj.load, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.SERVING,
          nonce: uint8ArrayAlloc(0),
          id: 0,
          checks: []
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
            case 4: {
              if (opts.limits?.checks != null && obj.checks.length === opts.limits.checks) {
                throw new MaxLengthError('Decode error - repeated field "checks" had too many elements')
              }

              obj.checks.push(CheckResult.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.checks$
              }))
              break
            }
            case 5: {
              obj.load = Load.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.load
              })
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
          checks: 0
        }

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
            case 4: {
              if (opts.limits?.checks != null && obj.checks === opts.limits.checks) {
                throw new MaxLengthError('Streaming decode error - repeated field "checks" had too many elements')
              }

              for (const evt of CheckResult.codec().stream(reader, reader.uint32(), `${prefix}.checks[]`, {
                limits: opts.limits?.checks$
              })) {
                yield {
                  ...evt,
                  index: obj.checks
                }
              }

              obj.checks++

              break
            }
            case 5: {
              yield * Load.codec().stream(reader, reader.uint32(), `${prefix}.load`, {
                limits: opts.limits?.load
              })

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

  export interface HealthResponseChecksNameFieldEvent {
    field: '$.checks[].name'
    value: string
    index: number
  }

  export interface HealthResponseChecksFailingFieldEvent {
    field: '$.checks[].failing'
    value: boolean
    index: number
  }

  export interface HealthResponseChecksOutputFieldEvent {
    field: '$.checks[].output'
    value: string
    index: number
  }

  export interface HealthResponseChecksAgeMsFieldEvent {
    field: '$.checks[].ageMs'
    value: number
    index: number
  }

  export interface HealthResponseLoadCpuPermilleFieldEvent {
    field: '$.load.cpuPermille'
    value: number
  }

  export interface HealthResponseLoadEventLoopDelayUsFieldEvent {
    field: '$.load.eventLoopDelayUs'
    value: number
  }

  export interface HealthResponseLoadRssMibFieldEvent {
    field: '$.load.rssMib'
    value: number
  }

  export function encode (obj: Partial<HealthResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HealthResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HealthResponse>): HealthResponse {
    return decodeMessage(buf, HealthResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HealthResponse>): Generator<HealthResponseStatusFieldEvent | HealthResponseNonceFieldEvent | HealthResponseIdFieldEvent | HealthResponseChecksNameFieldEvent | HealthResponseChecksFailingFieldEvent | HealthResponseChecksOutputFieldEvent | HealthResponseChecksAgeMsFieldEvent | HealthResponseLoadCpuPermilleFieldEvent | HealthResponseLoadEventLoopDelayUsFieldEvent | HealthResponseLoadRssMibFieldEvent> {
    return streamMessage(buf, HealthResponse.codec(), opts)
  }
}

export interface CheckResult {
  name: string
  failing: boolean
  output: string
  ageMs: number
}

export namespace CheckResult {
  let _codec: Codec<CheckResult>

  export const codec = (): Codec<CheckResult> => {
    if (_codec == null) {
      _codec = message<CheckResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.failing != null && obj.failing !== false)) {
          w.uint32(16)
          w.bool(obj.failing)
        }

        if ((obj.output != null && obj.output !== '')) {
          w.uint32(26)
          w.string(obj.output)
        }

        if ((obj.ageMs != null && obj.ageMs !== 0)) {
          w.uint32(32)
          w.uint32(obj.ageMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          failing: false,
          output: '',
          ageMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.failing = reader.bool()
              break
            }
            case 3: {
              obj.output = reader.string()
              break
            }
            case 4: {
              obj.ageMs = reader.uint32()
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
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.failing`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.output`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.ageMs`,
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

  export interface CheckResultNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface CheckResultFailingFieldEvent {
    field: '$.failing'
    value: boolean
  }

  export interface CheckResultOutputFieldEvent {
    field: '$.output'
    value: string
  }

  export interface CheckResultAgeMsFieldEvent {
    field: '$.ageMs'
    value: number
  }

  export function encode (obj: Partial<CheckResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CheckResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CheckResult>): CheckResult {
    return decodeMessage(buf, CheckResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CheckResult>): Generator<CheckResultNameFieldEvent | CheckResultFailingFieldEvent | CheckResultOutputFieldEvent | CheckResultAgeMsFieldEvent> {
    return streamMessage(buf, CheckResult.codec(), opts)
  }
}

export interface Load {
  cpuPermille: number
  eventLoopDelayUs: number
  rssMib: number
}

export namespace Load {
  let _codec: Codec<Load>

  export const codec = (): Codec<Load> => {
    if (_codec == null) {
      _codec = message<Load>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.cpuPermille != null && obj.cpuPermille !== 0)) {
          w.uint32(8)
          w.uint32(obj.cpuPermille)
        }

        if ((obj.eventLoopDelayUs != null && obj.eventLoopDelayUs !== 0)) {
          w.uint32(16)
          w.uint32(obj.eventLoopDelayUs)
        }

        if ((obj.rssMib != null && obj.rssMib !== 0)) {
          w.uint32(24)
          w.uint32(obj.rssMib)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          cpuPermille: 0,
          eventLoopDelayUs: 0,
          rssMib: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.cpuPermille = reader.uint32()
              break
            }
            case 2: {
              obj.eventLoopDelayUs = reader.uint32()
              break
            }
            case 3: {
              obj.rssMib = reader.uint32()
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
                field: `${prefix}.cpuPermille`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.eventLoopDelayUs`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.rssMib`,
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

  export interface LoadCpuPermilleFieldEvent {
    field: '$.cpuPermille'
    value: number
  }

  export interface LoadEventLoopDelayUsFieldEvent {
    field: '$.eventLoopDelayUs'
    value: number
  }

  export interface LoadRssMibFieldEvent {
    field: '$.rssMib'
    value: number
  }

  export function encode (obj: Partial<Load>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Load.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Load>): Load {
    return decodeMessage(buf, Load.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Load>): Generator<LoadCpuPermilleFieldEvent | LoadEventLoopDelayUsFieldEvent | LoadRssMibFieldEvent> {
    return streamMessage(buf, Load.codec(), opts)
  }
}
