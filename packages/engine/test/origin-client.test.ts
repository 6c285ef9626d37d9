// fetchRawBlock against a scripted node:http server, and OriginPool's bookkeeping with an injected
// fetch and clock: what each kind of answer means, and that nothing an origin sends is unbounded.
import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { ContentId, silentLogger, type Verifier } from '@codio-chunk/interface'
import { fetchRawBlock, OriginHttpError, OriginMisbehaviorError, OriginUnreachableError, parseOrigins, MAX_REDIRECTS, TypedEmitter, type DistributorEvents } from '../src/index.js'
import { OriginPool } from '../src/origin/origin-pool.js'
import { VerifyQueue } from '../src/download/verify-queue.js'

const sha256: Verifier = {
  name: 'sha2-256',
  code: 0x12,
  digestLength: 32,
  digest: (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()),
  async digestMany (inputs) { return inputs.map(b => new Uint8Array(createHash('sha256').update(b).digest())) }
}
const block = new Uint8Array(1000).fill(7)
const cid = CID.createV1(0x55, createDigest(0x12, new Uint8Array(createHash('sha256').update(block).digest())))

let server: Server
let base: string
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>()

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? '').split('/')[1]
    const route = routes.get(name)
    if (route === undefined) res.writeHead(404).end()
    else route(req, res)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise(resolve => server.close(resolve))
})

function route (name: string, handler: (req: IncomingMessage, res: ServerResponse) => void): string {
  routes.set(name, handler)
  return `${base}/${name}`
}

const request = (origin: string, extra: Partial<Parameters<typeof fetchRawBlock>[0]> = {}): Promise<Uint8Array> =>
  fetchRawBlock({ origin, cid, maxBytes: 2000, timeout: 2000, ...extra })

