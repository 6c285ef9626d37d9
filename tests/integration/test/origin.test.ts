// Origin fallback on loopback: a node falls back to HTTP trustless gateways (another node's
// codio-chunk gateway, or a scripted one that lies, stalls or redirects) when the swarm does not
// deliver; peers come first; every block is verified and a lying origin is banned.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { ChunkConfig, ChunkDistributor, buildManifest, leafBlock, memoryStorage, type ContentRef, type OriginOptions, type Storage } from '@codio-chunk/core'
import { createGateway, type Gateway } from '@codio-chunk/gateway'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { equalBytes, randomContent, startNode, stopAll, storedBytes, waitFor } from './swarm-helpers.js'

const CHUNK = 64 * 1024
const nodes: ChunkDistributor[] = []
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map(async close => { await close() }))
  await stopAll(nodes)
})

/** A node with origins, listening on loopback unless `listen` is false. */
async function originNode (origins: string[], options: OriginOptions = {}, extra: { storage?: Storage, listen?: boolean } = {}): Promise<ChunkDistributor> {
  const node = await ChunkDistributor.create(ChunkConfig.from({ chunkSize: CHUNK, requestTimeout: 5000 }), {
    transports: [tcpTransport()],
    verifier: sha256Verifier(),
    storage: extra.storage === undefined ? memoryStorage() : () => extra.storage as Storage,
    listen: extra.listen === true ? ['tcp://127.0.0.1:0'] : [],
    origins,
    originOptions: { delay: 500, timeout: 3000, ...options }
  })
  nodes.push(node)
  return node
}

/** A node holding `content`, with its gateway: a codio-chunk origin. */
async function gatewayOrigin (content: Uint8Array): Promise<{ seeder: ChunkDistributor, gateway: Gateway, url: string, cid: ContentRef, requests: string[] }> {
  const seeder = await startNode({ config: { chunkSize: CHUNK } })
  nodes.push(seeder)
  const cid = await seeder.storeContent(content)
  const requests: string[] = []
  const gateway = createGateway(seeder, { onResponse: (entry) => { requests.push(entry.url) } })
  const { url } = await gateway.listen('127.0.0.1', 0)
  closers.push(async () => { await gateway.close() })
  return { seeder, gateway, url, cid, requests }
}

type Script = (req: IncomingMessage, res: ServerResponse, url: URL) => void

/** An HTTP server answering every request with `script`. */
async function scriptedOrigin (script: Script): Promise<{ url: string, hits: () => number, server: Server }> {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    script(req, res, new URL(req.url ?? '/', 'http://origin'))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  closers.push(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits: () => hits, server }
}

