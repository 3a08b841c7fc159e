/**
 * Admission certificates: issue, load, verify. Pure (bytes in, a typed value or an AdmissionError out).
 * Rules: protocols/admission.md.
 */
import { readFile } from 'node:fs/promises'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { Admission as AdmissionPb, AdmissionCertificate as AdmissionCertificatePb } from '../../protocols/admission.js'
import { CLOCK_SKEW_MS, MAX_NAME_BYTES, NAME_PATTERN } from '../constants.js'
import { AdmissionError, AdmissionErrorCodes } from '../errors.js'
import { signWithDomain, verifyWithDomain } from '../util/signing.js'
import type { AdmissionErrorCode } from '../errors.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export type Role = 'service' | 'registry' | 'client'

export const ADMISSION_SIGNATURE_DOMAIN = 'netget-admission:v1'
/** Largest certificate accepted (bytes). */
export const MAX_CERTIFICATE_BYTES = 4096
export const MAX_CERTIFICATE_SERVICES = 64
/** Longest validity an authority may grant in one certificate (ms): about two years. */
export const MAX_CERTIFICATE_VALIDITY_MS = 732 * 24 * 60 * 60 * 1000

export interface AdmissionInit {
  subject: string
  role: Role
  /** Exact names or prefixes ending in "*". Empty: none (fine for registries and clients). */
  services?: string[]
  notBefore: number
  notAfter: number
  /** Restrict to one network; omitted means any network that trusts the authority. */
  network?: string
}

/** A certificate that verified. `bytes` is the AdmissionCertificate exactly as received. */
export interface VerifiedAdmission {
  network: string
  authority: Uint8Array
  subject: string
  role: Role
  services: string[]
  notBefore: number
  notAfter: number
  bytes: Uint8Array
}

export interface AdmissionExpectations {
  /** The authority the network trusts. */
  authority: PublicKey
  /** The network the certificate is used on. */
  network: string
  /** The peer presenting it (or publishing a record with it). */
  subject?: string
  now?: number
}

const ROLE_TO_PB: Record<Role, AdmissionPb.Role> = {
  service: AdmissionPb.Role.SERVICE,
  registry: AdmissionPb.Role.REGISTRY,
  client: AdmissionPb.Role.CLIENT
}

function roleFromPb (role: AdmissionPb.Role): Role | undefined {
  switch (role) {
    case AdmissionPb.Role.SERVICE: return 'service'
    case AdmissionPb.Role.REGISTRY: return 'registry'
    case AdmissionPb.Role.CLIENT: return 'client'
    default: return undefined
  }
}

function fail (code: AdmissionErrorCode, message: string): never {
  throw new AdmissionError(code, message)
}


/** A service-name pattern: an exact name, or a prefix followed by "*". */
export function checkServicePattern (pattern: string): void {
  const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : pattern
  if ((prefix.length === 0 && pattern !== '*') || Buffer.byteLength(pattern) > MAX_NAME_BYTES || (prefix.length > 0 && !NAME_PATTERN.test(prefix))) {
    fail(AdmissionErrorCodes.INVALID, `service pattern must be a name or a prefix ending in "*", got ${JSON.stringify(pattern.slice(0, 64))}`)
  }
}

export function allowsService (admission: Pick<VerifiedAdmission, 'services'>, name: string): boolean {
  return admission.services.some(pattern => pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern)
}

/** Signs a certificate with the authority's key; returns the encoded AdmissionCertificate. */
export async function issueCertificate (authority: PrivateKey, init: AdmissionInit): Promise<Uint8Array> {
  try {
    peerIdFromString(init.subject)
  } catch (err) {
    fail(AdmissionErrorCodes.INVALID, `subject is not a peer id: ${(err as Error).message}`)
  }
  const services = init.services ?? []
  if (services.length > MAX_CERTIFICATE_SERVICES) fail(AdmissionErrorCodes.INVALID, `at most ${MAX_CERTIFICATE_SERVICES} service patterns`)
  for (const pattern of services) checkServicePattern(pattern)
  if (!(init.notAfter > init.notBefore) || init.notAfter - init.notBefore > MAX_CERTIFICATE_VALIDITY_MS) {
    fail(AdmissionErrorCodes.INVALID, `validity must be within (0, ${MAX_CERTIFICATE_VALIDITY_MS}] ms`)
  }
  const payload = AdmissionPb.encode({
    network: init.network ?? '',
    authority: publicKeyToProtobuf(authority.publicKey) as Uint8Array<ArrayBuffer>,
    subject: init.subject,
    role: ROLE_TO_PB[init.role],
    services,
    notBefore: BigInt(init.notBefore),
    notAfter: BigInt(init.notAfter)
  })
  const signature = await signWithDomain(authority, ADMISSION_SIGNATURE_DOMAIN, payload)
  return AdmissionCertificatePb.encode({ payload, signature: signature as Uint8Array<ArrayBuffer> })
}