describe('fetchRawBlock', () => {
  it('asks for /ipfs/{cid}?format=raw with Accept: application/vnd.ipld.raw and returns the bytes', async () => {
    let seen: IncomingMessage | undefined
    const origin = route('ok', (req, res) => { seen = req; res.writeHead(200, { 'Content-Type': 'application/vnd.ipld.raw' }).end(block) })
    expect(await request(origin)).toEqual(block)
    expect(seen?.url).toBe(`/ok/ipfs/${cid.toString()}?format=raw`)
    expect(seen?.headers.accept).toBe('application/vnd.ipld.raw')
  })

  it('follows a few redirects, and calls more a loop', async () => {
    let hops = 0
    const target = route('target', (_req, res) => { res.writeHead(200).end(block) })
    const origin = route('hop', (_req, res) => {
      hops++
      res.writeHead(307, { Location: hops < MAX_REDIRECTS ? `${base}/hop/again` : `${target}/ipfs/${cid.toString()}?format=raw` }).end()
    })
    expect(await request(origin)).toEqual(block)
    const loop = route('loop', (req, res) => { res.writeHead(301, { Location: req.url }).end() })
    await expect(request(loop)).rejects.toThrow(OriginUnreachableError)
    await expect(request(loop)).rejects.toThrow(/redirected more than 3 times/)
    const ftp = route('ftp', (_req, res) => { res.writeHead(302, { Location: 'ftp://example.com/x' }).end() })
    await expect(request(ftp)).rejects.toThrow(/ftp: URL, which is not followed/)
  })

  it('reads HTTP errors with their Retry-After, and discards their bodies', async () => {
    const busy = route('busy', (_req, res) => { res.writeHead(503, { 'Retry-After': '7' }).end('x'.repeat(100_000)) })
    const err = await request(busy).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OriginHttpError)
    expect(err).toMatchObject({ status: 503, retryAfter: 7000 })
    const huge = route('huge-retry', (_req, res) => { res.writeHead(429, { 'Retry-After': '999999' }).end() })
    expect(await request(huge).catch((e: unknown) => e)).toMatchObject({ status: 429, retryAfter: 300_000 })
    const gone = route('gone', (_req, res) => { res.writeHead(404).end() })
    await expect(request(gone)).rejects.toThrow(/404 \(does not have it\)/)
  })

  it('refuses oversized, HTML and short answers as misbehaviour', async () => {
    const declared = route('declared', (_req, res) => { res.writeHead(200, { 'Content-Length': '5000' }).end(Buffer.alloc(5000)) })
    await expect(request(declared)).rejects.toThrow(OriginMisbehaviorError)
    const streamed = route('streamed', (_req, res) => { res.writeHead(200); res.write(Buffer.alloc(1500)); res.end(Buffer.alloc(1500)) })
    await expect(request(streamed)).rejects.toThrow(/more than 2000 bytes/)
    const html = route('html', (_req, res) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<h1>Not found</h1>') })
    await expect(request(html)).rejects.toThrow(/HTML page/)
  })

  it('times out a slow origin, and stops at once on abort', async () => {
    const slow = route('slow', (_req, res) => { res.writeHead(200); res.write(Buffer.alloc(10)) })
    const started = Date.now()
    await expect(request(slow, { timeout: 300 })).rejects.toThrow(/did not deliver .* within 300 ms/)
    expect(Date.now() - started).toBeLessThan(2000)
    const controller = new AbortController()
    const pending = request(slow, { signal: controller.signal })
    setTimeout(() => { controller.abort() }, 50)
    await expect(pending).rejects.toThrow(/abort/i)
  })

  it('treats a redirect it may not see (a browser\'s opaqueredirect) and network failures as unreachable', async () => {
    // Response.type is read-only on real responses: a stand-in has it.
    await expect(request('http://origin.example', { fetch: async () => ({ status: 0, type: 'opaqueredirect', headers: new Headers(), body: null }) as unknown as Response })).rejects.toThrow(/redirects cannot be followed/)
    await expect(request('http://origin.example', { fetch: async () => { throw new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') }) } })).rejects.toThrow(/could not be reached: fetch failed: ECONNREFUSED/)
  })
})

describe('parseOrigins', () => {
  it('normalises, deduplicates and refuses what it cannot use', () => {
    expect(parseOrigins(['http://a.example/', 'http://a.example', 'https://b.example/gw/'])).toEqual(['http://a.example', 'https://b.example/gw'])
    expect(() => parseOrigins(['http://a.example/?x=1'])).toThrow(/query or fragment/)
    expect(() => parseOrigins(['file:///etc/passwd'])).toThrow(/http:\/\/ or https:\/\//)
  })
})

describe('OriginPool', () => {
  function pool (answer: (url: string) => Response | Promise<Response>): { pool: OriginPool, events: TypedEmitter<DistributorEvents>, clock: { now: number } } {
    const clock = { now: 1000 }
    const events = new TypedEmitter<DistributorEvents>()
    const made = new OriginPool({
      urls: ['http://a.example', 'http://b.example'],
      options: { maxRequests: 1, fetch: async (url) => await answer(url) },
      verify: new VerifyQueue([sha256]),
      events,
      clock: () => clock.now,
      log: silentLogger
    })
    return { pool: made, events, clock }
  }

  it('spreads requests over origins, at most maxRequests each', () => {
    const { pool: p } = pool(() => new Response(block))
    const first = p.take('content')
    const second = p.take('content')
    expect(new Set([first?.url, second?.url])).toEqual(new Set(['http://a.example', 'http://b.example']))
    expect(p.take('content')).toBeUndefined()
    expect(p.freeSlots('content')).toBe(0)
    if (first !== undefined) p.release(first)
    expect(p.freeSlots('content')).toBe(1)
  })

  it('backs off an origin after a failure, forgets a content it lacks for a while, and bans a liar for good', async () => {
    const { pool: p, clock } = pool((url) => url.startsWith('http://a.') ? new Response('busy', { status: 503 }) : new Response('nope', { status: 404 }))
    const a = p.origins[0]
    const b = p.origins[1]
    await expect(p.request(a, cid, 'x', 2000)).rejects.toThrow(OriginHttpError)
    await expect(p.request(b, cid, 'x', 2000)).rejects.toThrow(/404/)
    expect(a.mayAsk('x', clock.now)).toBe(false) // backing off 1 s
    expect(b.mayAsk('x', clock.now)).toBe(false) // lacks x
    expect(b.mayAsk('y', clock.now)).toBe(true)
    clock.now += 1000
    expect(a.mayAsk('x', clock.now)).toBe(true)
    clock.now += 30_000
    expect(b.mayAsk('x', clock.now)).toBe(true)
    p.ban(a, 'lied')
    p.ban(a, 'lied again')
    expect(a.mayAsk('x', clock.now + 1e9)).toBe(false)
    expect(p.stats().origins[0].banned).toBe('lied')
  })

  it('fetchBlock verifies the bytes, bans an origin that sends others, and takes them from the next', async () => {
    const { pool: p, events } = pool((url) => new Response(url.startsWith('http://a.') ? new Uint8Array(1000) : block))
    const bans: string[] = []
    events.on('origin:banned', ({ origin }) => { bans.push(origin) })
    const root = ContentId.fromCid(cid)
    expect(await p.fetchBlock(root, cid, { maxBytes: 2000 })).toEqual(block)
    // a was asked first (ties go to the first listed) and lied.
    expect(bans).toEqual(['http://a.example'])
    const second = await p.fetchBlock(root, cid, { maxBytes: 2000 })
    expect(second).toEqual(block)
  })

  it('gives up on a block once no origin can supply it', async () => {
    const { pool: p } = pool(() => new Response('', { status: 404 }))
    const root = ContentId.fromCid(cid)
    await expect(p.fetchBlock(root, cid, { maxBytes: 2000 })).rejects.toThrow(/No origin can supply|No origin delivered/)
  })
})
