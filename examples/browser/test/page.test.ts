import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { buildPage } from '../build.mjs'
import { pageUrl, serveStatic } from '../serve.mjs'
import { generateWav } from '../swarm.mjs'
import { sniffMedia } from '../src/media.js'
import { multiaddrToAddress, parseAddressList } from '../src/providers.js'

const ID = '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'

describe('the browser page', () => {
  it('reads WebSocket addresses from free text', () => {
    expect(parseAddressList(`ws://127.0.0.1:1/p2p/${ID}, tcp://1.2.3.4:5\n wss://example.com:443  ws://127.0.0.1:1/p2p/${ID}`))
      .toEqual([`ws://127.0.0.1:1/p2p/${ID}`, 'wss://example.com:443'])
  })

  it('turns libp2p WebSocket multiaddrs from a gateway into addresses', () => {
    expect(multiaddrToAddress(`/ip4/10.0.0.1/tcp/4003/ws/p2p/${ID}`)).toBe(`ws://10.0.0.1:4003/p2p/${ID}`)
    expect(multiaddrToAddress('/ip6/::1/tcp/443/tls/ws', ID)).toBe(`wss://[::1]:443/p2p/${ID}`)
    expect(multiaddrToAddress('/dns4/example.com/tcp/443/wss')).toBe('wss://example.com:443')
    expect(multiaddrToAddress('/ip4/10.0.0.1/tcp/4001')).toBeUndefined()
    expect(multiaddrToAddress('/ip4/10.0.0.1/udp/4001/quic-v1')).toBeUndefined()
  })

  it('recognises what it can play', () => {
    expect(sniffMedia(generateWav(4096).subarray(0, 16))).toEqual({ mime: 'audio/wav', element: 'audio' })
    expect(sniffMedia(Uint8Array.of(0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x69, 0x73, 0x6f, 0x6d)).element).toBe('video')
    expect(sniffMedia(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10, 0, 0, 0, 13)).mime).toBe('image/png')
    expect(sniffMedia(new Uint8Array(16))).toEqual({ mime: 'application/octet-stream', element: undefined })
  })

  it('generates a WAV file of exactly the size asked, the same every time', () => {
    const wav = generateWav(100_000)
    expect(wav.length).toBe(100_000)
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe('RIFF')
    expect(Buffer.from(generateWav(100_000)).equals(Buffer.from(wav))).toBe(true)
  })

  it('builds into one bundle without ws or Node.js code, and serves it on loopback', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'codio-page-'))
    try {
      const { bytes } = await buildPage({ outDir: dir })
      expect(bytes).toBeGreaterThan(50_000)
      const code = await readFile(join(dir, 'app.js'), 'utf8')
      expect(code).not.toMatch(/from ?"(node:|ws")/)
      const server = await serveStatic(dir)
      try {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
        const page = await fetch(pageUrl(server.url, { cid: 'bafy', peers: ['ws://127.0.0.1:1'] }))
        expect(await page.text()).toContain('<script type="module" src="app.js">')
        expect((await fetch(`${server.url}app.js`)).headers.get('content-type')).toMatch(/javascript/)
        expect((await fetch(`${server.url}..%2f..%2fpackage.json`)).status).toBe(404)
      } finally {
        await server.close()
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
