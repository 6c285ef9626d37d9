// GET/HEAD /ipfs/{cid} for files: a seeder and a gateway node over TCP on loopback, real clients
// (curl and Node's fetch), the gateway node fetching from the seeder as requests come.
import { afterEach, describe, expect, it } from 'vitest'
import { CURL, DEADLINE, curl, equalBytes, get, hasCurl, randomContent, startFixture, type Fixture } from './helpers.js'

let fixture: Fixture | undefined
afterEach(async () => {
  await fixture?.stop()
  fixture = undefined
})

const CHUNK = 64 * 1024

describe('path gateway: files', () => {
  it.skipIf(!hasCurl)(`serves a whole file byte for byte to curl (${CURL}), with the path gateway's headers`, async () => {
    fixture = await startFixture()
    const content = randomContent(10 * CHUNK + 123)
    const cid = await fixture.seeder.storeContent(content)
    const res = await curl([`${fixture.url}/ipfs/${cid.toString()}`])
    expect(res.status).toBe(200)
    expect(equalBytes(res.body, content)).toBe(true)
    expect(res.headers.get('content-length')).toBe(String(content.length))
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    expect(res.headers.get('etag')).toBe(`"${cid.toString()}"`)
    expect(res.headers.get('cache-control')).toBe('public, max-age=29030400, immutable')
    expect(res.headers.get('accept-ranges')).toBe('bytes')
    expect(res.headers.get('x-ipfs-path')).toBe(`/ipfs/${cid.toString()}`)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    // The gateway node fetched it and holds it now.
    expect((await fixture.node.storage.completed(cid))?.complete).toBe(true)
    const head = await curl(['-I', `${fixture.url}/ipfs/${cid.toString()}?filename=clip.webm`])
    expect(head.status).toBe(200)
    expect(head.body.length).toBe(0)
    expect(head.headers.get('content-type')).toBe('video/webm')
    expect(head.headers.get('content-length')).toBe(String(content.length))
    const cached = await curl(['-H', `If-None-Match: "${cid.toString()}"`, `${fixture.url}/ipfs/${cid.toString()}`])
    expect(cached.status).toBe(304)
    expect(cached.body.length).toBe(0)
    const beyond = await curl(['-r', `${content.length}-`, `${fixture.url}/ipfs/${cid.toString()}`])
    expect(beyond.status).toBe(416)
    expect(beyond.headers.get('content-range')).toBe(`bytes */${content.length}`)
  })

  it('serves a whole file to fetch, and again from the node\'s own store', async () => {
    fixture = await startFixture()
    const content = randomContent(7 * CHUNK)
    const cid = await fixture.seeder.storeContent(content)
    for (let round = 0; round < 2; round++) {
      const res = await get(`${fixture.url}/ipfs/${cid.toString()}`)
      expect(res.status).toBe(200)
      expect(equalBytes(res.body, content)).toBe(true)
    }
  })

  it('answers HEAD with the headers of a GET and no body, fetching only the manifest and the first bytes', async () => {
    fixture = await startFixture()
    const content = new Uint8Array(Buffer.concat([Buffer.from('%PDF-1.7\n'), randomContent(20 * CHUNK)]))
    const cid = await fixture.seeder.storeContent(content)
    let verified = 0
    fixture.node.events.on('chunk:verified', () => { verified++ })
    const res = await get(`${fixture.url}/ipfs/${cid.toString()}`, {}, 'HEAD')
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(0)
    expect(res.headers.get('content-length')).toBe(String(content.length))
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(res.headers.get('etag')).toBe(`"${cid.toString()}"`)
    expect(verified).toBeLessThan(20)
  })

  it('answers range requests: start-end, open-ended, suffix, in the middle (206), and unsatisfiable ones (416)', async () => {
    fixture = await startFixture()
    const content = randomContent(12 * CHUNK + 7)
    const cid = await fixture.seeder.storeContent(content)
    const url = `${fixture.url}/ipfs/${cid.toString()}`
    const size = content.length
    const cases: Array<[string, number, number]> = [
      ['bytes=0-99', 0, 99],
      ['bytes=100-', 100, size - 1],
      ['bytes=-500', size - 500, size - 1],
      [`bytes=${5 * CHUNK - 10}-${8 * CHUNK + 10}`, 5 * CHUNK - 10, 8 * CHUNK + 10],
      [`bytes=${size - 5}-${size * 10}`, size - 5, size - 1],
      ['bytes=10-19, 30-39', 10, 19] // several ranges: the first one, as Kubo answers
    ]
    for (const [range, start, end] of cases) {
      const res = await get(url, { Range: range })
      expect(res.status, range).toBe(206)
      expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${size}`)
      expect(res.headers.get('content-length'), range).toBe(String(end - start + 1))
      expect(equalBytes(res.body, content.subarray(start, end + 1)), range).toBe(true)
    }
    for (const range of [`bytes=${size}-`, `bytes=${size + 100}-${size + 200}`, 'bytes=-0']) {
      const res = await get(url, { Range: range })
      expect(res.status, range).toBe(416)
      expect(res.headers.get('content-range'), range).toBe(`bytes */${size}`)
    }
    // A Range whose If-Range names another version gets everything.
    const full = await get(url, { Range: 'bytes=0-9', 'If-Range': '"something-else"' })
    expect(full.status).toBe(200)
    expect(full.body.length).toBe(size)
  })

  it.skipIf(!hasCurl)('answers curl\'s range requests', async () => {
    fixture = await startFixture()
    const content = randomContent(6 * CHUNK)
    const cid = await fixture.seeder.storeContent(content)
    const res = await curl(['-r', '1000-70000', `${fixture.url}/ipfs/${cid.toString()}`])
    expect(res.status).toBe(206)
    expect(res.headers.get('content-range')).toBe(`bytes 1000-70000/${content.length}`)
    expect(equalBytes(res.body, content.subarray(1000, 70001))).toBe(true)
  })

  it('answers a matching If-None-Match with 304 and no body, without fetching anything', async () => {
    fixture = await startFixture()
    const cid = await fixture.seeder.storeContent(randomContent(3 * CHUNK))
    let verified = 0
    fixture.node.events.on('chunk:verified', () => { verified++ })
    for (const tag of [`"${cid.toString()}"`, `W/"${cid.toString()}"`, `"x", "${cid.toString()}"`, '*']) {
      const res = await get(`${fixture.url}/ipfs/${cid.toString()}`, { 'If-None-Match': tag })
      expect(res.status, tag).toBe(304)
      expect(res.body.length).toBe(0)
      expect(res.headers.get('etag')).toBe(`"${cid.toString()}"`)
    }
    expect(verified).toBe(0)
    expect(await fixture.node.storage.completed(cid)).toBe(undefined)
  })

  it('takes the type from ?filename= and names the file in Content-Disposition (inline, or attachment with download=true)', async () => {
    fixture = await startFixture()
    const cid = await fixture.seeder.storeContent(randomContent(2 * CHUNK))
    const url = `${fixture.url}/ipfs/${cid.toString()}`
    const video = await get(`${url}?filename=clip.mp4`)
    expect(video.headers.get('content-type')).toBe('video/mp4')
    expect(video.headers.get('content-disposition')).toBe('inline; filename="clip.mp4"')
    const download = await get(`${url}?filename=${encodeURIComponent('отчёт "1".pdf')}&download=true`)
    expect(download.headers.get('content-type')).toBe('application/pdf')
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="_____ _1_.pdf"; filename*=UTF-8''${encodeURIComponent('отчёт "1".pdf')}`)
  })

  it('sniffs common types from the first bytes', async () => {
    fixture = await startFixture()
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...randomContent(100)])
    const html = new TextEncoder().encode('<!DOCTYPE html><html><body>hi</body></html>')
    const json = new TextEncoder().encode('{"hello": ["world"]}')
    for (const [bytes, type] of [[png, 'image/png'], [html, 'text/html; charset=utf-8'], [json, 'application/json']] as const) {
      const cid = await fixture.seeder.storeContent(bytes)
      const res = await get(`${fixture.url}/ipfs/${cid.toString()}`)
      expect(res.headers.get('content-type')).toBe(type)
      expect(equalBytes(res.body, bytes)).toBe(true)
    }
  })

  it('serves an empty file and CIDv0 content', async () => {
    fixture = await startFixture()
    const empty = await fixture.seeder.storeContent(new Uint8Array(0))
    const res = await get(`${fixture.url}/ipfs/${empty.toString()}`)
    expect(res.status).toBe(200)
    expect(res.body.length).toBe(0)
    const hello = new TextEncoder().encode('hello world\n')
    const v0 = await fixture.seeder.storeContent(hello, { cidVersion: 0 })
    expect(v0.toString()).toBe('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
    const text = await get(`${fixture.url}/ipfs/${v0.toString()}`)
    expect(new TextDecoder().decode(text.body)).toBe('hello world\n')
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8')
  })

  it('streams the first bytes of a large content to the client before the gateway node has all of it', async () => {
    // The seeder sends at 2 MiB/s: the 4 MiB content takes about 2 s to reach the gateway node.
    fixture = await startFixture({ uploadLimit: 2 * 1024 * 1024 })
    const content = randomContent(64 * CHUNK)
    const cid = await fixture.seeder.storeContent(content)
    let verified = 0
    fixture.node.events.on('chunk:verified', () => { verified++ })
    const res = await fetch(`${fixture.url}/ipfs/${cid.toString()}`, { signal: AbortSignal.timeout(DEADLINE) })
    expect(res.status).toBe(200)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const parts: Uint8Array[] = []
    let verifiedAtFirstBytes = -1
    for (let next = await reader.read(); next.done !== true; next = await reader.read()) {
      if (parts.length === 0) verifiedAtFirstBytes = verified
      parts.push(next.value)
    }
    expect(verifiedAtFirstBytes).toBeGreaterThan(0)
    expect(verifiedAtFirstBytes).toBeLessThan(64)
    expect(equalBytes(new Uint8Array(Buffer.concat(parts)), content)).toBe(true)
  })
})
