// Requests a gateway on the open internet gets: path tricks, junk queries, broken Range headers,
// oversized heads, other methods, connection floods, clients that never read or leave half-way,
// contents nobody has or that arrive too slowly. Nothing crashes, every request is answered or cut
// off within its bounds, and what a request held (its download, its fetch slot) is given back.
import { createServer, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { DEADLINE, equalBytes, get, randomContent, rawRequest, startFixture, startNode, waitFor, type Fixture } from './helpers.js'

let fixture: Fixture | undefined
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
  await fixture?.stop()
  fixture = undefined
})

const status = (response: string): number => Number(response.split(' ')[1])
const request = (target: string, headers = ''): string => `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`

/**
 * Puts a seeder capped at 1 KiB/s deep in debt: a 256 KiB chunk passes a full bucket by borrowing,
 * and the next chunk then waits about 3 minutes. Manifest blocks are not rate-limited.
 */
async function exhaustUploads (f: Fixture): Promise<void> {
  const filler = await f.seeder.storeContent(randomContent(256 * 1024))
  await f.node.download(filler, f.seeder.addresses, { signal: AbortSignal.timeout(DEADLINE) })
}

/** A TCP server that accepts connections and never says anything (a provider that hangs). */
async function silentServer (): Promise<{ address: string, close: () => void }> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as { port: number }).port
  return { address: `tcp://127.0.0.1:${port}`, close: () => { for (const s of sockets) s.destroy(); server.close() } }
}

