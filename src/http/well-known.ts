/**
 * A registry given by URL (`registryNodes: ['http://registry1.example:8080']`, the seed's example): its
 * `/.well-known/netget` (served by `netget registry --http`) names its network, peer id and multiaddrs. Untrusted
 * input: bounded in time and size, and checked before use. The peer id comes from the answer, so it is only as
 * trustworthy as the channel: https, or http on a network you trust; a multiaddr ending in /p2p/<peerId> needs
 * no such trust.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidOptionError, ProtocolError } from '../errors.js'

const MAX_ANSWER_BYTES = 64 * 1024
const MAX_MULTIADDRS = 16

export function isRegistryUrl (value: string): boolean {
  return /^https?:\/\//i.test(value)
}

/** Checks a registry URL given as an option (http or https, a host, no credentials). */
export function checkRegistryUrl (value: string, option: string): void {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidOptionError(option, `"${value}" is not a URL`)
  }
  if (url.username !== '' || url.password !== '') throw new InvalidOptionError(option, `"${value}": a registry URL carries no credentials`)
  if (url.hostname === '') throw new InvalidOptionError(option, `"${value}" names no host`)
}

/**
 * The registry's multiaddrs (each ending in /p2p/<its peer id>) from `<url>/.well-known/netget`. Throws
 * ProtocolError when the answer is not one (wrong network, malformed, too large) and the fetch's error otherwise.
 */
export async function resolveRegistryUrl (url: string, network: string, signal: AbortSignal): Promise<string[]> {
  const res = await fetch(new URL('/.well-known/netget', url), { signal, redirect: 'error', headers: { accept: 'application/json' } })
  if (!res.ok) throw new ProtocolError(`${url}/.well-known/netget answered HTTP ${res.status}`)
  const text = await readCapped(res, `${url}/.well-known/netget`)
  let body: { network?: unknown, peerId?: unknown, multiaddrs?: unknown }
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    throw new ProtocolError(`${url}/.well-known/netget is not JSON`)
  }
  if (body.network !== network) throw new ProtocolError(`${url} serves network ${JSON.stringify(body.network)}, not "${network}"`)
  if (typeof body.peerId !== 'string' || !Array.isArray(body.multiaddrs)) throw new ProtocolError(`${url}/.well-known/netget names no peerId and multiaddrs`)
  const out: string[] = []
  for (const value of body.multiaddrs.slice(0, MAX_MULTIADDRS)) {
    if (typeof value !== 'string') continue
    try {
      const ma = multiaddr(value)
      const id = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      if (id === undefined) out.push(ma.encapsulate(`/p2p/${body.peerId}`).toString())
      else if (id === body.peerId) out.push(ma.toString())
    } catch {
      // One malformed address does not spoil the others.
    }
  }
  if (out.length === 0) throw new ProtocolError(`${url}/.well-known/netget lists no usable multiaddr`)
  return out
}

/** The body as text, read no further than MAX_ANSWER_BYTES: a chunked answer declares no length to check first. */
async function readCapped (res: Response, what: string): Promise<string> {
  const tooLarge = (): ProtocolError => new ProtocolError(`${what} is larger than ${MAX_ANSWER_BYTES} bytes`)
  if (Number(res.headers.get('content-length') ?? 0) > MAX_ANSWER_BYTES) {
    await res.body?.cancel()
    throw tooLarge()
  }
  const chunks: Uint8Array[] = []
  let bytes = 0
  const reader = res.body?.getReader()
  while (reader !== undefined) {
    const { value, done } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (bytes > MAX_ANSWER_BYTES) {
      await reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}
