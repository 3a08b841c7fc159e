/**
 * A DNS interface to discovery, as Consul's port 8600 is (`netget registry --dns HOST:PORT`, off by default), for
 * clients that resolve names and nothing else (nginx, Go and Python resolvers, `dig`). UDP and TCP on the same port,
 * packets parsed and written with `dns-packet`. Names are `<service>.<network>.netget.`:
 *
 *   SRV   one per instance: priority 1, weight 1, its port, target `<id>.<service>.<network>.netget.` (A/AAAA of
 *         the target in the additional section)
 *   A / AAAA  the instances' addresses;  TXT  one `key=value` string per metadata field of each instance
 *   `<id>.<service>.<network>.netget.` A / AAAA: one instance (`id`: 12 hex digits of the SHA-256 of its peer id)
 *
 * An instance's endpoint is its first announced `scheme://host:port` (the application's, e.g. an HTTP server),
 * else its first libp2p `/ip4|ip6/…/tcp/…` multiaddr. Answers are discovery's (verified, live, not down). A name
 * with no instance is NXDOMAIN, a name outside the zone REFUSED, a malformed query FORMERR (or dropped when not
 * even its header can be read); nothing a peer sends can stop the server. Over UDP an answer fits in 512 bytes, or
 * in the size the query's EDNS(0) OPT record offers (at most 1232, the DNS flag day's size that crosses networks
 * without fragments); what does not fit is cut and marked truncated (TC), and the resolver asks again over TCP,
 * where answers go up to 64 KiB (RFC 7766: 2-byte length prefix, several queries per connection).
 */
import { createHash } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { createServer, isIP } from 'node:net'
import * as packet from 'dns-packet'
import type { Netget } from '../netget.js'
import type { ServiceInstance } from '../records/instance.js'
import type { Socket } from 'node:dgram'
import type { Server, Socket as TcpSocket } from 'node:net'

export interface DnsServerInit {
  node: Netget
  /** @default '127.0.0.1' */
  host?: string
  /** @default 8600 */
  port?: number
  /** Deadline of the discovery behind one query (ms). @default 2000 */
  timeout?: number
  /** TTL of every answer (s): how long a resolver may keep it. @default 5 */
  ttl?: number
  /**
   * A TCP connection is closed this long after its last complete query or answer (RFC 7766 § 6.2.3: idle is
   * "no complete message", so bytes trickled without ending a query keep nothing open). @default 10000
   */
  tcpIdleTimeout?: number
}

const ZONE = 'netget'
/** Response codes (RFC 1035 § 4.1.1), in the low 4 bits of the flags. */
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const
const MAX_UDP_BYTES = 512
/** The largest UDP answer sent to a query that offers more with EDNS(0) (DNS flag day 2020). */
const MAX_EDNS_UDP_BYTES = 1232
/** A DNS message over TCP is at most this long (its 2-byte length prefix). */
const MAX_TCP_BYTES = 65_535
/** TCP connections served at once; more are closed at once (resolvers fall back to another server or retry). */
const MAX_TCP_CONNECTIONS = 64
/** Free ports tried when asked for port 0 (a free UDP port may be taken over TCP). */
const PORT_ZERO_ATTEMPTS = 5
/** Answer bytes a TCP client may leave unread before it is cut off. */
const MAX_TCP_UNREAD_BYTES = 256 * 1024
/** Queries one TCP connection may have waiting for their answers. */
const MAX_TCP_PIPELINED = 16
/** A TCP connection with no complete query or answer for this long is closed (RFC 7766 suggests seconds). */
const TCP_IDLE_MS = 10_000
/** Concurrent queries being answered at most; more are dropped (a resolver asks again). */
const MAX_IN_FLIGHT = 256

interface Endpoint { host: string, port: number }

/** The 12-hex-digit label of an instance (peer ids are case-sensitive; DNS names are not). */
export function instanceLabel (peerId: string): string {
  return createHash('sha256').update(peerId).digest('hex').slice(0, 12)
}

