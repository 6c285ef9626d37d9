// The gateway's pure parts: Range parsing, content-type sniffing, request targets, format
// negotiation, headers, entity-bytes, multiaddrs, options, fetch slots, the retrieval timer.
import { describe, expect, it, vi } from 'vitest'
import { InvalidConfigError, NoProvidersError } from '@codio-chunk/interface'
import {
  BadRequestError, ContentNotFoundError, NotAcceptableError, NotImplementedError, RetrievalTimeoutError, TooManyFetchesError, UriTooLongError,
  entityRange, negotiate, parseRange, parseTarget, resolveGatewayOptions, sniffContentType, toHttpError, toMultiaddr, typeFromFilename
} from '../src/index.js'
import { contentDisposition } from '../src/headers.js'
import { FetchSlots } from '../src/fetch-slots.js'
import { RetrievalTimer } from '../src/retrieval-timer.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('parseRange', () => {
  it('reads single ranges, clamps ends, and answers several ranges with the first that overlaps', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ kind: 'partial', start: 0, end: 99 })
    expect(parseRange('bytes=900-', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 })
    expect(parseRange('bytes=-100', 1000)).toEqual({ kind: 'partial', start: 900, end: 999 })
    expect(parseRange('bytes=-5000', 1000)).toEqual({ kind: 'partial', start: 0, end: 999 })
    expect(parseRange('bytes=990-5000', 1000)).toEqual({ kind: 'partial', start: 990, end: 999 })
    expect(parseRange('BYTES = 1-2', 1000)).toEqual({ kind: 'partial', start: 1, end: 2 })
    expect(parseRange('bytes=2000-3000, 5-6', 1000)).toEqual({ kind: 'partial', start: 5, end: 6 })
  })

  it('says unsatisfiable when nothing overlaps, and ignores what it cannot read', () => {
    expect(parseRange('bytes=1000-', 1000)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=-0', 1000)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=0-0', 0)).toEqual({ kind: 'unsatisfiable' })
    expect(parseRange('bytes=99999999999999999999-', 1000)).toEqual({ kind: 'unsatisfiable' })
    for (const header of [undefined, '', 'bytes=', 'bytes=a-b', 'bytes=5-1', 'items=0-1', 'bytes=0-1,x', 'bytes=1-2-3', `bytes=${'1-2,'.repeat(100)}`, 'x'.repeat(2000)]) {
      expect(parseRange(header, 1000), String(header).slice(0, 30)).toEqual({ kind: 'none' })
    }
  })
})

