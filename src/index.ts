/**
 * netget: service registration and discovery over a libp2p Kademlia DHT, with no central server.
 * See README.md and docs/api.md.
 */
export { Netget } from './netget.js'
export type {
  ServiceInstance, RegistrationResult, RegisterOptions, DiscoverOptions, PickOptions, WatchOptions, WatchEvent, HealthCheckOptions, NetgetEvents, NetgetStats
} from './netget.js'
export type { NetgetOptions, NodeType } from './options.js'
export type { RestoreResult } from './registry/registry-role.js'
export { DEFAULTS } from './options.js'
export type { HealthCheck } from './health/checks.js'
export type { InstanceHealth, HealthStatus, CheckResult, LoadFigures } from './health/model.js'
export type { InstanceFilter } from './discovery/filters.js'
export type { PickStrategy } from './discovery/pick.js'
export type { ProbeResult } from './health/probe.js'
export type { Metadata } from './records/service-record.js'
export * from './errors.js'
export { formatPublicKey, parsePublicKey, writeNewKeyFile, readKeyFile } from './node/identity.js'
export { issueCertificate, verifyCertificate, loadCertificate, describeCertificate, encodeCertificateFile } from './security/admission.js'
export type { Role, AdmissionInit, VerifiedAdmission } from './security/admission.js'
export { writeNewPskFile, loadPsk } from './security/psk.js'