describe('hostile requests', () => {
  it('refuses path tricks without touching anything: dot segments, double encoding, backslashes, control characters, empty segments', async () => {
    fixture = await startFixture()
    const cid = (await fixture.seeder.storeContent(randomContent(1000))).toString()
    const bad = [
      '/ipfs/../etc/passwd', '/ipfs/%2e%2e/etc/passwd', '/ipfs/%252e%252e/etc', `/ipfs/${cid}/%2F..`, `/ipfs/${cid}/..`,
      '/ipfs/..%5c..%5cwindows', '/ipfs/%00', `//ipfs/${cid}`, '/ipfs//', '/ipfs/%zz', '/ipfs/', '/ipfs/not-a-cid',
      '/ipfs/bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua' // dag-cbor: not a content id
    ]
    for (const target of bad) expect(status(await rawRequest(fixture.url, request(target))), target).toBe(400)
    expect(status(await rawRequest(fixture.url, request(`/ipfs/${cid}/sub/file.txt`)))).toBe(404)
    expect(status(await rawRequest(fixture.url, request('/etc/passwd')))).toBe(404)
    expect(status(await rawRequest(fixture.url, request('/')))).toBe(404)
    expect(status(await rawRequest(fixture.url, request('/ipns/example.com')))).toBe(501)
    expect(status(await rawRequest(fixture.url, request(`/ipfs/${cid}?${'a'.repeat(5000)}`)))).toBe(414)
    expect(status(await rawRequest(fixture.url, request('http://evil.example/ipfs/x')))).toBe(400)
  })

  it('ignores query junk, but refuses unknown or unsupported formats', async () => {
    fixture = await startFixture()
    const content = randomContent(5000)
    const cid = (await fixture.seeder.storeContent(content)).toString()
    const junk = await get(`${fixture.url}/ipfs/${cid}?a=%zz&&&===&b=${'x'.repeat(500)}&format=raw&format=car`)
    expect(junk.status).toBe(200)
    expect(junk.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    for (const format of ['', 'tar', 'dag-json', 'exe', '%00']) {
      expect((await get(`${fixture.url}/ipfs/${cid}?format=${format}`)).status, format).toBe(400)
    }
    expect((await get(`${fixture.url}/ipfs/${cid}?format=car&dag-scope=everything`)).status).toBe(400)
    expect((await get(`${fixture.url}/ipfs/${cid}?filename=${'n'.repeat(2000)}`)).status).toBe(400)
    expect(equalBytes((await get(`${fixture.url}/ipfs/${cid}`, { Accept: 'text/html,*/*;q=0.8' })).body, content)).toBe(true)
  })

  it('reads malformed, huge or absurd Range headers as RFC 9110 allows: ignored (200), clamped, or 416', async () => {
    fixture = await startFixture()
    const content = randomContent(10_000)
    const url = `${fixture.url}/ipfs/${(await fixture.seeder.storeContent(content)).toString()}`
    for (const range of ['bytes=abc', 'bytes=5-1', 'bytes=', 'bytes=-', 'pages=0-1', `bytes=${'0-1,'.repeat(500)}0-1`, `bytes=0-${'9'.repeat(2000)}`, 'bytes=1-2;3']) {
      const res = await get(url, { Range: range })
      expect(res.status, range.slice(0, 40)).toBe(200)
      expect(res.body.length).toBe(content.length)
    }
    const clamped = await get(url, { Range: 'bytes=9990-99999999999999999999999' })
    expect(clamped.status).toBe(206)
    expect(clamped.headers.get('content-range')).toBe('bytes 9990-9999/10000')
    expect((await get(url, { Range: 'bytes=99999999999999999999-' })).status).toBe(416)
  })

  it('answers an oversized head with 431 and malformed requests with 400, and keeps serving', async () => {
    fixture = await startFixture()
    const huge = await rawRequest(fixture.url, request('/ipfs/bafkqaaa', `X-Big: ${'a'.repeat(20_000)}\r\n`))
    expect(status(huge)).toBe(431)
    expect(status(await rawRequest(fixture.url, 'NOT HTTP AT ALL\r\n\r\n'))).toBe(400)
    expect(status(await rawRequest(fixture.url, 'GET /ipfs/bafkqaaa HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'))).toBe(400)
    expect((await get(`${fixture.url}/ipfs/bafkqaaa?format=raw`)).status).toBe(200)
  })

  it('answers other methods with 405 and Allow, and OPTIONS with the CORS preflight', async () => {
    fixture = await startFixture()
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get(`${fixture.url}/ipfs/bafkqaaa`, {}, method)
      expect(res.status, method).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    }
    const preflight = await get(`${fixture.url}/routing/v1/providers/bafkqaaa`, { Origin: 'https://example.com' }, 'OPTIONS')
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('keeps at most maxConnections connections: the ones beyond are closed, and service resumes when others leave', async () => {
    fixture = await startFixture({ gateway: { maxConnections: 4 } })
    const { hostname, port } = new URL(fixture.url)
    const { connect } = await import('node:net')
    const open = async (): Promise<Socket> => await new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => { resolve(socket) })
      socket.on('error', reject)
    })
    const held = await Promise.all(Array.from({ length: 4 }, open))
    cleanups.push(() => { for (const s of held) s.destroy() })
    const server = fixture.gateway.server
    await waitFor(() => (server as unknown as { _connections: number })._connections === 4, DEADLINE, 'four connections')
    const extra = await Promise.all(Array.from({ length: 6 }, open))
    await Promise.all(extra.map(async (socket) => await new Promise<void>((resolve) => {
      if (socket.destroyed) { resolve(); return }
      socket.on('close', () => { resolve() })
      socket.on('error', () => {})
    })))
    for (const s of held) s.destroy()
    await waitFor(() => (server as unknown as { _connections: number })._connections === 0, DEADLINE, 'the connections to close')
    expect((await get(`${fixture.url}/ipfs/bafkqaaa?format=raw`)).status).toBe(200)
  })

  it('disconnects a client that never reads once sendTimeout passes, and lets its download go', async () => {
    // 48 MiB at 16 MiB/s: the download is still running when the gateway gives up on the client.
    fixture = await startFixture({ chunkSize: 256 * 1024, uploadLimit: 16 * 1024 * 1024, gateway: { sendTimeout: 500 } })
    const content = randomContent(48 * 1024 * 1024)
    const cid = await fixture.seeder.storeContent(content)
    const { hostname, port } = new URL(fixture.url)
    const { connect } = await import('node:net')
    const socket = connect(Number(port), hostname)
    cleanups.push(() => { socket.destroy() })
    socket.on('error', () => {})
    socket.write(request(`/ipfs/${cid.toString()}`))
    socket.pause() // never read
    await waitFor(() => fixture?.gateway.handler.active === 1, DEADLINE, 'the request to arrive')
    // The gateway gives up on it: the request ends, and the connection is closed from its side.
    await waitFor(() => fixture?.gateway.handler.active === 0 && (fixture.gateway.server as unknown as { _connections: number })._connections === 0, DEADLINE, 'the gateway to close the connection')
    const closed = new Promise<void>((resolve) => { socket.on('close', () => { resolve() }) })
    socket.resume()
    await closed
    await waitFor(() => fixture?.node.downloadProgress(cid) === undefined, DEADLINE, 'the download to be released')
    expect((await fixture.node.storage.completed(cid))?.complete).toBe(false)
  })

  it('releases the download of a client that leaves half-way', async () => {
    fixture = await startFixture({ uploadLimit: 1024 * 1024 })
    const content = randomContent(4 * 1024 * 1024)
    const cid = await fixture.seeder.storeContent(content)
    const controller = new AbortController()
    const res = await fetch(`${fixture.url}/ipfs/${cid.toString()}`, { signal: controller.signal })
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    expect((await reader.read()).done).toBe(false)
    controller.abort()
    await waitFor(() => fixture?.gateway.handler.active === 0, DEADLINE, 'the request to end')
    await waitFor(() => fixture?.node.downloadProgress(cid) === undefined, DEADLINE, 'the download to stop')
    expect((await fixture.node.storage.completed(cid))?.complete).toBe(false)
  })

  it('answers 404 for a content no provider has, and 404 when the root block does not come within retrievalTimeout', async () => {
    fixture = await startFixture()
    const nobody = (await fixture.seeder.storeContent(randomContent(100))).toString()
    await fixture.seeder.storeContent(randomContent(10)) // the seeder is up, but:
    const other = await startFixture()
    cleanups.push(async () => { await other.stop() })
    // `other`'s seeder does not have it: its peers say so.
    const missing = await get(`${other.url}/ipfs/${nobody}`)
    expect(missing.status).toBe(404)
    // A provider that accepts connections and never answers: the deadline says 404.
    const silent = await silentServer()
    cleanups.push(silent.close)
    const hanging = await startFixture({ gateway: { providers: [silent.address], retrievalTimeout: 500 } })
    cleanups.push(async () => { await hanging.stop() })
    const started = Date.now()
    const res = await get(`${hanging.url}/ipfs/${nobody}`)
    expect(res.status).toBe(404)
    expect(new TextDecoder().decode(res.body)).toMatch(/root block/)
    expect(Date.now() - started).toBeLessThan(DEADLINE)
  })

  it('answers 504 with Retry-After when the manifest came but no bytes arrive within retrievalTimeout', async () => {
    fixture = await startFixture({ chunkSize: 256 * 1024, uploadLimit: 1024, gateway: { retrievalTimeout: 500 } })
    const cid = await fixture.seeder.storeContent(randomContent(4 * 256 * 1024))
    await exhaustUploads(fixture)
    const res = await get(`${fixture.url}/ipfs/${cid.toString()}`)
    expect(res.status).toBe(504)
    expect(res.headers.get('retry-after')).toBe('30')
    expect(new TextDecoder().decode(res.body)).toMatch(/No new bytes/)
    await waitFor(() => fixture?.node.downloadProgress(cid) === undefined, DEADLINE, 'the download to stop')
  })

  it('cuts off a response whose bytes stop coming after the first ones, so the client cannot take it for complete', async () => {
    // The first 256 KiB chunk passes the full bucket; the next one waits minutes.
    fixture = await startFixture({ chunkSize: 256 * 1024, uploadLimit: 1024, gateway: { retrievalTimeout: 500 } })
    const cid = await fixture.seeder.storeContent(randomContent(4 * 256 * 1024))
    const res = await fetch(`${fixture.url}/ipfs/${cid.toString()}`, { signal: AbortSignal.timeout(DEADLINE) })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe(String(4 * 256 * 1024))
    await expect(res.arrayBuffer()).rejects.toThrow()
    await waitFor(() => fixture?.node.downloadProgress(cid) === undefined, DEADLINE, 'the download to stop')
  })

  it('refuses a new content with 429 when maxContentFetches contents are being fetched, and serves it once a slot is free', async () => {
    fixture = await startFixture({ chunkSize: 256 * 1024, uploadLimit: 1024, gateway: { maxContentFetches: 1, retrievalTimeout: 60_000 } })
    const slow = await fixture.seeder.storeContent(randomContent(4 * 256 * 1024))
    await exhaustUploads(fixture)
    const fast = await startNode()
    cleanups.push(async () => { await fast.stop() })
    const small = await fast.storeContent(randomContent(1000))
    await fixture.node.connect(fast.addresses[0])
    const controller = new AbortController()
    const first = fetch(`${fixture.url}/ipfs/${slow.toString()}`, { signal: controller.signal }).catch(() => undefined)
    await waitFor(() => fixture?.node.downloadProgress(slow) !== undefined, DEADLINE, 'the first fetch to start')
    const refused = await get(`${fixture.url}/ipfs/${small.toString()}`)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('60')
    controller.abort()
    await first
    await waitFor(() => fixture?.gateway.handler.active === 0, DEADLINE, 'the first request to end')
    const served = await get(`${fixture.url}/ipfs/${small.toString()}`)
    expect(served.status).toBe(200)
    expect(served.body.length).toBe(1000)
  })

  it('closes cleanly with requests under way, and refuses none of the node\'s own work', async () => {
    fixture = await startFixture({ uploadLimit: 1024 * 1024 })
    const cid = await fixture.seeder.storeContent(randomContent(4 * 1024 * 1024))
    const pending = get(`${fixture.url}/ipfs/${cid.toString()}`).catch((err: Error) => err)
    await waitFor(() => fixture?.node.downloadProgress(cid) !== undefined, DEADLINE, 'the request to start')
    await fixture.gateway.close()
    expect(await pending).toBeInstanceOf(Error)
    await waitFor(() => fixture?.node.downloadProgress(cid) === undefined, DEADLINE, 'the download to stop')
  })
})
