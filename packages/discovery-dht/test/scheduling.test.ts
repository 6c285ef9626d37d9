// The pieces that keep a node bounded: the endpoint queue of a lookup, the inbound rate limiter,
// the provide concurrency limit, the drop log, option checks and the guarded socket.
import { describe, expect, it } from 'vitest'
import { createSocket } from 'node:dgram'
import { ConcurrencyLimit } from '../src/concurrency-limit.js'
import { DropLog } from '../src/drop-log.js'
import { EndpointQueue } from '../src/endpoint-queue.js'
import { GuardedSocket } from '../src/guarded-socket.js'
import { InboundLimiter } from '../src/inbound-limiter.js'
import { checkInit, DEFAULT_BOOTSTRAP, parseEndpoint } from '../src/options.js'
import { AbortError } from '@codio-chunk/interface'
import type { Logger } from '@codio-chunk/interface'

describe('EndpointQueue', () => {
  it('dedupes, bounds the total and each source, and takes sources in turn', () => {
    const queue = new EndpointQueue({ maxEndpoints: 10, maxPerSource: 3 })
    const liar = { host: '10.6.6.6', port: 1 }
    const honest = { host: '10.0.0.1', port: 1 }
    for (let port = 1; port <= 100; port++) queue.offer({ host: '10.9.9.9', port }, liar)
    expect(queue.offer({ host: '10.1.1.1', port: 1 }, honest)).toBe('queued')
    expect(queue.offer({ host: '10.1.1.1', port: 1 }, liar)).toBe('duplicate')
    expect(queue.offer({ host: '10.1.1.2', port: 1 }, null)).toBe('queued')
    expect(queue.accepted).toBe(5)
    expect(queue.refused).toBe(97)
    const order = [queue.take(), queue.take(), queue.take(), queue.take(), queue.take()].map(t => t?.endpoint.host)
    expect(order).toEqual(['10.9.9.9', '10.1.1.1', '10.1.1.2', '10.9.9.9', '10.9.9.9'])
    expect(queue.take()).toBeUndefined()
    for (let i = 0; i < 20; i++) queue.offer({ host: '10.2.2.2', port: i }, { host: '10.3.3.3', port: i })
    expect(queue.accepted).toBe(10)
    expect(queue.offer({ host: '10.4.4.4', port: 1 }, honest)).toBe('full')
  })

  it('keeps one source to its share of the resolutions while others may come', () => {
    const queue = new EndpointQueue({ maxEndpoints: 100, maxPerSource: 50, maxActivePerSource: 2, maxActive: 8 })
    const liar = { host: '10.6.6.6', port: 1 }
    for (let port = 1; port <= 50; port++) queue.offer({ host: '10.9.9.9', port }, liar)
    // Alone, it may take up to half of the slots...
    const taken = [queue.take(), queue.take(), queue.take(), queue.take()]
    expect(taken.every(t => t !== undefined)).toBe(true)
    expect(queue.take()).toBeUndefined()
    // ...and another node's endpoint goes out at once.
    queue.offer({ host: '10.1.1.1', port: 1 }, { host: '10.0.0.1', port: 1 })
    expect(queue.take()?.endpoint.host).toBe('10.1.1.1')
    queue.release(taken[0] as NonNullable<typeof taken[0]>)
    queue.release(taken[1] as NonNullable<typeof taken[1]>)
    expect(queue.take()?.endpoint.host).toBe('10.9.9.9')
  })
})

describe('InboundLimiter', () => {
  it('limits queries per source and in all, per second', () => {
    const limiter = new InboundLimiter({ perSource: 3, queries: 5 })
    const admitted = Array.from({ length: 5 }, () => limiter.admitQuery('10.0.0.1', 6881, 0))
    expect(admitted).toEqual([true, true, true, false, false])
    expect(limiter.admitQuery('10.0.0.1', 6882, 10)).toBe(true)
    expect(limiter.admitQuery('10.0.0.2', 6881, 10)).toBe(true)
    expect(limiter.admitQuery('10.0.0.3', 6881, 20)).toBe(false) // five answered this second
    expect(limiter.admitQuery('10.0.0.1', 6881, 1000)).toBe(true)
  })
})

