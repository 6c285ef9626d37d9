// Floods while an honest peer downloads: connections that never send a hello, hellos sent a byte
// at a time, handshaked peers that go silent, half-sent huge frames, and a storm of small
// messages. The honest download must complete within a bound, and the seeder's file descriptors
// and memory must come back to where they were. Attackers come from other loopback addresses
// (127.0.0.2 and up), as they would from other hosts.
import { readdirSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it } from 'vitest'
import { ContentId, DEFAULT_MAX_FRAME_SIZE, PROTOCOL_VERSION, PeerIdentity, computeContentId, encodeMessage, parseAddress, type ChunkDistributor, type WireMessage } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll, waitFor } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  sockets.clear()
  await stopAll(nodes)
})

const CHUNK = 64 * 1024
const MiB = 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function fdCount (): number {
  return readdirSync('/proc/self/fd').length
}

function frameBytes (message: WireMessage): Buffer {
  return Buffer.concat(encodeMessage(message))
}

/** Opens a TCP connection to `address` from `localAddress`; resolves once connected (or rejects). */
async function open (address: string, localAddress: string): Promise<Socket> {
  const { host, port } = parseAddress(address)
  const socket = connect({ host, port, localAddress })
  sockets.add(socket)
  socket.on('error', () => {})
  socket.on('data', () => {})
  socket.once('close', () => { sockets.delete(socket) })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('close', () => reject(new Error('closed before connecting')))
  })
  return socket
}

/**
 * Keeps `count` connections from `localAddress` open to `address`, opening a new one (after a
 * short pause) whenever one is closed, and doing `onOpen` on each; until `stop()`.
 */
function flood (address: string, localAddress: string, count: number, onOpen: (socket: Socket) => void = () => {}): { stop: () => void, opened: () => number } {
  let stopped = false
  let opened = 0
  const keepOne = (): void => {
    if (stopped) return
    open(address, localAddress).then((socket) => {
      opened++
      onOpen(socket)
      socket.once('close', () => { setTimeout(keepOne, 20) })
    }, () => { setTimeout(keepOne, 20) })
  }
  for (let i = 0; i < count; i++) keepOne()
  return { stop: () => { stopped = true }, opened: () => opened }
}

/** A valid hello of a fresh identity, as a peer written from PROTOCOL.md sends it. */
function hello (): Buffer {
  return frameBytes({ type: 'hello', version: PROTOCOL_VERSION, peerId: PeerIdentity.generate().peerId, maxFrameSize: DEFAULT_MAX_FRAME_SIZE, maxRequests: 16, addresses: [], agent: 'flood' })
}

async function seederWith (content: Uint8Array): Promise<{ seeder: ChunkDistributor, cid: string }> {
  const seeder = await startNode({ config: { chunkSize: CHUNK } })
  nodes.push(seeder)
  const cid = (await seeder.storeContent(content)).toString()
  return { seeder, cid }
}

/** The honest peer: a fresh node on 127.0.0.1 downloading the content; resolves with its copy and how long it took. */
async function honestDownload (seeder: ChunkDistributor, cid: string): Promise<{ bytes: Uint8Array, seconds: number }> {
  const downloader = await startNode({ listen: false, config: { dialTimeout: 5000, requestTimeout: 5000 } })
  nodes.push(downloader)
  const started = performance.now()
  const bytes = await downloader.downloadContent(cid, seeder.addresses)
  return { bytes, seconds: (performance.now() - started) / 1000 }
}

/** Waits until the seeder's process is back to `fds` descriptors (attack sockets closed on both ends). */
async function backTo (fds: number): Promise<void> {
  await waitFor(() => fdCount() <= fds + 2, 20_000, `file descriptors back to ${fds} (now ${fdCount()})`)
}

