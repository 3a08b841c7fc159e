/**
 * The event log of the long-running commands: one line per event, readable (`<ISO time> <LEVEL> <text>`)
 * or, with --json-logs, one JSON object per line (`{"time", "level", "event", ...fields}`).
 *
 * Much of what is logged came from the network (service names, metadata, error messages about a peer's
 * record): in text mode every control character is escaped (`\n`, `\u001b`, …), so that no peer can end a line
 * and write one that looks like the registry's own, nor send terminal escapes. JSON mode escapes by construction.
 */
import { formatMetadata } from './format.js'
import { toJson } from './io.js'
import type { Io } from './io.js'
import type { Netget } from '../netget.js'

export type EventLog = (event: string, fields: Record<string, unknown>, text: string) => void

export type LogLevel = 'info' | 'warn' | 'error'

/** Events an operator should look at: refusals, failures, instances going down. The rest is `info`. */
const LEVELS: Record<string, LogLevel> = {
  error: 'error',
  'record:rejected': 'warn',
  'record:limited': 'warn',
  'peer:refused': 'warn',
  'instance:down': 'warn',
  'republish:error': 'warn'
}

export function levelOf (event: string): LogLevel {
  return LEVELS[event] ?? 'info'
}

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/** `text` with every C0/C1 control character (and the Unicode line separators) written as a JSON escape. */
export function escapeControls (text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, c => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

export function createEventLog (io: Io, json: boolean): EventLog {
  return (event, fields, text) => {
    const time = new Date().toISOString()
    const level = levelOf(event)
    io.out(json ? toJson({ time, level, event, ...fields }) : `${time} ${level.toUpperCase().padEnd(5)} ${escapeControls(text)}`)
  }
}

/**
 * What a registry operator wants to see: peers coming and going or refused admission, records stored or
 * refused, peers over their limits, instances failing.
 */
export function logRegistryEvents (node: Netget, log: EventLog): void {
  node.addEventListener('peer:connect', ({ detail: peerId }) => { log('peer:connect', { peerId }, `peer connected     ${peerId}`) })
  node.addEventListener('peer:disconnect', ({ detail: peerId }) => { log('peer:disconnect', { peerId }, `peer disconnected  ${peerId}`) })
  node.addEventListener('restored', ({ detail }) => {
    log('restored', { ...detail }, `restored           ${detail.records} records and ${detail.registries} registries from the data dir${detail.discarded > 0 ? ` (${detail.discarded} saved records no longer valid, deleted)` : ''}`)
  })
  logRefusedPeers(node, log)
  node.addEventListener('record:stored', ({ detail: instance }) => {
    const meta = formatMetadata(instance.metadata)
    log('record:stored', { name: instance.name, peerId: instance.peerId, sequence: instance.sequence, addresses: instance.addresses, metadata: instance.metadata },
      `record stored      ${instance.name} ${instance.peerId} (${instance.addresses.length} addresses${meta === '' ? '' : `; ${meta}`})`)
  })
  node.addEventListener('record:withdrawn', ({ detail: instance }) => {
    log('record:withdrawn', { name: instance.name, peerId: instance.peerId, sequence: instance.sequence },
      `record withdrawn   ${instance.name} ${instance.peerId}`)
  })
  node.addEventListener('record:rejected', ({ detail }) => {
    log('record:rejected', detail, `record rejected    from ${detail.from}: ${detail.code}: ${detail.message}`)
  })
  node.addEventListener('record:limited', ({ detail }) => {
    log('record:limited', { from: detail.from, code: detail.code, message: detail.message },
      `record limited     from ${detail.from}: ${detail.code}: ${detail.message}`)
  })
  node.addEventListener('instance:down', ({ detail }) => {
    log('instance:down', detail, `instance down      ${detail.peerId}: ${detail.reason}`)
  })
  node.addEventListener('instance:up', ({ detail }) => { log('instance:up', detail, `instance up        ${detail.peerId}`) })
  node.addEventListener('records:replicated', ({ detail }) => {
    log('records:replicated', detail, `records replicated ${detail.records} to ${detail.to} (${detail.reason === 'join' ? 'it joined their closest sets' : 'it took the place of a registry that left'})`)
  })
  logErrors(node, log)
}

/** What a service operator wants to see: its lease being kept, or not. */
export function logServiceEvents (node: Netget, log: EventLog): void {
  node.addEventListener('republished', ({ detail }) => {
    log('republished', { accepted: detail.accepted, registries: detail.registries }, `republished        stored by ${detail.accepted} registries`)
  })
  node.addEventListener('republish:error', ({ detail: err }) => {
    log('republish:error', { message: err.message }, `republish failed   ${err.message} (retrying)`)
  })
  node.addEventListener('withdrawn', ({ detail: accepted }) => {
    log('withdrawn', { accepted }, `withdrawn          from ${accepted} registries`)
  })
  logRefusedPeers(node, log)
  logErrors(node, log)
}

/** Closed networks: a peer without a valid certificate (or with the wrong role) was refused and hung up on. */
function logRefusedPeers (node: Netget, log: EventLog): void {
  node.addEventListener('peer:refused', ({ detail }) => {
    log('peer:refused', { peerId: detail.peerId, code: detail.code, message: detail.message },
      `peer refused       ${detail.peerId}: ${detail.code}: ${detail.message}`)
  })
}

/** A background failure, with its code (netget's errors have one) and the chain of causes, outermost first. */
function logErrors (node: Netget, log: EventLog): void {
  node.addEventListener('error', ({ detail: err }) => {
    const raw = (err as { code?: unknown }).code
    const code = typeof raw === 'string' ? raw : undefined
    const causes: string[] = []
    for (let cause = err.cause; cause instanceof Error && causes.length < 4; cause = cause.cause) causes.push(cause.message)
    log('error', { message: err.message, ...(code !== undefined ? { code } : {}), ...(causes.length > 0 ? { causes } : {}) },
      `error              ${code !== undefined ? `${code}: ` : ''}${err.message}${causes.map(c => ` (cause: ${c})`).join('')}`)
  })
}
