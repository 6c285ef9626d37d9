// Headless Chromium plays a video through @codio-chunk/gateway from a node that did not hold it:
// the clip (VP8 frames the page encodes with WebCodecs from a seeded pattern, muxed into WebM with
// webm-muxer here) is stored on a seeder only; the gateway node, told the seeder's address and
// nothing else, fetches it from that remote peer over TCP as the browser asks. The page's <video>
// reaches HAVE_METADATA with the clip's duration and size and then decodes frames (the gateway
// saw its Range requests and answered them 206), and the page's fetch() with Range headers (a
// prefix, a span across chunk boundaries, a suffix) gets the stored bytes exactly. Loopback only,
// ports chosen by the system, every wait bounded.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChunkConfig, ChunkDistributor, memoryStorage, type ContentId } from '@codio-chunk/core'
import { createGateway, type Gateway, type GatewayResponseEntry } from '@codio-chunk/gateway'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { ArrayBufferTarget, Muxer } from 'webm-muxer'
import type { Browser, Page } from 'playwright-core'
import { SKIPPED, hasChromium, launchChromium } from './chromium.js'

const WIDTH = 320
const HEIGHT = 240
const FPS = 25
const FRAMES = 75
/** Small chunks, so the clip spans many of them and a range starts and ends inside them. */
const CHUNK_SIZE = 16 * 1024

interface EncodedFrame { data: string, key: boolean, timestamp: number, duration: number }

/** Encodes FRAMES frames of a seeded moving pattern as VP8 in the page (WebCodecs); base64 frames. */
async function encodeInPage (page: Page): Promise<EncodedFrame[]> {
  return await page.evaluate(async ({ width, height, fps, frames }) => {
    const canvas = new OffscreenCanvas(width, height)
    const g = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D
    let seed = 0x9e3779b9
    const random = (): number => { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; return seed / 2 ** 32 }
    const out: Array<{ data: string, key: boolean, timestamp: number, duration: number }> = []
    let failure: unknown
    const encoder = new VideoEncoder({
      output: (chunk) => {
        const bytes = new Uint8Array(chunk.byteLength)
        chunk.copyTo(bytes)
        let text = ''
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
        out.push({ data: btoa(text), key: chunk.type === 'key', timestamp: chunk.timestamp, duration: chunk.duration ?? 1e6 / fps })
      },
      error: (err) => { failure = err }
    })
    encoder.configure({ codec: 'vp8', width, height, framerate: fps, bitrate: 4_000_000 })
    for (let f = 0; f < frames; f++) {
      // Blocks of seeded colours that move every frame: costly enough to encode that the clip spans many chunks.
      for (let y = 0; y < height; y += 16) {
        for (let x = 0; x < width; x += 16) {
          g.fillStyle = `rgb(${Math.floor(random() * 256)},${(x + f * 7) % 256},${(y + f * 3) % 256})`
          g.fillRect(x, y, 16, 16)
        }
      }
      const frame = new VideoFrame(canvas, { timestamp: Math.round(f * 1e6 / fps), duration: Math.round(1e6 / fps) })
      encoder.encode(frame, { keyFrame: f % fps === 0 })
      frame.close()
    }
    await encoder.flush()
    encoder.close()
    if (failure !== undefined) throw new Error(`VideoEncoder failed: ${String(failure)}`)
    return out
  }, { width: WIDTH, height: HEIGHT, fps: FPS, frames: FRAMES })
}

/** A WebM file (Duration in its Info, Cues at the end) of the encoded frames. */
function muxWebm (frames: EncodedFrame[]): Uint8Array {
  const muxer = new Muxer({ target: new ArrayBufferTarget(), video: { codec: 'V_VP8', width: WIDTH, height: HEIGHT, frameRate: FPS } })
  for (const frame of frames) muxer.addVideoChunkRaw(Buffer.from(frame.data, 'base64'), frame.key ? 'key' : 'delta', frame.timestamp, { decoderConfig: { codec: 'vp8' } })
  muxer.finalize()
  return new Uint8Array(muxer.target.buffer)
}

