/**
 * The DNS interface (src/dns/server.ts; `netget registry --dns HOST:PORT`): real UDP queries against a real
 * registry, answers from discovery, typed refusals, and a server that nothing sent to it can stop.
 */
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { createConnection } from 'node:net'
import { after, before, describe, it } from 'node:test'
import * as packet from 'dns-packet'
import fc from 'fast-check'
import { DnsServer, endpointOf, instanceLabel } from '../../src/dns/server.js'
import { HttpApi } from '../../src/http/api.js'
import { TestNetwork } from '../helpers/network.js'
import type { Netget } from '../../src/index.js'

/** The response code dns-packet decodes (its types leave it out). */
const rcode = (reply: packet.Packet): string | undefined => (reply as { rcode?: string }).rcode

describe('DNS interface', () => {
  const net = new TestNetwork()
  let server: DnsServer
  let port = 0
  let web: Netget
  const socket = createSocket('udp4')
  const pending = new Map<number, (reply: packet.Packet) => void>()

  before(async () => {
    const { nodes: [registry], addrs } = await net.registries(1)
    web = await net.service('Web', addrs, { announce: ['http://127.0.0.1:8080'], metadata: { version: '1.2.0' } })
    server = new DnsServer({ node: registry, port: 0 })
    port = (await server.start()).port
    socket.on('message', message => {
      const reply = packet.decode(message)
      pending.get(reply.id ?? -1)?.(reply)
    })
    await new Promise<void>(resolve => { socket.bind(0, '127.0.0.1', () => { resolve() }) })
  })

  after(async () => {
    socket.close()
    await server.stop()
    await net.stopAll()
  })

  let nextId = 1
  /** Sends raw bytes (or a query) and waits (bounded) for the reply with that id. */
  const ask = async (name: string, type: packet.RecordType): Promise<packet.Packet> => {
    const id = nextId++
    const reply = new Promise<packet.Packet>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no reply to ${name} ${type} within 5 s`)) }, 5000)
      pending.set(id, r => { clearTimeout(timer); resolve(r) })
    })
    socket.send(packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name, type }] }), port, '127.0.0.1')
    return reply
  }

  it('SRV gives each instance\'s announced port, with its address as glue', async () => {
    const reply = await ask('Web.development.netget', 'SRV')
    assert.equal(rcode(reply), 'NOERROR')
    assert.equal(reply.answers?.length, 1)
    const srv = reply.answers?.[0] as packet.SrvAnswer
    assert.equal(srv.data.port, 8080)
    assert.equal(srv.data.target, `${instanceLabel(web.peerId)}.web.development.netget`)
    assert.deepEqual(reply.additionals?.map(a => [a.type, a.name, (a as packet.StringAnswer).data]), [['A', srv.data.target, '127.0.0.1']])
  })

  it('A, TXT (metadata and peer id), the instance\'s own name, and any case', async () => {
    assert.deepEqual((await ask('web.DEVELOPMENT.netget', 'A')).answers?.map(a => (a as packet.StringAnswer).data), ['127.0.0.1'])
    const answer = (await ask('Web.development.netget', 'TXT')).answers?.[0] as packet.TxtAnswer | undefined
    assert.ok(answer !== undefined, 'a TXT answer')
    const data = answer.data
    const txt = (Array.isArray(data) ? data : [data]).map(String)
    assert.ok(txt.includes(`peer=${web.peerId}`) && txt.includes('version=1.2.0'), txt.join(', '))
    assert.equal((await ask(`${instanceLabel(web.peerId)}.web.development.netget`, 'A')).answers?.length, 1)
  })

  it('NXDOMAIN for a name with no instance or another network, REFUSED outside the zone, FORMERR for junk', async () => {
    assert.equal(rcode(await ask('Nobody.development.netget', 'SRV')), 'NXDOMAIN')
    assert.equal(rcode(await ask('Web.production.netget', 'SRV')), 'NXDOMAIN')
    assert.equal(rcode(await ask('example.com', 'A')), 'REFUSED')
    const junk = Buffer.from([0x12, 0x34, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0xff, 0xff])
    const formerr = await server.answer(junk)
    assert.ok(formerr !== undefined)
    assert.equal(rcode(packet.decode(formerr)), 'FORMERR')
    assert.equal(packet.decode(formerr).id, 0x1234)
    assert.equal(await server.answer(Buffer.from([1, 2, 3])), undefined, 'too short to answer')
    // The server still answers after junk over the socket.
    socket.send(Buffer.from([9, 9, 9]), port, '127.0.0.1')
    assert.equal(rcode(await ask('Web.development.netget', 'A')), 'NOERROR')
  })

  it('random datagrams never make it throw', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async bytes => {
      const reply = await server.answer(Buffer.from(bytes))
      if (reply !== undefined) packet.decode(reply)
    }), { numRuns: 300 })
  })

  it('an instance\'s endpoint: its first announced URL with a port, else its libp2p TCP address', () => {
    assert.deepEqual(endpointOf({ addresses: ['/ip4/10.0.0.1/tcp/4001/p2p/x', 'https://[::1]'] }), { host: '::1', port: 443 })
    assert.deepEqual(endpointOf({ addresses: ['/ip4/10.0.0.1/tcp/4001/p2p/x', 'not a url'] }), { host: '10.0.0.1', port: 4001 })
    assert.equal(endpointOf({ addresses: ['/ip4/10.0.0.1/udp/4001'] }), undefined)
  })
})

describe('DNS answers larger than 512 bytes: EDNS(0) over UDP, and TCP', () => {
  const net = new TestNetwork()
  let server: DnsServer
  let port = 0
  const socket = createSocket('udp4')
  const INSTANCES = 8

  before(async () => {
    const { nodes: [registry], addrs } = await net.registries(1)
    for (let i = 0; i < INSTANCES; i++) await net.service('Many', addrs, { announce: [`http://127.0.0.1:${9000 + i}`] })
    server = new DnsServer({ node: registry, port: 0 })
    port = (await server.start()).port
    await new Promise<void>(resolve => { socket.bind(0, '127.0.0.1', () => { resolve() }) })
  })

  after(async () => {
    socket.close()
    await server.stop()
    await net.stopAll()
  })

  const query = (id: number, opt: boolean): Buffer => packet.encode({
    id,
    type: 'query',
    flags: packet.RECURSION_DESIRED,
    questions: [{ name: 'Many.development.netget', type: 'SRV' }],
    ...(opt ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {})
  })

  const overUdp = async (bytes: Buffer): Promise<{ reply: packet.Packet, size: number }> => {
    const { promise, resolve, reject } = Promise.withResolvers<{ reply: packet.Packet, size: number }>()
    const timer = setTimeout(() => { reject(new Error('no UDP reply within 5 s')) }, 5000)
    socket.once('message', message => { clearTimeout(timer); resolve({ reply: packet.decode(message), size: message.byteLength }) })
    socket.send(bytes, port, '127.0.0.1')
    return promise
  }

  /** Sends length-prefixed messages on one TCP connection; resolves with the `count` replies (bounded). */
  const overTcp = async (chunks: Buffer[], count: number): Promise<packet.Packet[]> => {
    const connection = createConnection(port, '127.0.0.1')
    const replies: packet.Packet[] = []
    let buffered = Buffer.alloc(0)
    try {
      return await new Promise<packet.Packet[]>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error(`${replies.length} of ${count} TCP replies within 5 s`)) }, 5000)
        connection.on('error', reject)
        connection.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk])
          while (buffered.byteLength >= 2 && buffered.byteLength >= 2 + buffered.readUInt16BE(0)) {
            replies.push(packet.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))))
            buffered = buffered.subarray(2 + buffered.readUInt16BE(0))
          }
          if (replies.length >= count) {
            clearTimeout(timer)
            resolve(replies)
          }
        })
        for (const chunk of chunks) connection.write(chunk)
      })
    } finally {
      connection.destroy()
    }
  }

  const framed = (message: Buffer): Buffer => Buffer.concat([Buffer.from([message.byteLength >> 8, message.byteLength & 0xff]), message])

  it('without EDNS a UDP answer stops at 512 bytes and says it was cut (TC)', async () => {
    const { reply, size } = await overUdp(query(1, false))
    assert.ok(size <= 512, `${size} bytes`)
    assert.ok(((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE) !== 0, 'TC set')
    assert.ok((reply.answers?.length ?? 0) < INSTANCES)
  })

  it('a query offering a larger size with EDNS(0) gets every instance in one datagram, and an OPT record back', async () => {
    const { reply, size } = await overUdp(query(2, true))
    assert.ok(size > 512 && size <= 1232, `${size} bytes`)
    assert.equal((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE, 0)
    assert.equal(reply.answers?.length, INSTANCES)
    assert.deepEqual(reply.additionals?.filter(a => a.type === 'OPT').map(a => (a as packet.OptAnswer).udpPayloadSize), [1232])
    assert.equal(reply.additionals?.filter(a => a.type === 'A').length, INSTANCES, 'glue for every target')
  })

  it('over TCP: every instance, and several queries on one connection answered in order', async () => {
    const replies = await overTcp([framed(query(3, false)), framed(query(4, false))], 2)
    assert.deepEqual(replies.map(r => r.id), [3, 4])
    for (const reply of replies) {
      assert.equal(reply.answers?.length, INSTANCES)
      assert.equal((reply.flags ?? 0) & packet.TRUNCATED_RESPONSE, 0)
    }
  })

  it('a TCP client that sends a query in pieces is answered; one that sends junk or too much is cut off, and others are still served', async () => {
    const whole = framed(query(5, false))
    const [reply] = await overTcp([whole.subarray(0, 1), whole.subarray(1, 9), whole.subarray(9)], 1)
    assert.equal(reply.id, 5)
    // Junk after a prefix: FORMERR (its id is readable) or nothing, never a crash.
    const junk = framed(Buffer.from([0xab, 0xcd, 1, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0xff]))
    const [formerr] = await overTcp([junk], 1)
    assert.equal(formerr.id, 0xabcd)
    assert.equal(rcode(formerr), 'FORMERR')
    // 40 pipelined queries at once: the connection is closed, not queued without bound.
    const flood = createConnection(port, '127.0.0.1')
    const closed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error('a flooding connection stayed open')) }, 5000)
      flood.on('close', () => { clearTimeout(timer); resolve() })
      flood.on('error', () => {})
    })
    flood.write(Buffer.concat(Array.from({ length: 40 }, (_, i) => framed(query(100 + i, false)))))
    await closed
    assert.equal((await overTcp([framed(query(6, false))], 1))[0].answers?.length, INSTANCES)
  })
  it('a stock resolver (c-ares, the one in Node) gets every instance, and NXDOMAIN as "not found"', async () => {
    // Not our encoder nor dns-packet: an independent client, whatever it does with EDNS(0) and with a cut UDP answer
    // (c-ares retries over TCP on TC).
    const resolver = new Resolver({ timeout: 2000, tries: 2 })
    resolver.setServers([`127.0.0.1:${port}`])
    const records = await resolver.resolveSrv('Many.development.netget')
    assert.deepEqual(records.map(r => r.port).sort(), Array.from({ length: INSTANCES }, (_, i) => 9000 + i))
    assert.ok(records.every(r => r.name.endsWith('.many.development.netget')), records.map(r => r.name).join(', '))
    assert.deepEqual([...new Set(await resolver.resolve4(records[0].name))], ['127.0.0.1'])
    await assert.rejects(resolver.resolveSrv('Nobody.development.netget'), { code: 'ENOTFOUND' })
    await assert.rejects(resolver.resolveSrv('Many.production.netget'), { code: 'ENOTFOUND' })
  })
})

