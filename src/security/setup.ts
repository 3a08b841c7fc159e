/**
 * Loads what a node needs for closed and private networks from resolved options: the PSK, this node's own
 * certificate (checked against its identity and role before anything starts), and the admission guard.
 */
import { AdmissionError, AdmissionErrorCodes, InvalidOptionError } from '../errors.js'
import { AdmissionGuard } from './admission-guard.js'
import { allowsService, loadCertificate, verifyCertificate } from './admission.js'
import { loadPsk } from './psk.js'
import type { VerifiedAdmission } from './admission.js'
import type { ResolvedOptions } from '../options.js'

export interface Security {
  psk?: Uint8Array
  guard?: AdmissionGuard
  /** This node's own verified certificate on a closed network. */
  admission?: VerifiedAdmission
}

export async function loadSecurity (options: ResolvedOptions, peerId: string, onRefused: (peerId: string, error: AdmissionError) => void): Promise<Security> {
  const security: Security = {}
  if (options.psk !== undefined) security.psk = await loadPsk(options.psk)
  if (options.authority === undefined || options.admission === undefined) return security
  const certificate = await loadCertificate(options.admission)
  let admission: VerifiedAdmission
  try {
    admission = await verifyCertificate(certificate, { authority: options.authority, network: options.network, subject: peerId })
  } catch (err) {
    if (err instanceof AdmissionError) throw new InvalidOptionError('admission', `this node's certificate is not usable: ${err.message}`)
    throw err
  }
  if (options.nodeType === 'registry' && admission.role !== 'registry') {
    throw new InvalidOptionError('admission', `a registry node needs a registry certificate; this one admits a ${admission.role}`)
  }
  security.admission = admission
  security.guard = new AdmissionGuard({
    network: options.network,
    authority: options.authority,
    certificate,
    timeout: options.requestTimeout,
    recheckInterval: 10_000,
    denyFor: 60_000,
    onRefused
  })
  return security
}

/** Before publishing on a closed network: this node's certificate must allow it to publish `name`. */
export function checkMayPublish (admission: VerifiedAdmission | undefined, name: string): void {
  if (admission === undefined) return
  if (admission.role === 'client') throw new AdmissionError(AdmissionErrorCodes.ROLE, 'this node is admitted as a client and may not register a service')
  if (!allowsService(admission, name)) {
    throw new AdmissionError(AdmissionErrorCodes.NAME, `this node's certificate does not allow the service name "${name}" (allowed: ${admission.services.join(', ') || 'none'})`)
  }
}