/** Resolves once `done()` holds, checking every 20 ms; rejects after `ms`. */
async function until (done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${ms / 1000} s`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

async function startNode (listen: boolean): Promise<ChunkDistributor> {
  return await ChunkDistributor.create(ChunkConfig.from({ chunkSize: CHUNK_SIZE }), {
    transports: [tcpTransport()],
    verifier: sha256Verifier(),
    storage: memoryStorage(),
    listen: listen ? ['tcp://127.0.0.1:0'] : []
  })
}

/** The page's origin: an empty HTML page on loopback (a secure context, as WebCodecs needs). */
async function servePage (): Promise<{ server: Server, url: string }> {
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>gateway video</title><body></body>') })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` }
}

describe.runIf(hasChromium)('a video from the swarm through the gateway, in Chromium', () => {
  let browser: Browser
  let page: Page
  let origin: { server: Server, url: string }
  let seeder: ChunkDistributor
  let node: ChunkDistributor
  let gateway: Gateway
  let gatewayUrl: string
  let clip: Uint8Array
  let cid: ContentId
  const responses: GatewayResponseEntry[] = []
  const served: number[] = []

  beforeAll(async () => {
    [browser, origin, seeder, node] = await Promise.all([launchChromium(), servePage(), startNode(true), startNode(false)])
    page = await browser.newPage()
    page.setDefaultTimeout(30_000)
    await page.goto(origin.url)
    clip = muxWebm(await encodeInPage(page))
    cid = await seeder.storeContent(clip)
    seeder.events.on('chunk:served', (event) => { served.push(event.index) })
    gateway = createGateway(node, { providers: seeder.addresses, retrievalTimeout: 20_000, onResponse: (entry) => { responses.push(entry) } })
    gatewayUrl = (await gateway.listen('127.0.0.1', 0)).url
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await gateway?.close()
    await Promise.allSettled([node?.stop(), seeder?.stop()])
    await new Promise<void>((resolve) => { if (origin === undefined) resolve(); else origin.server.close(() => resolve()) })
  })

  it('plays the clip with <video> and answers fetch() Range requests byte for byte, from content only a remote peer held', async () => {
    expect(clip.length).toBeGreaterThan(4 * CHUNK_SIZE)
    // The gateway's node starts without the clip: it has neither the manifest nor a chunk.
    expect(await node.storage.getManifest(cid)).toBeUndefined()
    const errors: string[] = []
    page.on('pageerror', (err) => errors.push(err.message))
    // Requests for the clip the browser itself gave up on (a media element may drop one, e.g. when it seeks).
    const dropped: string[] = []
    page.on('requestfailed', (request) => { if (request.url().includes('filename=clip.webm')) dropped.push(request.failure()?.errorText ?? 'unknown') })
    const src = `${gatewayUrl}/ipfs/${cid.toString()}?filename=clip.webm`

    const video = await page.evaluate(async (url) => {
      const element = document.createElement('video')
      element.muted = true
      element.preload = 'auto'
      document.body.append(element)
      const ready = new Promise<void>((resolve, reject) => {
        element.addEventListener('loadedmetadata', () => resolve(), { once: true })
        element.addEventListener('error', () => reject(new Error(`media error ${element.error?.code ?? '?'}: ${element.error?.message ?? ''}`)), { once: true })
        setTimeout(() => reject(new Error(`no metadata within 25 s (readyState ${element.readyState}, networkState ${element.networkState})`)), 25_000)
      })
      element.src = url
      await ready
      const metadata = { readyState: element.readyState, duration: element.duration, width: element.videoWidth, height: element.videoHeight }
      // Then the frames decode: seek to the middle and wait until the frame there is shown.
      const seeked = new Promise<void>((resolve, reject) => {
        element.addEventListener('seeked', () => resolve(), { once: true })
        setTimeout(() => reject(new Error(`no seek within 25 s (readyState ${element.readyState})`)), 25_000)
      })
      element.currentTime = element.duration / 2
      await seeked
      return { ...metadata, afterSeek: element.readyState, currentTime: element.currentTime, decoded: element.getVideoPlaybackQuality().totalVideoFrames }
    }, src)

    expect(video.readyState).toBeGreaterThanOrEqual(1) // HAVE_METADATA
    expect(video.duration).toBeCloseTo(FRAMES / FPS, 1)
    expect([video.width, video.height]).toEqual([WIDTH, HEIGHT])
    expect(video.afterSeek).toBeGreaterThanOrEqual(2) // HAVE_CURRENT_DATA: the frame at the seek point decoded
    expect(video.currentTime).toBeCloseTo(FRAMES / FPS / 2, 1)

    // The media element's requests reached the gateway as Range requests and were answered 206
    // (onResponse reports a request when its response has ended, so one still open is waited for).
    const isVideoRange = (r: GatewayResponseEntry): boolean => r.url.includes('filename=clip.webm') && r.range !== undefined && r.status === 206
    await until(() => responses.some(isVideoRange), 10_000, 'a Range request of the <video> answered')
    const videoRequests = responses.filter(r => r.method === 'GET' && r.url.includes('filename=clip.webm'))
    expect(videoRequests.length).toBeGreaterThanOrEqual(1)
    expect(videoRequests.filter(isVideoRange).length).toBeGreaterThanOrEqual(1)
    // Every answer was 206 or 200. A request with status 0 got no answer because the client left
    // before the answer started: the browser must say it dropped that many (net::ERR_ABORTED).
    expect(videoRequests.filter(r => r.status !== 0 && r.status !== 206 && r.status !== 200)).toEqual([])
    const unanswered = videoRequests.filter(r => r.status === 0)
    if (unanswered.length > 0) {
      await until(() => dropped.length >= unanswered.length, 5000, `the browser to report ${unanswered.length} dropped request(s) (${JSON.stringify(unanswered)})`)
      expect(dropped.every(text => text === 'net::ERR_ABORTED')).toBe(true)
    }

    // fetch() with Range from the page: a prefix, a span crossing chunk boundaries, a suffix.
    const size = clip.length
    const ranges: Array<{ header: string, start: number, end: number }> = [
      { header: 'bytes=0-99', start: 0, end: 100 },
      { header: `bytes=${CHUNK_SIZE - 10}-${3 * CHUNK_SIZE + 9}`, start: CHUNK_SIZE - 10, end: 3 * CHUNK_SIZE + 10 },
      { header: 'bytes=-1000', start: size - 1000, end: size }
    ]
    const fetched = await page.evaluate(async ({ url, headers }) => {
      const out: Array<{ status: number, contentRange: string | null, data: string }> = []
      for (const header of headers) {
        const res = await fetch(url, { headers: { Range: header }, signal: AbortSignal.timeout(20_000) })
        const bytes = new Uint8Array(await res.arrayBuffer())
        let text = ''
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
        out.push({ status: res.status, contentRange: res.headers.get('content-range'), data: btoa(text) })
      }
      return out
    }, { url: `${gatewayUrl}/ipfs/${cid.toString()}`, headers: ranges.map(r => r.header) })
    for (const [i, { start, end }] of ranges.entries()) {
      expect(fetched[i].status).toBe(206)
      expect(fetched[i].contentRange).toBe(`bytes ${start}-${end - 1}/${size}`)
      expect(Buffer.compare(Buffer.from(fetched[i].data, 'base64'), Buffer.from(clip.subarray(start, end)))).toBe(0)
    }
    await until(() => responses.filter(r => r.range !== undefined && r.status === 206).length >= 1 + ranges.length, 10_000, 'the fetch() Range requests reported')

    // Every byte came from the remote peer: the seeder served chunks, and the node now holds them.
    expect(served.length).toBeGreaterThan(0)
    expect(await node.storage.getManifest(cid)).toBeDefined()
    expect(errors).toEqual([])
  }, 90_000)
})

if (!hasChromium) {
  describe('a video from the swarm through the gateway, in Chromium', () => {
    it.skip(SKIPPED, () => {})
  })
}