/** Where clients reach the instance: its first announced URL with a port, else its first libp2p TCP address. */
export function endpointOf (instance: Pick<ServiceInstance, 'addresses'>): Endpoint | undefined {
  for (const address of instance.addresses) {
    if (address.startsWith('/')) continue
    try {
      const url = new URL(address)
      const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : Number.NaN
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
      if (Number.isInteger(port) && host !== '') return { host, port }
    } catch {
      // Not a URL: the next announced address, then the libp2p ones.
    }
  }
  for (const address of instance.addresses) {
    const match = /^\/ip([46])\/([^/]+)\/tcp\/(\d+)/.exec(address)
    if (match !== null) return { host: match[2], port: Number(match[3]) }
  }
  return undefined
}

export class DnsServer {
  private readonly init: DnsServerInit
  private socket?: Socket
  private tcp?: Server
  private readonly connections = new Set<TcpSocket>()
  private inFlight = 0
  /** TCP clients cut off, by reason: idle past `tcpIdleTimeout`, too many queries waiting, answers left unread. */
  readonly cutOff = { idle: 0, flooding: 0, unread: 0 }

  constructor (init: DnsServerInit) {
    this.init = init
  }

  async start (): Promise<{ host: string, port: number }> {
    if (this.socket !== undefined) throw new Error('the DNS server is already started')
    const port = this.init.port ?? 8600
    // Port 0 picks a free UDP port, which may be taken over TCP: pick again, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.bind(port)
      } catch (err) {
        if (port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= PORT_ZERO_ATTEMPTS) throw err
      }
    }
  }

  /** UDP and TCP on one port, all or nothing: a failure leaves nothing open, and start() may be tried again. */
  private async bind (port: number): Promise<{ host: string, port: number }> {
    const host = this.init.host ?? '127.0.0.1'
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4')
    socket.on('message', (message, from) => { this.onMessage(message, from.address, from.port) })
    // A send to a client that went away, and the like: nothing to stop for.
    socket.on('error', () => {})
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject)
        socket.bind(port, host, () => {
          socket.off('error', reject)
          resolve()
        })
      })
    } catch (err) {
      // The port is taken, or the address is not this host's.
      socket.close()
      throw err
    }
    const address = socket.address()
    try {
      this.tcp = await this.listenTcp(host, address.port)
    } catch (err) {
      // UDP bound but TCP refused (the port is taken over TCP).
      socket.close()
      throw err
    }
    this.socket = socket
    return { host: address.address, port: address.port }
  }

  private async listenTcp (host: string, port: number): Promise<Server> {
    const server = createServer(connection => { this.onConnection(connection) })
    server.maxConnections = MAX_TCP_CONNECTIONS
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    // A client that resets mid-accept, and the like: nothing to stop for.
    server.on('error', () => {})
    return server
  }

  /** One TCP connection: length-prefixed queries, answered in order, until the client closes or idles. */
  private onConnection (connection: TcpSocket): void {
    this.connections.add(connection)
    // Not the socket's inactivity timeout: any byte resets that, and a client trickling one byte every few seconds
    // would hold one of the MAX_TCP_CONNECTIONS slots for ever.
    const idleMs = this.init.tcpIdleTimeout ?? TCP_IDLE_MS
    const cut = (): void => {
      this.cutOff.idle++
      connection.destroy()
    }
    let idle = setTimeout(cut, idleMs)
    const active = (): void => {
      clearTimeout(idle)
      idle = setTimeout(cut, idleMs)
    }
    connection.on('error', () => {})
    connection.on('close', () => {
      clearTimeout(idle)
      this.connections.delete(connection)
    })
    // Complete messages are taken out as they arrive: what stays buffered is less than one (a prefix says ≤ 64 KiB).
    let buffered = Buffer.alloc(0)
    let queue = Promise.resolve()
    let queued = 0
    connection.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.byteLength >= 2 && buffered.byteLength >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0))
        buffered = buffered.subarray(2 + message.byteLength)
        active()
        // Each query may be a discovery: a client that pipelines more than a few at once is cut off.
        if (++queued > MAX_TCP_PIPELINED || this.inFlight >= MAX_IN_FLIGHT) {
          this.cutOff.flooding++
          connection.destroy()
          return
        }
        queue = queue.then(async () => {
          this.inFlight++
          const reply = await this.answer(Buffer.from(message), MAX_TCP_BYTES).catch(() => undefined).finally(() => { this.inFlight-- })
          if (reply === undefined || connection.destroyed) return
          const prefix = Buffer.alloc(2)
          prefix.writeUInt16BE(reply.byteLength)
          active()
          // A client that does not read its answers is cut off rather than buffered for.
          if (!connection.write(Buffer.concat([prefix, reply])) && connection.writableLength > MAX_TCP_UNREAD_BYTES) {
            this.cutOff.unread++
            connection.destroy()
          }
        }).finally(() => { queued-- })
      }
    })
  }

  async stop (): Promise<void> {
    const socket = this.socket
    if (socket === undefined) return
    this.socket = undefined
    const tcp = this.tcp
    this.tcp = undefined
    for (const connection of this.connections) connection.destroy()
    await Promise.all([
      new Promise<void>(resolve => { socket.close(() => { resolve() }) }),
      tcp === undefined ? undefined : new Promise<void>(resolve => { tcp.close(() => { resolve() }) })
    ])
  }

  private onMessage (message: Buffer, address: string, port: number): void {
    if (this.inFlight >= MAX_IN_FLIGHT) return
    this.inFlight++
    this.answer(message).then(reply => {
      if (reply !== undefined) this.socket?.send(reply, port, address)
    }, () => {}).finally(() => { this.inFlight-- })
  }

  /**
   * The reply to one query, or undefined to drop it. `limit`: the transport's size (UDP 512, raised by the query's
   * EDNS(0) offer up to 1232; TCP 64 KiB).
   */
  async answer (message: Buffer, limit = MAX_UDP_BYTES): Promise<Buffer | undefined> {
    let query: packet.Packet
    try {
      query = packet.decode(message)
    } catch {
      // Not a DNS message: answer FORMERR when at least its id can be read, else nothing.
      if (message.byteLength < 12) return undefined
      return packet.encode({ id: message.readUInt16BE(0), type: 'response', flags: (packet.RECURSION_DESIRED & message.readUInt16BE(2)) | RCODE.FORMERR, questions: [] })
    }
    // EDNS(0) (RFC 6891): a query with an OPT record offers a larger UDP size, and gets an OPT record back.
    const opt = (query.additionals ?? []).find((a): a is packet.OptAnswer => a.type === 'OPT')
    const size = opt === undefined || limit > MAX_EDNS_UDP_BYTES ? limit : Math.min(Math.max(opt.udpPayloadSize, MAX_UDP_BYTES), MAX_EDNS_UDP_BYTES)
    const replyOpt: packet.Answer[] = opt === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: MAX_EDNS_UDP_BYTES, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
    const base = { id: query.id ?? 0, type: 'response' as const, questions: query.questions ?? [] }
    const refuse = (rcode: number): Buffer => packet.encode({ ...base, flags: packet.AUTHORITATIVE_ANSWER | rcode, additionals: replyOpt })
    if (query.type !== 'query' || (query.questions ?? []).length !== 1) return refuse(RCODE.FORMERR)
    const question = (query.questions ?? [])[0]
    const labels = question.name.toLowerCase().replace(/\.$/, '').split('.')
    if (labels.at(-1) !== ZONE || labels.length < 3 || labels.length > 4) return refuse(RCODE.REFUSED)
    const [id, name, network] = labels.length === 4 ? labels : [undefined, labels[0], labels[1]]
    if (network !== this.init.node.network.toLowerCase()) return refuse(RCODE.NXDOMAIN)
    let instances: ServiceInstance[]
    try {
      instances = await this.instancesOf(name)
    } catch {
      return refuse(RCODE.SERVFAIL)
    }
    if (id !== undefined) instances = instances.filter(i => instanceLabel(i.peerId) === id)
    if (instances.length === 0) return refuse(RCODE.NXDOMAIN)
    const { answers, additionals } = this.records(question, instances, `${name}.${network}.${ZONE}`)
    return fit({ ...base, flags: packet.AUTHORITATIVE_ANSWER | RCODE.NOERROR, answers, additionals }, replyOpt, size)
  }

  /** Discovery's instances of a service name, matched case-insensitively (DNS names are). */
  private async instancesOf (label: string): Promise<ServiceInstance[]> {
    const node = this.init.node
    const timeout = this.init.timeout ?? 2000
    const exact = await node.discoverServiceNode(label, { timeout, maxAge: 1000 }).catch(() => [])
    if (exact.length > 0) return exact
    // The name as registered may have capitals: look for it among the names this registry holds.
    const name = [...new Set(node.listRecords().map(r => r.name))].find(n => n.toLowerCase() === label && n !== label)
    return name === undefined ? [] : node.discoverServiceNode(name, { timeout, maxAge: 1000 })
  }

  private records (question: packet.Question, instances: ServiceInstance[], zoneName: string): { answers: packet.Answer[], additionals: packet.Answer[] } {
    const ttl = this.init.ttl ?? 5
    const answers: packet.Answer[] = []
    const additionals: packet.Answer[] = []
    const addressOf = (host: string, name: string): packet.Answer | undefined => {
      const family = isIP(host)
      return family === 4 ? { type: 'A', name, ttl, data: host } : family === 6 ? { type: 'AAAA', name, ttl, data: host } : undefined
    }
    for (const instance of instances) {
      const endpoint = endpointOf(instance)
      const target = `${instanceLabel(instance.peerId)}.${zoneName}`
      switch (question.type) {
        case 'SRV':
          if (endpoint === undefined) break
          answers.push({ type: 'SRV', name: question.name, ttl, data: { priority: 1, weight: 1, port: endpoint.port, target: isIP(endpoint.host) === 0 ? endpoint.host : target } })
          if (isIP(endpoint.host) !== 0) {
            const glue = addressOf(endpoint.host, target)
            if (glue !== undefined) additionals.push(glue)
          }
          break
        case 'A':
        case 'AAAA': {
          const record = endpoint === undefined ? undefined : addressOf(endpoint.host, question.name)
          if (record !== undefined && record.type === question.type) answers.push(record)
          break
        }
        case 'TXT': {
          const strings = Object.entries(instance.metadata)
            .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
            .filter(s => Buffer.byteLength(s) <= 255)
          answers.push({ type: 'TXT', name: question.name, ttl, data: [`peer=${instance.peerId}`, ...strings] })
          break
        }
        default:
          // A type this zone has no data of: NOERROR with no answer (NODATA).
          break
      }
    }
    return { answers, additionals }
  }
}

/**
 * Encodes `reply` (with the OPT record, if any, last), dropping glue, then answers, until it fits in `limit` bytes;
 * TC set when anything was cut.
 */
function fit (reply: packet.Packet & { answers: packet.Answer[], additionals: packet.Answer[] }, opt: packet.Answer[], limit: number): Buffer {
  const encode = (flags = reply.flags ?? 0): Buffer => packet.encode({ ...reply, flags, additionals: [...reply.additionals, ...opt] })
  let bytes = encode()
  let cut = false
  while (bytes.byteLength > limit && (reply.additionals.length > 0 || reply.answers.length > 0)) {
    if (reply.additionals.length > 0) reply.additionals.pop()
    else reply.answers.pop()
    cut = true
    bytes = encode()
  }
  return cut ? encode((reply.flags ?? 0) | packet.TRUNCATED_RESPONSE) : bytes
}