/** Decodes and verifies a certificate against the network's authority, the subject and the time. */
export async function verifyCertificate (bytes: Uint8Array, expect: AdmissionExpectations): Promise<VerifiedAdmission> {
  if (bytes.byteLength === 0) fail(AdmissionErrorCodes.MISSING, 'no admission certificate')
  if (bytes.byteLength > MAX_CERTIFICATE_BYTES) fail(AdmissionErrorCodes.INVALID, `certificate is over ${MAX_CERTIFICATE_BYTES} bytes`)
  let envelope: AdmissionCertificatePb
  let fields: AdmissionPb
  try {
    envelope = AdmissionCertificatePb.decode(bytes)
    fields = AdmissionPb.decode(envelope.payload, { limits: { services: MAX_CERTIFICATE_SERVICES } })
  } catch (err) {
    fail(AdmissionErrorCodes.INVALID, `certificate does not decode: ${(err as Error).message}`)
  }
  if (!uint8ArrayEquals(AdmissionCertificatePb.encode(envelope), bytes) || !uint8ArrayEquals(AdmissionPb.encode(fields), envelope.payload)) {
    fail(AdmissionErrorCodes.INVALID, 'certificate is not in canonical encoding')
  }
  const role = roleFromPb(fields.role)
  if (role === undefined) fail(AdmissionErrorCodes.INVALID, 'certificate has an unknown role')
  if (!(fields.notAfter > fields.notBefore) || Number(fields.notAfter - fields.notBefore) > MAX_CERTIFICATE_VALIDITY_MS) {
    fail(AdmissionErrorCodes.INVALID, `certificate validity must be within (0, ${MAX_CERTIFICATE_VALIDITY_MS}] ms`)
  }
  const authority = publicKeyToProtobuf(expect.authority)
  if (!uint8ArrayEquals(fields.authority, authority)) fail(AdmissionErrorCodes.INVALID, 'certificate was issued by another authority')
  if (fields.network !== '' && fields.network !== expect.network) {
    fail(AdmissionErrorCodes.INVALID, `certificate is for network "${fields.network.slice(0, 64)}", not "${expect.network}"`)
  }
  if (expect.subject !== undefined && fields.subject !== expect.subject) {
    fail(AdmissionErrorCodes.INVALID, `certificate admits ${fields.subject.slice(0, 64)}, not ${expect.subject}`)
  }
  // The authority key in the certificate equals the trusted one, so verifying with the trusted key is the same.
  const valid = await verifyWithDomain(expect.authority, ADMISSION_SIGNATURE_DOMAIN, envelope.payload, envelope.signature)
  if (!valid) fail(AdmissionErrorCodes.INVALID, 'certificate signature does not verify with the authority key')
  const admission: VerifiedAdmission = { ...admissionOf(fields, role), bytes }
  checkValidity(admission, expect.now)
  return admission
}

/** Time rule alone, for certificates verified earlier (they are re-checked while a peer stays connected). */
export function checkValidity (admission: Pick<VerifiedAdmission, 'notBefore' | 'notAfter' | 'subject'>, now = Date.now()): void {
  if (now + CLOCK_SKEW_MS < admission.notBefore) fail(AdmissionErrorCodes.EXPIRED, `certificate of ${admission.subject} is not valid before ${new Date(admission.notBefore).toISOString()}`)
  if (now - CLOCK_SKEW_MS > admission.notAfter) fail(AdmissionErrorCodes.EXPIRED, `certificate of ${admission.subject} expired at ${new Date(admission.notAfter).toISOString()}`)
}

/** Certificate files hold the encoded AdmissionCertificate as base64 text (one line), as `netget admit` writes. */
export function encodeCertificateFile (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64') + '\n'
}

/** Loads a certificate from a file path (base64 text) or takes its bytes as given. */
export async function loadCertificate (source: string | Uint8Array): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source
  let text: string
  try {
    text = await readFile(source, 'utf8')
  } catch (err) {
    throw new AdmissionError(AdmissionErrorCodes.MISSING, `cannot read certificate file ${source}: ${(err as Error).message}`, { cause: err })
  }
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/=]+$/.test(trimmed)) throw new AdmissionError(AdmissionErrorCodes.INVALID, `${source} is not a certificate file (base64 text, as "netget admit" writes)`)
  return new Uint8Array(Buffer.from(trimmed, 'base64'))
}

/** Reads a certificate without verifying it (to show what it says, e.g. in the CLI). */
export function describeCertificate (bytes: Uint8Array): Omit<VerifiedAdmission, 'bytes'> {
  try {
    const fields = AdmissionPb.decode(AdmissionCertificatePb.decode(bytes).payload)
    const role = roleFromPb(fields.role)
    if (role === undefined) throw new Error('unknown role')
    return admissionOf(fields, role)
  } catch (err) {
    throw new AdmissionError(AdmissionErrorCodes.INVALID, `certificate does not decode: ${(err as Error).message}`, { cause: err })
  }
}

/** What a certificate says, from its decoded payload. */
function admissionOf (fields: AdmissionPb, role: Role): Omit<VerifiedAdmission, 'bytes'> {
  return {
    network: fields.network,
    authority: fields.authority,
    subject: fields.subject,
    role,
    services: fields.services,
    notBefore: Number(fields.notBefore),
    notAfter: Number(fields.notAfter)
  }
}