describe('an honest download during a flood', () => {
  it('completes while 2,000 connections that never send a hello keep coming, and descriptors and memory come back', async () => {
    const content = randomContent(4 * MiB)
    const { seeder, cid } = await seederWith(content)
    gc()
    const fds = fdCount()
    const heap = process.memoryUsage()
    const attack = flood(seeder.addresses[0], '127.0.0.2', 2000)
    await waitFor(() => attack.opened() >= 2000, 30_000, 'the flood to open 2,000 connections')
    const { bytes, seconds } = await honestDownload(seeder, cid)
    expect(equalBytes(bytes, content)).toBe(true)
    expect(seconds).toBeLessThan(20)
    attack.stop()
    for (const socket of sockets) socket.destroy()
    await backTo(fds + 1) // the honest downloader's connection may linger until it is stopped
    await stopAll(nodes.splice(1))
    await backTo(fds)
    gc()
    const after = process.memoryUsage()
    expect(after.arrayBuffers - heap.arrayBuffers).toBeLessThan(16 * MiB)
    expect(after.heapUsed - heap.heapUsed).toBeLessThan(32 * MiB)
  })

  it('completes while 300 hellos trickle in a byte every 500 ms from three hosts', async () => {
    const content = randomContent(2 * MiB)
    const { seeder, cid } = await seederWith(content)
    const trickles: Array<ReturnType<typeof setInterval>> = []
    const attacks = ['127.0.0.3', '127.0.0.4', '127.0.0.5'].map(host => flood(seeder.addresses[0], host, 100, (socket) => {
      const bytes = hello()
      let sent = 0
      const timer = setInterval(() => { if (sent < bytes.length && !socket.destroyed) socket.write(bytes.subarray(sent, ++sent)) }, 500)
      trickles.push(timer)
      socket.once('close', () => { clearInterval(timer) })
    }))
    try {
      await waitFor(() => attacks.every(a => a.opened() >= 60), 30_000, 'the slow hellos to start')
      const { bytes, seconds } = await honestDownload(seeder, cid)
      expect(equalBytes(bytes, content)).toBe(true)
      expect(seconds).toBeLessThan(20)
    } finally {
      for (const a of attacks) a.stop()
      for (const timer of trickles) clearInterval(timer)
    }
  })

  it('gets a place when 200 handshaked peers from four hosts hold every place and go silent', async () => {
    const content = randomContent(2 * MiB)
    const { seeder, cid } = await seederWith(content)
    const silent = await Promise.all(['127.0.0.6', '127.0.0.7', '127.0.0.8', '127.0.0.9'].flatMap(host => Array.from({ length: 50 }, async () => {
      const socket = await open(seeder.addresses[0], host)
      socket.write(hello())
      return socket
    })))
    await waitFor(() => seeder.peerStats().length >= 200, 20_000, '200 silent peers to be connected')
    // They stay silent: after a while each is an idle place a newcomer may take.
    await new Promise(resolve => setTimeout(resolve, 2500))
    const { bytes, seconds } = await honestDownload(seeder, cid)
    expect(equalBytes(bytes, content)).toBe(true)
    expect(seconds).toBeLessThan(20)
    expect(silent.filter(s => s.destroyed).length).toBeGreaterThanOrEqual(1)
  })

  it('gives no memory to 150 half-sent 4 MiB frames, handshaked or not', async () => {
    const content = randomContent(2 * MiB)
    const { seeder, cid } = await seederWith(content)
    gc()
    const before = process.memoryUsage().arrayBuffers
    const head = (type: number): Buffer => Buffer.from([0, 0x40, 0, 0, type, 0, 0, 0, 9, ...new Uint8Array(1000)])
    const attackers = await Promise.all(['127.0.0.10', '127.0.0.11', '127.0.0.12'].flatMap(host => Array.from({ length: 50 }, async (_, i) => {
      const socket = await open(seeder.addresses[0], host)
      // Half with a handshake first (then a 4 MiB data frame nobody asked for), half without.
      if (i % 2 === 0) socket.write(Buffer.concat([hello(), head(0x22)]))
      else socket.write(head(0x01))
      return socket
    })))
    await waitFor(() => attackers.every(s => s.destroyed || s.readableEnded), 20_000, 'every half-sent frame to be refused')
    gc()
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * MiB)
    const { bytes } = await honestDownload(seeder, cid)
    expect(equalBytes(bytes, content)).toBe(true)
  })

  it('completes while four peers send a storm of small messages', async () => {
    const content = randomContent(4 * MiB)
    const { seeder, cid } = await seederWith(content)
    // A content the seeder does not hold: each block request for it is answered with a reject.
    const notHeld = (await computeContentId(randomContent(1024))).cid
    const them = ContentId.parse(cid).cid
    const stormers = await Promise.all(['127.0.0.13', '127.0.0.14', '127.0.0.15', '127.0.0.16'].map(async (host) => {
      const socket = await open(seeder.addresses[0], host)
      socket.write(hello())
      return socket
    }))
    let storming = true
    const storm = async (socket: Socket): Promise<void> => {
      let id = 1
      while (storming && !socket.destroyed) {
        const burst: Buffer[] = []
        for (let i = 0; i < 200; i++) {
          burst.push(frameBytes({ type: 'interested', content: them }))
          burst.push(frameBytes({ type: 'not-interested', content: them }))
          burst.push(frameBytes({ type: 'request-block', id: id++, content: notHeld, block: notHeld }))
          burst.push(frameBytes({ type: 'cancel', id: id - 1 }))
        }
        if (!socket.write(Buffer.concat(burst))) await new Promise(resolve => socket.once('drain', resolve))
        await new Promise(resolve => setImmediate(resolve))
      }
    }
    const storms = stormers.map(storm)
    try {
      const { bytes, seconds } = await honestDownload(seeder, cid)
      expect(equalBytes(bytes, content)).toBe(true)
      expect(seconds).toBeLessThan(20)
    } finally {
      storming = false
      await Promise.allSettled(storms)
    }
  })
})