describe('DNS and HTTP servers on a port that is taken', () => {
  const net = new TestNetwork()
  after(async () => { await net.stopAll() })

  it('start() fails with the socket error, leaves nothing open, and can be tried again elsewhere', async () => {
    const { nodes: [registry] } = await net.registries(1)
    const first = new DnsServer({ node: registry, port: 0 })
    const { port } = await first.start()
    const second = new DnsServer({ node: registry, port })
    await assert.rejects(second.start(), /EADDRINUSE/)
    assert.ok((await second.start().catch(() => undefined)) === undefined, 'still refused on the taken port, not "already started"')
    await first.stop()
    const http = new HttpApi({ node: registry })
    const taken = await http.start()
    const clash = new HttpApi({ node: registry, port: taken.port })
    await assert.rejects(clash.start(), /EADDRINUSE/)
    await assert.rejects(clash.start(), /EADDRINUSE/)
    await http.stop()
  })
})

describe('DNS over TCP: clients that hold a connection without using it', () => {
  const net = new TestNetwork()
  let server: DnsServer
  let port = 0
  const IDLE = 400
  const INSTANCES = 16

  before(async () => {
    const { nodes: [registry], addrs } = await net.registries(1)
    // Large TXT answers (16 instances with 3 KB of metadata each): a client that reads none fills buffers fast.
    const metadata = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`field${i}`, 'x'.repeat(240)]))
    await net.services(INSTANCES, () => 'Big', addrs, { metadata })
    server = new DnsServer({ node: registry, port: 0, tcpIdleTimeout: IDLE })
    port = (await server.start()).port
  })

  after(async () => {
    await server.stop()
    await net.stopAll()
  })

  const txtQuery = (id: number): Buffer => {
    const message = packet.encode({ id, type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name: 'Big.development.netget', type: 'TXT' }] })
    return Buffer.concat([Buffer.from([message.byteLength >> 8, message.byteLength & 0xff]), message])
  }

  /** Resolves with the ms until the server closed the connection, or rejects after `bound` ms. */
  const closedWithin = async (connection: ReturnType<typeof createConnection>, bound: number): Promise<number> => {
    const started = performance.now()
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`the connection stayed open ${bound} ms`)) }, bound)
      connection.on('close', () => { clearTimeout(timer); resolve(performance.now() - started) })
      connection.on('error', () => {})
    })
  }

  it('a client that trickles bytes without ever ending a query is closed after the idle time', async () => {
    const connection = createConnection(port, '127.0.0.1')
    const query = txtQuery(1)
    let sent = 0
    // One byte every 50 ms: the socket is never quiet, but no query ever completes.
    const trickle = setInterval(() => { if (sent < query.byteLength - 1) connection.write(query.subarray(sent, ++sent)) }, 50)
    try {
      const idleBefore = server.cutOff.idle
      const ms = await closedWithin(connection, 10 * IDLE)
      assert.ok(ms >= IDLE - 50, `closed after ${ms.toFixed(0)} ms`)
      assert.equal(server.cutOff.idle, idleBefore + 1)
    } finally {
      clearInterval(trickle)
      connection.destroy()
    }
  })

  it('a client that asks and never reads is cut off once 256 KiB of answers wait for it; others are still served', async () => {
    const connection = createConnection(port, '127.0.0.1')
    // Never read: pause the socket so that the kernel's buffers fill and then the server's.
    connection.pause()
    let id = 0
    const before = { ...server.cutOff }
    // One query at a time (more than 16 waiting at once is cut off for flooding, another rule).
    const asking = setInterval(() => { connection.write(txtQuery(++id)) }, 5)
    try {
      await closedWithin(connection, 20_000)
      assert.deepEqual(server.cutOff, { ...before, unread: before.unread + 1 }, 'cut off for its unread answers, not for flooding')
      assert.ok(id * 40_000 > 256 * 1024, 'after more than 256 KiB of answers')
    } finally {
      clearInterval(asking)
      connection.destroy()
    }
    // The server still answers a well-behaved client.
    const good = createConnection(port, '127.0.0.1')
    try {
      const reply = await new Promise<packet.Packet>((resolve, reject) => {
        const timer = setTimeout(() => { reject(new Error('no answer within 5 s')) }, 5000)
        let buffered = Buffer.alloc(0)
        good.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk])
          if (buffered.byteLength >= 2 && buffered.byteLength >= 2 + buffered.readUInt16BE(0)) {
            clearTimeout(timer)
            resolve(packet.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))))
          }
        })
        good.on('error', reject)
        good.write(txtQuery(9999))
      })
      assert.equal(reply.answers?.length, INSTANCES)
    } finally {
      good.destroy()
    }
  })
})
