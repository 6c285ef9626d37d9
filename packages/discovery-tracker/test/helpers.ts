import { createHash } from 'node:crypto'
import { ContentId } from '@codio-chunk/interface'
import { PeerIdentity, createComponents } from '@codio-chunk/protocol'
import { Server } from 'bittorrent-tracker'
import { afterEach, expect } from 'vitest'
import { TrackerAnnounceError, trackerDiscovery } from '../src/index.js'
import type { Discovery, Logger, LoggerFactory, ProviderRecord } from '@codio-chunk/interface'
import type { AddressInfo } from 'node:net'
import type { TrackerDiscoveryInit } from '../src/index.js'

/**
 * `start`, with every server it starts closed after each test (call it at a suite's top level).
 *
 * @example
 * ```ts
 * const tracker = closedAfterEach(startHttpTracker)
 * const { announce } = await tracker((_req, res) => res.end('de'))
 * ```
 */
export function closedAfterEach<A extends unknown[], T extends { close: () => Promise<void> }> (start: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  const started: T[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map(async server => { await server.close() }))
  })
  return async (...args) => {
    const server = await start(...args)
    started.push(server)
    return server
  }
}

/** Every wait in these tests ends within this. */
export const WAIT = 10_000

/** `promise`, or a rejection after `ms`. */
export async function within<T> (promise: Promise<T>, what: string, ms = WAIT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

/** A fresh content id (CIDv1, raw, sha2-256 of `seed`), so tests never share a swarm. */
export function contentId (seed: string): ContentId {
  const digest = createHash('sha256').update(seed).digest()
  return ContentId.fromBytes(Uint8Array.of(0x01, 0x55, 0x12, 0x20, ...digest))
}

/** The CIDv0 (`Qm…`) and CIDv1 (`bafy…`, dag-pb) forms of one content. */
export function bothVersions (seed: string): { v0: ContentId, v1: ContentId } {
  const digest = createHash('sha256').update(seed).digest()
  return {
    v0: ContentId.fromBytes(Uint8Array.of(0x12, 0x20, ...digest)),
    v1: ContentId.fromBytes(Uint8Array.of(0x01, 0x70, 0x12, 0x20, ...digest))
  }
}

/** A logger factory that keeps every line, with its namespace. */
export function recordingLogger (): { factory: LoggerFactory, lines: string[] } {
  const lines: string[] = []
  const factory: LoggerFactory = (namespace) => {
    const write = (formatter: string, ...args: unknown[]): void => {
      let i = 0
      lines.push(`${namespace} ${formatter.replace(/%[sdoOj]/g, () => String(args[i++]))}`)
    }
    return Object.assign(write, { error: write, enabled: true }) as Logger
  }
  return { factory, lines }
}

/** A discovery of a node of its own, listening (as far as the tracker knows) on `listen`. */
export function makeDiscovery (init: TrackerDiscoveryInit, listen: string[] = [], logger?: LoggerFactory): Discovery {
  return trackerDiscovery(init)(createComponents({ identity: PeerIdentity.generate(), addresses: () => listen, logger }))
}

/**
 * Announces `cid` to the one tracker at `announce` from a node listening on a TCP port, expects
 * provide() to reject with a TrackerAnnounceError, and returns the tracker's error in it.
 */
export async function provideFailure (announce: string, cid: ContentId, timeout = 5000): Promise<Error> {
  const discovery = makeDiscovery({ announce: [announce], timeout }, ['tcp://127.0.0.1:44001'])
  const err = await within(discovery.provide(cid).then(() => undefined, (e: unknown) => e), 'provide to fail')
  await discovery.stop()
  expect(err).toBeInstanceOf(TrackerAnnounceError)
  expect((err as TrackerAnnounceError).errors).toHaveLength(1)
  return (err as TrackerAnnounceError).errors[0]
}

/** Every provider a lookup yields, bounded in time. */
export async function lookup (discovery: Discovery, cid: ContentId, timeout = WAIT): Promise<ProviderRecord[]> {
  const found: ProviderRecord[] = []
  await within((async () => {
    for await (const record of discovery.findProviders(cid, { signal: AbortSignal.timeout(timeout) })) found.push(record)
  })(), 'a lookup', timeout + 2000)
  return found
}

/** The addresses of every record, sorted. */
export function addressesOf (records: ProviderRecord[]): string[] {
  return records.flatMap(r => r.addresses).sort()
}

/** A real bittorrent-tracker Server (HTTP and UDP) on loopback, port 0; HTTP on `httpHost`. */
export async function startTracker (interval?: number, httpHost = '127.0.0.1'): Promise<{ server: Server, http: string, udp: string, close: () => Promise<void> }> {
  const server = new Server({ interval, http: true, udp: true, ws: false, stats: false })
  server.on('warning', () => {})
  await within(new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ http: 0, udp: 0 }, { http: httpHost, udp: '127.0.0.1', udp6: '::1' }, () => resolve())
  }), 'the tracker to listen')
  const httpPort = (server.http?.address() as AddressInfo).port
  const udpPort = (server.udp4?.address() as AddressInfo).port
  return {
    server,
    http: `http://${httpHost.includes(':') ? `[${httpHost}]` : httpHost}:${httpPort}/announce`,
    udp: `udp://127.0.0.1:${udpPort}`,
    close: async () => { await within(new Promise<void>((resolve) => server.close(() => resolve())), 'the tracker to close') }
  }
}

/** Bencodes a test answer (numbers, strings, byte strings, lists, objects with sorted keys). */
export function bencode (value: unknown): Buffer {
  if (typeof value === 'number') return Buffer.from(`i${value}e`)
  if (typeof value === 'string') return bencode(Buffer.from(value))
  if (value instanceof Uint8Array) return Buffer.concat([Buffer.from(`${value.length}:`), value])
  if (Array.isArray(value)) return Buffer.concat([Buffer.from('l'), ...value.map(bencode), Buffer.from('e')])
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a < b ? -1 : 1)
  return Buffer.concat([Buffer.from('d'), ...entries.flatMap(([k, v]) => [bencode(k), bencode(v)]), Buffer.from('e')])
}

/** Compact IPv4 peers (BEP 23). */
export function compact (peers: Array<[string, number]>): Buffer {
  return Buffer.concat(peers.map(([ip, port]) => Buffer.from([...ip.split('.').map(Number), port >> 8, port & 255])))
}

/** `count` distinct compact peers in 10.0.0.0/8. */
export function manyPeers (count: number): Array<[string, number]> {
  return Array.from({ length: count }, (_v, i) => [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 6881])
}
