// Plugins get what they need from the node: transports made as `xTransport()` with no argument
// prove the node's own peer id and log through the node's logger, and a swarm of such nodes
// works over every transport, liars included.
import { afterEach, describe, expect, it } from 'vitest'
import { ChunkConfig, ChunkDistributor, InvalidConfigError, createComponents, memoryStorage, type Logger, type LoggerFactory } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { quinnTransport } from '@codio-chunk/transport-quinn'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { equalBytes, randomContent, startNode, stopAll } from './swarm-helpers.js'
import { TRANSPORTS } from './transports.js'
import { corruptingStorage } from './storage-doubles.js'

const nodes: ChunkDistributor[] = []
afterEach(async () => { await stopAll(nodes) })

const CHUNK = 32 * 1024

/** A logger factory that records `namespace: message` lines. */
function recordingLogger (lines: string[]): LoggerFactory {
  return (namespace) => {
    const write = (formatter: string, ...args: unknown[]): void => {
      let i = 0
      lines.push(`${namespace}: ${formatter.replace(/%[sdo]/g, () => String(args[i++]))}`)
    }
    return Object.assign(write, { error: write, enabled: true }) as Logger
  }
}

describe.each(TRANSPORTS)('nodes whose plugins come from their components, over %s', (name, transport) => {
  it('three honest nodes and a liar serve a fourth: the copy is byte-identical, the liar banned, every peer id the node\'s own', async () => {
    const content = randomContent(96 * CHUNK)
    const honest = await Promise.all([0, 1, 2].map(async () => await startNode({ transport, config: { chunkSize: CHUNK } })))
    const liar = await startNode({ transport, config: { chunkSize: CHUNK }, storage: corruptingStorage(memoryStorage()()) })
    const downloader = await startNode({ transport, listen: false, config: { maxBadChunks: 2 } })
    nodes.push(...honest, liar, downloader)
    const cid = await honest[0].storeContent(content)
    for (const node of [...honest.slice(1), liar]) await node.storeContent(content)

    const connected = new Map<string, string>()
    const banned: string[] = []
    downloader.events.on('peer:connect', ({ peerId, address }) => connected.set(address, peerId))
    downloader.events.on('peer:banned', ({ peerId }) => banned.push(peerId))
    const copy = await downloader.downloadContent(cid, [...liar.addresses, ...honest.flatMap(n => n.addresses)])

    expect(equalBytes(copy, content)).toBe(true)
    expect(banned).toEqual([liar.peerId])
    // Each peer the downloader met is one of the four nodes, under the id its own identity gives.
    const ids = new Set([...honest, liar].map(n => n.peerId))
    for (const peerId of connected.values()) expect(ids.has(peerId)).toBe(true)
    for (const node of [...honest, liar]) expect(node.peerId).toBe(node.identity.peerId)
  })

  it('logs transport events through the node\'s logger', async () => {
    const lines: string[] = []
    const node = await ChunkDistributor.create(ChunkConfig.default(), {
      transports: [transport.create()],
      verifier: sha256Verifier(),
      listen: [transport.listenAddress],
      logger: recordingLogger(lines)
    })
    nodes.push(node)
    expect(lines.some(line => line.startsWith(`codio-chunk:transport-${name.toLowerCase()}: listening on`))).toBe(true)
  })
})

describe('plugin factories', () => {
  it('refuses, at create, a transport that proves another peer id than the node\'s', async () => {
    const elsewhere = quinnTransport()(createComponents())
    await expect(ChunkDistributor.create(ChunkConfig.default(), {
      transports: [() => elsewhere],
      verifier: sha256Verifier()
    })).rejects.toThrow(InvalidConfigError)
  })

  it('refuses a transport or storage given as an object instead of a factory, saying what to pass', async () => {
    const made = tcpTransport()(createComponents())
    await expect(ChunkDistributor.create(ChunkConfig.default(), {
      transports: [made as never],
      verifier: sha256Verifier()
    })).rejects.toThrow(/factory the node calls with its components, e\.g\. tcpTransport\(\)/)
    await expect(ChunkDistributor.create(ChunkConfig.default(), {
      transports: [tcpTransport()],
      verifier: sha256Verifier(),
      storage: memoryStorage()() as never
    })).rejects.toThrow(InvalidConfigError)
  })
})