describe('origin fallback', () => {
  it('fetches a content whose only holder is an origin (another node\'s gateway), manifest and chunks, verified', async () => {
    const content = randomContent(10 * CHUNK + 123)
    const origin = await gatewayOrigin(content)
    const node = await originNode([origin.url])
    const chunks: number[] = []
    node.events.on('origin:chunk', ({ index, origin: url }) => { chunks.push(index); expect(url).toBe(origin.url) })
    const blocks: string[] = []
    node.events.on('origin:block', ({ block }) => { blocks.push(block.toString()) })
    const started = performance.now()
    await node.download(origin.cid, [], { signal: AbortSignal.timeout(30_000) })
    // No provider at all: the origin is asked at once, not after the delay.
    expect(performance.now() - started).toBeLessThan(5000)
    expect(equalBytes(await storedBytes(node, origin.cid), content)).toBe(true)
    expect(chunks.sort((a, b) => a - b)).toEqual([...Array(11).keys()])
    expect(blocks.length).toBeGreaterThanOrEqual(1)
    const stats = node.originStats()
    expect(stats.offload).toBe(0)
    expect(stats.originBytes).toBe(content.length)
    expect(stats.origins[0]).toMatchObject({ url: origin.url, chunks: 11, banned: null, inflight: 0 })
    expect(origin.requests.every(u => u.includes('format=raw'))).toBe(true)
  })

  it('streams from an origin when the swarm has no provider', async () => {
    const content = randomContent(6 * CHUNK)
    const origin = await gatewayOrigin(content)
    const node = await originNode([origin.url])
    const parts: Uint8Array[] = []
    for await (const part of node.streamContent(origin.cid, { start: CHUNK + 5, signal: AbortSignal.timeout(30_000) })) parts.push(part)
    expect(equalBytes(new Uint8Array(Buffer.concat(parts)), content.subarray(CHUNK + 5))).toBe(true)
  })

  it('leaves the origin alone while peers deliver', async () => {
    const content = randomContent(32 * CHUNK)
    const origin = await gatewayOrigin(content)
    const node = await originNode([origin.url], { delay: 3000 })
    await node.download(origin.cid, origin.seeder.addresses, { signal: AbortSignal.timeout(30_000) })
    expect(equalBytes(await storedBytes(node, origin.cid), content)).toBe(true)
    const stats = node.originStats()
    expect(stats.originBytes).toBe(0)
    expect(stats.offload).toBe(1)
    expect(origin.requests).toEqual([])
  })

  it('gets the chunks no peer has from the origin, and the rest from the peer', async () => {
    const content = randomContent(16 * CHUNK)
    const origin = await gatewayOrigin(content)
    // A peer holding the even chunks only.
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const partialStore = memoryStorage()()
    await partialStore.putManifest(manifest)
    for (let i = 0; i < 16; i += 2) await partialStore.putChunk(manifest.root, i, content.subarray(i * CHUNK, (i + 1) * CHUNK))
    const partial = await startNode({ storage: partialStore, config: { chunkSize: CHUNK } })
    nodes.push(partial)
    const node = await originNode([origin.url], { delay: 300 })
    const fromOrigin = new Set<number>()
    // The download's progress reports what came from origins while it runs.
    let during: { bytes: number, chunks: number, offload: number } | undefined
    node.events.on('origin:chunk', ({ index }) => {
      fromOrigin.add(index)
      during = node.downloadProgress(origin.cid)?.origin
    })
    await node.download(origin.cid, partial.addresses, { signal: AbortSignal.timeout(30_000) })
    expect(during?.chunks).toBeGreaterThanOrEqual(1)
    expect(during?.bytes).toBe(during === undefined ? -1 : during.chunks * CHUNK)
    expect(during?.offload).toBeLessThan(1)
    expect(equalBytes(await storedBytes(node, origin.cid), content)).toBe(true)
    // Every odd chunk came from the origin; the even ones (mostly) from the peer.
    for (let i = 1; i < 16; i += 2) expect(fromOrigin.has(i)).toBe(true)
    const progress = node.originStats()
    expect(progress.offload).toBeGreaterThan(0.3)
    expect(progress.offload).toBeLessThan(0.7)
  })

  it('bans an origin that sends bytes that do not match, and completes from another', async () => {
    const content = randomContent(4 * CHUNK)
    const good = await gatewayOrigin(content)
    const liar = await scriptedOrigin((_req, res) => { res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.raw' }).end(randomContent(100)) })
    const node = await originNode([liar.url, good.url], { maxRequests: 1 })
    const banned: string[] = []
    node.events.on('origin:banned', ({ origin, reason }) => { banned.push(`${origin}: ${reason}`) })
    await node.download(good.cid, [], { signal: AbortSignal.timeout(30_000) })
    expect(equalBytes(await storedBytes(node, good.cid), content)).toBe(true)
    expect(banned).toHaveLength(1)
    expect(banned[0]).toMatch(/do not match its CID/)
    const hits = liar.hits()
    await node.download(await node.storeContent(randomContent(100)), [])
    expect(liar.hits()).toBe(hits) // never asked again
    expect(node.originStats().origins.find(o => o.url === liar.url)?.banned).toMatch(/do not match/)
  })

  it.each([
    ['an HTML page with 200', (res: ServerResponse) => { res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>oops</html>') }, /HTML page/],
    ['a body longer than any block', (res: ServerResponse) => { res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.raw' }); res.end(Buffer.alloc(8 * 1024 * 1024)) }, /declared|more than/],
    ['a streamed body with no length that does not end', (res: ServerResponse) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.raw', 'Transfer-Encoding': 'chunked' })
      const more = (): void => { while (!res.destroyed && res.write(Buffer.alloc(64 * 1024))); }
      res.on('drain', more)
      more()
    }, /more than/]
  ])('bans an origin that answers %s', async (_name, answer, reason) => {
    const content = randomContent(2 * CHUNK)
    const good = await gatewayOrigin(content)
    const bad = await scriptedOrigin((_req, res) => { answer(res) })
    const node = await originNode([bad.url, good.url])
    const banned: string[] = []
    node.events.on('origin:banned', ({ reason }) => { banned.push(reason) })
    await node.download(good.cid, [], { signal: AbortSignal.timeout(30_000) })
    expect(equalBytes(await storedBytes(node, good.cid), content)).toBe(true)
    expect(banned.length).toBe(1)
    expect(banned[0]).toMatch(reason)
  })

  it('goes to another origin on HTTP errors, timeouts and redirect loops, and never bans for them', async () => {
    const content = randomContent(3 * CHUNK)
    const good = await gatewayOrigin(content)
    const missing = await scriptedOrigin((_req, res) => { res.writeHead(404).end('not here') })
    const busy = await scriptedOrigin((_req, res) => { res.writeHead(503, { 'Retry-After': '1' }).end() })
    const silent = await scriptedOrigin(() => {}) // never answers
    const loop = await scriptedOrigin((req, res) => { res.writeHead(302, { Location: req.url }).end() })
    const node = await originNode([missing.url, busy.url, silent.url, loop.url, good.url], { timeout: 1000 })
    const errors: string[] = []
    node.events.on('origin:error', ({ origin, error }) => { errors.push(`${origin} ${error.name}: ${error.message}`) })
    const banned: string[] = []
    node.events.on('origin:banned', ({ origin }) => { banned.push(origin) })
    await node.download(good.cid, [], { signal: AbortSignal.timeout(30_000) })
    expect(equalBytes(await storedBytes(node, good.cid), content)).toBe(true)
    expect(banned).toEqual([])
    expect(errors.some(e => e.startsWith(missing.url) && e.includes('404'))).toBe(true)
    expect(errors.some(e => e.startsWith(busy.url) && e.includes('503'))).toBe(true)
    expect(errors.some(e => e.startsWith(loop.url) && /redirected more than/.test(e))).toBe(true)
  })

  it('fails with a clear error when no origin has the content and there is no peer', async () => {
    const missing = await scriptedOrigin((_req, res) => { res.writeHead(404).end() })
    const node = await originNode([missing.url])
    const cid = (await buildManifest(randomContent(3 * CHUNK), { chunkSize: CHUNK })).root
    await expect(node.download(cid, [], { signal: AbortSignal.timeout(20_000) })).rejects.toThrow(/404|does not have it/)
  })

  it('hands a streaming reader its next chunk from the origin when the peer stalls', async () => {
    const content = randomContent(8 * CHUNK)
    const origin = await gatewayOrigin(content)
    // A peer that announces every chunk and sends them at 16 KiB/s: one chunk in 4 s.
    const slow = await startNode({ config: { chunkSize: CHUNK, uploadLimit: 16 * 1024 } })
    nodes.push(slow)
    await slow.storeContent(content)
    const node = await originNode([origin.url], { delay: 400 })
    const started = performance.now()
    const parts: Uint8Array[] = []
    for await (const part of node.streamContent(origin.cid, { end: 2 * CHUNK - 1, providers: slow.addresses, signal: AbortSignal.timeout(30_000) })) parts.push(part)
    expect(equalBytes(new Uint8Array(Buffer.concat(parts)), content.subarray(0, 2 * CHUNK))).toBe(true)
    expect(performance.now() - started).toBeLessThan(3500)
    expect(node.originStats().originBytes).toBeGreaterThan(0)
  })

  it('refuses bad origin URLs when the node is made', async () => {
    await expect(originNode(['ftp://example.com'])).rejects.toThrow(/http:\/\/ or https:\/\//)
    await expect(originNode(['http://user:pw@example.com'])).rejects.toThrow(/credentials/)
    await expect(originNode(['not a url'])).rejects.toThrow(/is not a URL/)
    await expect(originNode(['http://127.0.0.1:1'], { delay: -1 })).rejects.toThrow(/delay/)
  })

  it('counts the leaf block of CIDv0 content (dag-pb leaves) within its size bound', async () => {
    const content = randomContent(3 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK, cidVersion: 0 } })
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const manifest = await buildManifest(content, { chunkSize: CHUNK, cidVersion: 0 })
    expect(leafBlock(manifest, 0, content.subarray(0, CHUNK)).length).toBeGreaterThan(CHUNK)
    const gateway = createGateway(seeder)
    const { url } = await gateway.listen('127.0.0.1', 0)
    closers.push(async () => { await gateway.close() })
    const node = await originNode([url])
    await node.download(cid, [], { signal: AbortSignal.timeout(30_000) })
    expect(equalBytes(await storedBytes(node, cid), content)).toBe(true)
    await waitFor(() => node.originStats().origins[0].inflight === 0)
  })
})
