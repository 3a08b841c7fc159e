/* eslint-disable require-yield */

import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Admission {
  network: string
  authority: Uint8Array<ArrayBuffer>
  subject: string
  role: Admission.Role
  services: string[]
  notBefore: bigint
  notAfter: bigint
}

export namespace Admission {
  export enum Role {
    SERVICE = 'SERVICE',
    REGISTRY = 'REGISTRY',
    CLIENT = 'CLIENT'
  }

  enum __RoleValues {
    SERVICE = 0,
    REGISTRY = 1,
    CLIENT = 2
  }

  export namespace Role {
    export const codec = (): Codec<Role> => {
      return enumeration<Role>(__RoleValues)
    }
  }

  let _codec: Codec<Admission>

  export const codec = (): Codec<Admission> => {
    if (_codec == null) {
      _codec = message<Admission>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.network != null && obj.network !== '')) {
          w.uint32(10)
          w.string(obj.network)
        }

        if ((obj.authority != null && obj.authority.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.authority)
        }

        if ((obj.subject != null && obj.subject !== '')) {
          w.uint32(26)
          w.string(obj.subject)
        }

        if (obj.role != null && __RoleValues[obj.role] !== 0) {
          w.uint32(32)
          Admission.Role.codec().encode(obj.role, w)
        }

        if (obj.services != null && obj.services.length > 0) {
          for (const value of obj.services) {
            w.uint32(42)
            w.string(value)
          }
        }

        if ((obj.notBefore != null && obj.notBefore !== 0n)) {
          w.uint32(48)
          w.uint64(obj.notBefore)
        }

        if ((obj.notAfter != null && obj.notAfter !== 0n)) {
          w.uint32(56)
          w.uint64(obj.notAfter)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          network: '',
          authority: uint8ArrayAlloc(0),
          subject: '',
          role: Role.SERVICE,
          services: [],
          notBefore: 0n,
          notAfter: 0n
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
              obj.authority = reader.bytes()
              break
            }
            case 3: {
              obj.subject = reader.string()
              break
            }
            case 4: {
              obj.role = Admission.Role.codec().decode(reader)
              break
            }
            case 5: {
              if (opts.limits?.services != null && obj.services.length === opts.limits.services) {
                throw new MaxLengthError('Decode error - repeated field "services" had too many elements')
              }

              obj.services.push(reader.string())
              break
            }
            case 6: {
              obj.notBefore = reader.uint64()
              break
            }
            case 7: {
              obj.notAfter = reader.uint64()
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
          services: 0
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
                field: `${prefix}.authority`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.subject`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.role`,
                value: Admission.Role.codec().decode(reader)
              }
              break
            }
            case 5: {
              if (opts.limits?.services != null && obj.services === opts.limits.services) {
                throw new MaxLengthError('Streaming decode error - repeated field "services" had too many elements')
              }

              yield {
                field: `${prefix}.services[]`,
                index: obj.services,
                value: reader.string()
              }

              obj.services++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.notBefore`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.notAfter`,
                value: reader.uint64()
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

  export interface AdmissionNetworkFieldEvent {
    field: '$.network'
    value: string
  }

  export interface AdmissionAuthorityFieldEvent {
    field: '$.authority'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AdmissionSubjectFieldEvent {
    field: '$.subject'
    value: string
  }

  export interface AdmissionRoleFieldEvent {
    field: '$.role'
    value: Admission.Role
  }

  export interface AdmissionServicesFieldEvent {
    field: '$.services[]'
    index: number
    value: string
  }

  export interface AdmissionNotBeforeFieldEvent {
    field: '$.notBefore'
    value: bigint
  }

  export interface AdmissionNotAfterFieldEvent {
    field: '$.notAfter'
    value: bigint
  }

  export function encode (obj: Partial<Admission>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Admission.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Admission>): Admission {
    return decodeMessage(buf, Admission.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Admission>): Generator<AdmissionNetworkFieldEvent | AdmissionAuthorityFieldEvent | AdmissionSubjectFieldEvent | AdmissionRoleFieldEvent | AdmissionServicesFieldEvent | AdmissionNotBeforeFieldEvent | AdmissionNotAfterFieldEvent> {
    return streamMessage(buf, Admission.codec(), opts)
  }
}

export interface AdmissionCertificate {
  payload: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace AdmissionCertificate {
  let _codec: Codec<AdmissionCertificate>

  export const codec = (): Codec<AdmissionCertificate> => {
    if (_codec == null) {
      _codec = message<AdmissionCertificate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.payload)
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
          payload: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.payload = reader.bytes()
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
                field: `${prefix}.payload`,
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

  export interface AdmissionCertificatePayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AdmissionCertificateSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<AdmissionCertificate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdmissionCertificate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdmissionCertificate>): AdmissionCertificate {
    return decodeMessage(buf, AdmissionCertificate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdmissionCertificate>): Generator<AdmissionCertificatePayloadFieldEvent | AdmissionCertificateSignatureFieldEvent> {
    return streamMessage(buf, AdmissionCertificate.codec(), opts)
  }
}

export interface AdmissionRequest {}

export namespace AdmissionRequest {
  let _codec: Codec<AdmissionRequest>

  export const codec = (): Codec<AdmissionRequest> => {
    if (_codec == null) {
      _codec = message<AdmissionRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
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

  export function encode (obj: Partial<AdmissionRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdmissionRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdmissionRequest>): AdmissionRequest {
    return decodeMessage(buf, AdmissionRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdmissionRequest>): Generator<{}> {
    return streamMessage(buf, AdmissionRequest.codec(), opts)
  }
}

export interface AdmissionResponse {
  certificate: Uint8Array<ArrayBuffer>
}

export namespace AdmissionResponse {
  let _codec: Codec<AdmissionResponse>

  export const codec = (): Codec<AdmissionResponse> => {
    if (_codec == null) {
      _codec = message<AdmissionResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.certificate != null && obj.certificate.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.certificate)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          certificate: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.certificate = reader.bytes()
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
                field: `${prefix}.certificate`,
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

  export interface AdmissionResponseCertificateFieldEvent {
    field: '$.certificate'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<AdmissionResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AdmissionResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdmissionResponse>): AdmissionResponse {
    return decodeMessage(buf, AdmissionResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AdmissionResponse>): Generator<AdmissionResponseCertificateFieldEvent> {
    return streamMessage(buf, AdmissionResponse.codec(), opts)
  }
}