describe('sniffContentType', () => {
  it('recognises media, images, documents and archives by their magic bytes', () => {
    const cases: Array<[number[] | string, string]> = [
      [[0, 0, 0, 0x20, ...text('ftypisom')], 'video/mp4'],
      [[0, 0, 0, 0x20, ...text('ftypM4A ')], 'audio/mp4'],
      [[0x1a, 0x45, 0xdf, 0xa3, 0x93, 0x42, 0x82, 0x88, ...text('webm')], 'video/webm'],
      [[...text('OggS'), 0, 2], 'application/ogg'],
      [[...text('ID3'), 4, 0], 'audio/mpeg'],
      [[0xff, 0xfb, 0x90, 0x00], 'audio/mpeg'],
      [[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'image/png'],
      [[0xff, 0xd8, 0xff, 0xe0], 'image/jpeg'],
      ['GIF89a', 'image/gif'],
      [[...text('RIFF'), 0, 0, 0, 0, ...text('WEBPVP8 ')], 'image/webp'],
      [[...text('RIFF'), 0, 0, 0, 0, ...text('WAVEfmt ')], 'audio/wav'],
      ['%PDF-1.4', 'application/pdf'],
      [[0x50, 0x4b, 0x03, 0x04], 'application/zip'],
      ['  <!DOCTYPE html><html>', 'text/html; charset=utf-8'],
      ['<html>', 'text/html; charset=utf-8'],
      ['<svg xmlns="http://www.w3.org/2000/svg">', 'image/svg+xml'],
      ['{"a": [1, 2]}', 'application/json'],
      ['[1, 2, 3]', 'application/json'],
      ['[not json', 'text/plain; charset=utf-8'],
      ['hello world\n', 'text/plain; charset=utf-8'],
      ['héllo wörld', 'text/plain; charset=utf-8'],
      ['', 'text/plain; charset=utf-8'],
      [[0, 1, 2, 3, 4], 'application/octet-stream'],
      [[0xc3, 0x28], 'application/octet-stream']
    ]
    for (const [input, type] of cases) {
      const bytes = typeof input === 'string' ? text(input) : new Uint8Array(input)
      expect(sniffContentType(bytes), typeof input === 'string' ? input : input.slice(0, 8).join(',')).toBe(type)
    }
  })

  it('reads a long JSON or text start without needing the whole content, and a cut UTF-8 sequence at the end of the sample', () => {
    const long = text(`{"items": [${'1,'.repeat(400)}1]}`)
    expect(sniffContentType(long)).toBe('application/json')
    const cut = new Uint8Array(600).fill(0x61)
    cut[511] = 0xd0 // first byte of a two-byte sequence, its second byte past the sample
    cut[512] = 0xb9
    expect(sniffContentType(cut)).toBe('text/plain; charset=utf-8')
  })

  it('maps file name extensions', () => {
    expect(typeFromFilename('a.MP4')).toBe('video/mp4')
    expect(typeFromFilename('a.tar.gz')).toBe('application/gzip')
    expect(typeFromFilename('noext')).toBe(undefined)
    expect(typeFromFilename('trailing.')).toBe(undefined)
    expect(typeFromFilename('x.unknownext')).toBe(undefined)
  })
})

describe('parseTarget', () => {
  it('routes /ipfs/{cid} (with a trailing slash too) and /routing/v1/providers/{cid}', () => {
    const { route, query } = parseTarget('/ipfs/bafkqaaa/?format=raw&x=1')
    expect(route.kind).toBe('ipfs')
    expect(route.cid.toString()).toBe('bafkqaaa')
    expect(query.get('format')).toBe('raw')
    expect(parseTarget('/ipfs/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o').route.kind).toBe('ipfs')
    expect(parseTarget('/routing/v1/providers/bafkqaaa').route.kind).toBe('providers')
  })

  it('refuses what could escape or confuse a path, with the right error', () => {
    for (const target of ['/ipfs/..', '/ipfs/%2e%2e', '/ipfs/%252e', '/ipfs/a%2fb', '/ipfs/a%5cb', '/ipfs/%00', '//ipfs/x', '/ipfs/%E0%A4%A', 'ipfs/x', '/ipfs/x']) {
      expect(() => parseTarget(target), target).toThrow(BadRequestError)
    }
    expect(() => parseTarget(`/ipfs/${'a'.repeat(5000)}`)).toThrow(UriTooLongError)
    expect(() => parseTarget('/ipns/name')).toThrow(NotImplementedError)
    expect(() => parseTarget('/ipfs/bafkqaaa/file')).toThrow(ContentNotFoundError)
    expect(() => parseTarget('/favicon.ico')).toThrow(ContentNotFoundError)
  })
})

describe('negotiate', () => {
  it('prefers the format parameter, then the best of raw and CAR in Accept, else the file', () => {
    expect(negotiate(new URLSearchParams('format=raw'), 'application/vnd.ipld.car').format.kind).toBe('raw')
    expect(negotiate(new URLSearchParams(), 'application/vnd.ipld.raw').fromAccept).toBe(true)
    expect(negotiate(new URLSearchParams(), 'application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car').format.kind).toBe('car')
    expect(negotiate(new URLSearchParams(), 'text/html, */*').format.kind).toBe('file')
    expect(negotiate(new URLSearchParams(), undefined).format.kind).toBe('file')
  })

  it('reads CAR parameters from the query and Accept, and refuses variants it cannot write', () => {
    const car = negotiate(new URLSearchParams('format=car&car-dups=y&dag-scope=entity&entity-bytes=0:9'), undefined).format
    expect(car).toEqual({ kind: 'car', car: { dups: 'y', scope: 'entity', entityBytes: '0:9' } })
    expect(negotiate(new URLSearchParams(), 'application/vnd.ipld.car; version=1; order=unk; dups=y').format).toEqual({ kind: 'car', car: { dups: 'y', scope: 'all', entityBytes: undefined } })
    expect(negotiate(new URLSearchParams('entity-bytes=1:*&format=car'), undefined).format).toMatchObject({ car: { scope: 'entity' } })
    expect(() => negotiate(new URLSearchParams('format=car&car-version=2'), undefined)).toThrow(BadRequestError)
    expect(() => negotiate(new URLSearchParams('format=car&car-order=bfs'), undefined)).toThrow(BadRequestError)
    expect(() => negotiate(new URLSearchParams(), 'application/vnd.ipld.car; version=2')).toThrow(NotAcceptableError)
    expect(negotiate(new URLSearchParams(), 'application/vnd.ipld.car; version=2, */*;q=0.1').format.kind).toBe('file')
    expect(() => negotiate(new URLSearchParams('format=tar'), undefined)).toThrow(BadRequestError)
  })
})

describe('headers', () => {
  it('writes Content-Disposition with an ASCII name and, for other characters, a UTF-8 one', () => {
    expect(contentDisposition('a.txt', false)).toBe('inline; filename="a.txt"')
    expect(contentDisposition('testтест.pdf', true)).toBe('attachment; filename="test____.pdf"; filename*=UTF-8\'\'test%D1%82%D0%B5%D1%81%D1%82.pdf')
    expect(contentDisposition('a"b\\c\r\n.txt', false)).toBe('inline; filename="a_b_c__.txt"; filename*=UTF-8\'\'a%22b%5Cc%0D%0A.txt')
    expect(() => contentDisposition('x'.repeat(2000), false)).toThrow(BadRequestError)
  })
})

describe('entityRange', () => {
  it('resolves from:to against the size: negative offsets from the end, * for the end', () => {
    expect(entityRange('0:*', 1000)).toEqual({ start: 0, end: 999 })
    expect(entityRange('-100:*', 1000)).toEqual({ start: 900, end: 999 })
    expect(entityRange('-5000:*', 1000)).toEqual({ start: 0, end: 999 })
    expect(entityRange('499:-500', 1000)).toEqual({ start: 499, end: 500 })
    expect(entityRange('10:5000', 1000)).toEqual({ start: 10, end: 999 })
    expect(entityRange('10:5', 1000)).toBe(undefined)
    expect(entityRange('0:*', 0)).toBe(undefined)
    expect(() => entityRange('1000:*', 1000)).toThrow(BadRequestError)
    for (const bad of ['', '1', '1:', ':1', 'a:b', '1:2:3', '1.5:2', `${'9'.repeat(20)}:*`]) expect(() => entityRange(bad, 1000), bad).toThrow(BadRequestError)
  })
})

describe('toMultiaddr', () => {
  it('turns codio-chunk addresses into multiaddrs', () => {
    expect(toMultiaddr('tcp://127.0.0.1:4001')).toBe('/ip4/127.0.0.1/tcp/4001')
    expect(toMultiaddr('tcp://[::1]:4001')).toBe('/ip6/::1/tcp/4001')
    expect(toMultiaddr('tcp://example.com:4001')).toBe('/dns/example.com/tcp/4001')
    expect(toMultiaddr('quinn://10.0.0.1:4002/p2p/12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV')).toBe('/ip4/10.0.0.1/udp/4002/quic-v1')
    expect(toMultiaddr('ws://10.0.0.1:80')).toBe(undefined)
    expect(toMultiaddr('nonsense')).toBe(undefined)
  })
})

describe('options and bounds', () => {
  it('fills in defaults and refuses bad or unknown options', () => {
    expect(resolveGatewayOptions().retrievalTimeout).toBe(30_000)
    expect(resolveGatewayOptions({ maxConnections: 10 }).maxConnections).toBe(10)
    expect(() => resolveGatewayOptions({ sendTimeout: 0 })).toThrow(InvalidConfigError)
    expect(() => resolveGatewayOptions({ maxConnections: 1.5 })).toThrow(InvalidConfigError)
    expect(() => resolveGatewayOptions({ providers: [1 as unknown as string] })).toThrow(InvalidConfigError)
    expect(() => resolveGatewayOptions({ nope: 1 } as never)).toThrow(/Unknown gateway option/)
  })

  it('shares a fetch slot between requests for one content and refuses a new content when all are taken', () => {
    const slots = new FetchSlots(2)
    const a1 = slots.take('a')
    const a2 = slots.take('a')
    const b = slots.take('b')
    expect(() => slots.take('c')).toThrow(TooManyFetchesError)
    a1()
    a1() // a second call changes nothing
    expect(() => slots.take('c')).toThrow(TooManyFetchesError)
    a2()
    slots.take('c')
    b()
    expect(slots.size).toBe(1)
  })

  it('maps the engine\'s errors and abort causes to statuses', () => {
    expect(toHttpError(new NoProvidersError('none')).status).toBe(404)
    expect(toHttpError(new RangeError('bad')).status).toBe(416)
    expect(toHttpError(new Error('boom')).status).toBe(500)
    const timeout = new RetrievalTimeoutError('slow')
    expect(toHttpError(new Error('aborted', { cause: timeout }))).toBe(timeout)
  })

  it('fires the retrieval timer only after a full timeout without progress, never while paused', () => {
    vi.useFakeTimers()
    try {
      const timer = new RetrievalTimer(60, () => new RetrievalTimeoutError('expired'))
      vi.advanceTimersByTime(40)
      timer.progress()
      vi.advanceTimersByTime(40)
      expect(timer.signal.aborted).toBe(false)
      timer.pause()
      vi.advanceTimersByTime(1000)
      expect(timer.signal.aborted).toBe(false)
      timer.resume()
      vi.advanceTimersByTime(59)
      expect(timer.signal.aborted).toBe(false)
      vi.advanceTimersByTime(1)
      expect(timer.signal.reason).toBeInstanceOf(RetrievalTimeoutError)
      const off = new RetrievalTimer(0, () => new Error('never'))
      vi.advanceTimersByTime(100_000)
      expect(off.signal.aborted).toBe(false)
      const stopped = new RetrievalTimer(10, () => new Error('never'))
      stopped.stop()
      stopped.progress()
      vi.advanceTimersByTime(100)
      expect(stopped.signal.aborted).toBe(false)
    } finally {
      vi.useRealTimers()
    }
  })
})
