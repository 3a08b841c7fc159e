export { signRecord, openRecord, compareRecords, isLive, checkFields, checkName } from './service-record.js'
export type { RecordFields, VerifiedRecord, RecordExpectations, Metadata } from './service-record.js'
export { serviceKey } from './service-key.js'
