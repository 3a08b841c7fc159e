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
    FIND = 'FIND',
    WATCH = 'WATCH'
  }

  enum __TypeValues {
    PUBLISH = 0,
    DISCOVER = 1,
    REPLICATE = 2,
    FIND = 3,
    WATCH = 4
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
  health: InstanceHealth[]
  gone: Uint8Array<ArrayBuffer>[]
  snapshot: boolean
  settling: boolean
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

        if (obj.health != null && obj.health.length > 0) {
          for (const value of obj.health) {
            w.uint32(58)
            InstanceHealth.codec().encode(value, w)
          }
        }

        if (obj.gone != null && obj.gone.length > 0) {
          for (const value of obj.gone) {
            w.uint32(66)
            w.bytes(value)
          }
        }

        if ((obj.snapshot != null && obj.snapshot !== false)) {
          w.uint32(72)
          w.bool(obj.snapshot)
        }

        if ((obj.settling != null && obj.settling !== false)) {
          w.uint32(80)
          w.bool(obj.settling)
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
          closer: [],
          health: [],
          gone: [],
          snapshot: false,
          settling: false
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
            case 7: {
              if (opts.limits?.health != null && obj.health.length === opts.limits.health) {
                throw new MaxLengthError('Decode error - repeated field "health" had too many elements')
              }

              obj.health.push(InstanceHealth.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.health$
              }))
              break
            }
            case 8: {
              if (opts.limits?.gone != null && obj.gone.length === opts.limits.gone) {
                throw new MaxLengthError('Decode error - repeated field "gone" had too many elements')
              }

              obj.gone.push(reader.bytes())
              break
            }
            case 9: {
              obj.snapshot = reader.bool()
              break
            }
            case 10: {
              obj.settling = reader.bool()
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
          closer: 0,
          health: 0,
          gone: 0
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
            case 7: {
              if (opts.limits?.health != null && obj.health === opts.limits.health) {
                throw new MaxLengthError('Streaming decode error - repeated field "health" had too many elements')
              }

              for (const evt of InstanceHealth.codec().stream(reader, reader.uint32(), `${prefix}.health[]`, {
                limits: opts.limits?.health$
              })) {
                yield {
                  ...evt,
                  index: obj.health
                }
              }

              obj.health++

              break
            }
            case 8: {
              if (opts.limits?.gone != null && obj.gone === opts.limits.gone) {
                throw new MaxLengthError('Streaming decode error - repeated field "gone" had too many elements')
              }

              yield {
                field: `${prefix}.gone[]`,
                index: obj.gone,
                value: reader.bytes()
              }

              obj.gone++

              break
            }
            case 9: {
              yield {
                field: `${prefix}.snapshot`,
                value: reader.bool()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.settling`,
                value: reader.bool()
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

  export interface RegistryResponseHealthStatusFieldEvent {
    field: '$.health[].status'
    value: InstanceHealth.Status
    index: number
  }

  export interface RegistryResponseHealthLastSeenMsAgoFieldEvent {
    field: '$.health[].lastSeenMsAgo'
    value: number
    index: number
  }

  export interface RegistryResponseHealthChecksNameFieldEvent {
    field: '$.health[].checks[].name'
    value: string
    index: number
  }

  export interface RegistryResponseHealthChecksFailingFieldEvent {
    field: '$.health[].checks[].failing'
    value: boolean
    index: number
  }

  export interface RegistryResponseHealthChecksOutputFieldEvent {
    field: '$.health[].checks[].output'
    value: string
    index: number
  }

  export interface RegistryResponseHealthChecksAgeMsFieldEvent {
    field: '$.health[].checks[].ageMs'
    value: number
    index: number
  }

  export interface RegistryResponseHealthLoadCpuPermilleFieldEvent {
    field: '$.health[].load.cpuPermille'
    value: number
    index: number
  }

  export interface RegistryResponseHealthLoadEventLoopDelayUsFieldEvent {
    field: '$.health[].load.eventLoopDelayUs'
    value: number
    index: number
  }

  export interface RegistryResponseHealthLoadRssMibFieldEvent {
    field: '$.health[].load.rssMib'
    value: number
    index: number
  }

  export interface RegistryResponseGoneFieldEvent {
    field: '$.gone[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface RegistryResponseSnapshotFieldEvent {
    field: '$.snapshot'
    value: boolean
  }

  export interface RegistryResponseSettlingFieldEvent {
    field: '$.settling'
    value: boolean
  }

  export function encode (obj: Partial<RegistryResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RegistryResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryResponse>): RegistryResponse {
    return decodeMessage(buf, RegistryResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RegistryResponse>): Generator<RegistryResponseStatusFieldEvent | RegistryResponseCodeFieldEvent | RegistryResponseMessageFieldEvent | RegistryResponseRecordsFieldEvent | RegistryResponseIdFieldEvent | RegistryResponseCloserIdFieldEvent | RegistryResponseCloserAddrsFieldEvent | RegistryResponseHealthStatusFieldEvent | RegistryResponseHealthLastSeenMsAgoFieldEvent | RegistryResponseHealthChecksNameFieldEvent | RegistryResponseHealthChecksFailingFieldEvent | RegistryResponseHealthChecksOutputFieldEvent | RegistryResponseHealthChecksAgeMsFieldEvent | RegistryResponseHealthLoadCpuPermilleFieldEvent | RegistryResponseHealthLoadEventLoopDelayUsFieldEvent | RegistryResponseHealthLoadRssMibFieldEvent | RegistryResponseGoneFieldEvent | RegistryResponseSnapshotFieldEvent | RegistryResponseSettlingFieldEvent> {
    return streamMessage(buf, RegistryResponse.codec(), opts)
  }
}

export interface InstanceHealth {
  status: InstanceHealth.Status
  lastSeenMsAgo: number
  checks: CheckResult[]
  load?: Load
}

export namespace InstanceHealth {
  export enum Status {
    UNKNOWN = 'UNKNOWN',
    PASSING = 'PASSING',
    SUSPECT = 'SUSPECT',
    FAILING = 'FAILING'
  }

  enum __StatusValues {
    UNKNOWN = 0,
    PASSING = 1,
    SUSPECT = 2,
    FAILING = 3
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<InstanceHealth>

  export const codec = (): Codec<InstanceHealth> => {
    if (_codec == null) {
      _codec = message<InstanceHealth>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          InstanceHealth.Status.codec().encode(obj.status, w)
        }

        if ((obj.lastSeenMsAgo != null && obj.lastSeenMsAgo !== 0)) {
          w.uint32(16)
          w.uint32(obj.lastSeenMsAgo)
        }

        if (obj.checks != null && obj.checks.length > 0) {
          for (const value of obj.checks) {
            w.uint32(26)
            CheckResult.codec().encode(value, w)
          }
        }

        if (obj.load != null) {
          w.uint32(34)
          Load.codec().encode(obj.load, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.UNKNOWN,
          lastSeenMsAgo: 0,
          checks: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = InstanceHealth.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.lastSeenMsAgo = reader.uint32()
              break
            }
            case 3: {
              if (opts.limits?.checks != null && obj.checks.length === opts.limits.checks) {
                throw new MaxLengthError('Decode error - repeated field "checks" had too many elements')
              }

              obj.checks.push(CheckResult.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.checks$
              }))
              break
            }
            case 4: {
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
                value: InstanceHealth.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.lastSeenMsAgo`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
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
            case 4: {
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

  export interface InstanceHealthStatusFieldEvent {
    field: '$.status'
    value: InstanceHealth.Status
  }

  export interface InstanceHealthLastSeenMsAgoFieldEvent {
    field: '$.lastSeenMsAgo'
    value: number
  }

  export interface InstanceHealthChecksNameFieldEvent {
    field: '$.checks[].name'
    value: string
    index: number
  }

  export interface InstanceHealthChecksFailingFieldEvent {
    field: '$.checks[].failing'
    value: boolean
    index: number
  }

  export interface InstanceHealthChecksOutputFieldEvent {
    field: '$.checks[].output'
    value: string
    index: number
  }

  export interface InstanceHealthChecksAgeMsFieldEvent {
    field: '$.checks[].ageMs'
    value: number
    index: number
  }

  export interface InstanceHealthLoadCpuPermilleFieldEvent {
    field: '$.load.cpuPermille'
    value: number
  }

  export interface InstanceHealthLoadEventLoopDelayUsFieldEvent {
    field: '$.load.eventLoopDelayUs'
    value: number
  }

  export interface InstanceHealthLoadRssMibFieldEvent {
    field: '$.load.rssMib'
    value: number
  }

  export function encode (obj: Partial<InstanceHealth>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, InstanceHealth.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceHealth>): InstanceHealth {
    return decodeMessage(buf, InstanceHealth.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<InstanceHealth>): Generator<InstanceHealthStatusFieldEvent | InstanceHealthLastSeenMsAgoFieldEvent | InstanceHealthChecksNameFieldEvent | InstanceHealthChecksFailingFieldEvent | InstanceHealthChecksOutputFieldEvent | InstanceHealthChecksAgeMsFieldEvent | InstanceHealthLoadCpuPermilleFieldEvent | InstanceHealthLoadEventLoopDelayUsFieldEvent | InstanceHealthLoadRssMibFieldEvent> {
    return streamMessage(buf, InstanceHealth.codec(), opts)
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