describe('ConcurrencyLimit', () => {
  it('runs at most n tasks at once, in order, and lets a waiting task be aborted', async () => {
    const limit = new ConcurrencyLimit(2)
    let running = 0
    let peak = 0
    const order: number[] = []
    const task = (n: number) => async (): Promise<number> => {
      running++
      peak = Math.max(peak, running)
      await new Promise(resolve => setTimeout(resolve, 5))
      order.push(n)
      running--
      return n
    }
    const controller = new AbortController()
    const results = [1, 2, 3, 4].map(async n => await limit.run(task(n)))
    const aborted = limit.run(task(5), controller.signal)
    controller.abort()
    await expect(aborted).rejects.toBeInstanceOf(AbortError)
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4])
    expect(peak).toBe(2)
    expect(order).toEqual([1, 2, 3, 4])
  })
})

describe('DropLog', () => {
  it('logs the first drop, then a summary at most every 10 seconds', () => {
    const lines: string[] = []
    const log = Object.assign((formatter: string, ...args: unknown[]) => { lines.push([formatter, ...args].join('|')) }, { error: () => {}, enabled: true }) as Logger
    let now = 0
    const drops = new DropLog(log, () => now)
    drops.drop('rate')
    for (let i = 0; i < 100; i++) drops.drop(i % 2 === 0 ? 'rate' : `reason ${i}`)
    expect(lines).toEqual(['dropped %d incoming DHT packets (%s)|1|1 rate'])
    now = 10_000
    drops.drop('rate')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toMatch(/^dropped %d incoming DHT packets \(%s\)\|101\|51 rate, 35 other, 1 reason 1, /)
    expect(drops.total).toBe(102)
  })
})

describe('options', () => {
  it('fills in the defaults', () => {
    const settings = checkInit()
    expect(settings.bootstrap.map(e => `${e.host}:${e.port}`)).toEqual(DEFAULT_BOOTSTRAP)
    expect(settings).toMatchObject({ host: '0.0.0.0', port: 0, reprovideInterval: 900_000, maxProvidersPerLookup: 256, resolveConcurrency: 16, lookupTimeout: 30_000 })
  })

  it('reads host:port endpoints', () => {
    expect(parseEndpoint('127.0.0.1:6881')).toEqual({ host: '127.0.0.1', port: 6881 })
    expect(parseEndpoint('dht.libtorrent.org:25401')).toEqual({ host: 'dht.libtorrent.org', port: 25401 })
    for (const bad of ['127.0.0.1', ':6881', '127.0.0.1:0', '127.0.0.1:65536', '[::1]:6881', '300.1.1.1:1', 'a b:1', '-host:1']) expect(parseEndpoint(bad), bad).toBeUndefined()
  })
})

describe('GuardedSocket', () => {
  it('passes well-formed packets, drops the rest, survives a throwing handler and sends after close without throwing', async () => {
    const drops: string[] = []
    const inner = createSocket('udp4')
    const socket = new GuardedSocket(inner, { limiter: new InboundLimiter({ perSource: 100, queries: 100 }), onDrop: (reason) => { drops.push(reason) } })
    await new Promise<void>(resolve => { socket.bind(0, '127.0.0.1', resolve) })
    const received: number[] = []
    socket.on('message', (packet: Buffer) => {
      received.push(packet.length)
      throw new Error('handler bug')
    })
    const sender = createSocket('udp4')
    const port = socket.address().port
    const ping = Buffer.from('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe')
    await new Promise<void>(resolve => { sender.send(Buffer.from('garbage'), port, '127.0.0.1', () => { resolve() }) })
    await new Promise<void>(resolve => { sender.send(ping, port, '127.0.0.1', () => { resolve() }) })
    await new Promise(resolve => setTimeout(resolve, 100))
    expect(received).toEqual([ping.length])
    expect(drops).toEqual(['not bencode: unexpected byte 0x67 at 0', 'the DHT library failed on it (handler bug)'])
    const closed = new Promise<void>(resolve => socket.once('close', resolve))
    socket.close()
    await closed
    const error = await new Promise<Error | null>(resolve => { socket.send(ping, 0, ping.length, port, '127.0.0.1', resolve) })
    expect(error).toBeInstanceOf(Error)
    sender.close()
  })
})
