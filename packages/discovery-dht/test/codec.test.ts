// The bencode codec and the KRPC checks that decide which packets reach bittorrent-dht.
import { describe, expect, it } from 'vitest'
import { BencodeError, decode, encode, encodedLength } from '../src/bencode.js'
import { inspectPacket } from '../src/krpc-schema.js'
import type { BValue } from '../src/bencode.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const ID = 'abcdefghij0123456789'

describe('bencode', () => {
  it('decodes every type, byte strings as views of the input', () => {
    const input = text('d1:ai-42e1:bl3:xyzi0ee1:dd1:ci1eee')
    const value = decode(input) as Map<string, BValue>
    expect(value.get('a')).toBe(-42)
    const list = value.get('b') as BValue[]
    expect(Buffer.from(list[0] as Uint8Array).toString()).toBe('xyz')
    expect((list[0] as Uint8Array).buffer).toBe(input.buffer)
    expect(list[1]).toBe(0)
    expect(value.get('d')).toEqual(new Map([['c', 1]]))
  })

  it('round-trips canonical input byte for byte, keys sorted on encode', () => {
    const canonical = 'd1:ad1:xli1ei2eee1:b0:1:ci-7ee'
    expect(Buffer.from(encode(decode(text(canonical)))).toString()).toBe(canonical)
    expect(Buffer.from(encode(new Map<string, BValue>([['b', 1], ['a', 2]]))).toString()).toBe('d1:ai2e1:bi1ee')
    expect(Buffer.from(encode('héllo')).toString()).toBe('6:héllo')
    const bytes = new Map<string, BValue>([['\u00ff', 1]])
    expect(Buffer.from(encode(bytes))).toEqual(Buffer.from([0x64, 0x31, 0x3a, 0xff, 0x69, 0x31, 0x65, 0x65]))
  })

  it('computes encoded lengths without encoding', () => {
    for (const value of [0, -15, text('abc'), [1, text('x')], new Map<string, BValue>([['key', [text('v'), 12345]]])]) {
      expect(encodedLength(value)).toBe(encode(value).length)
    }
  })

  it('refuses what is not one canonical value', () => {
    const bad = ['', 'i', 'i-0e', 'i03e', 'ie', 'i1.5e', '01:a', '5:abc', 'l', 'd1:a', 'd1:ai1e1:ai2ee', 'i1ei2e', 'x', '-1:a',
      'i99999999999999999e', '1:ae']
    for (const input of bad) expect(() => decode(text(input)), input).toThrow(BencodeError)
    expect(() => decode(text('d1:bi1e1:ai2ee'), { canonical: true })).toThrow('out of order')
    expect(decode(text('d1:bi1e1:ai2ee'))).toEqual(new Map([['b', 1], ['a', 2]]))
  })

  it('limits nesting without recursing into it', () => {
    expect(() => decode(text('l'.repeat(100_000)))).toThrow('nested deeper than 16')
    expect(decode(text('llee'), { maxDepth: 2 })).toEqual([[]])
    expect(() => decode(text('llee'), { maxDepth: 1 })).toThrow('nested deeper')
  })

  it('accepts the largest safe integer and no more', () => {
    expect(decode(text(`i${Number.MAX_SAFE_INTEGER}e`))).toBe(Number.MAX_SAFE_INTEGER)
    expect(decode(text(`i-${Number.MAX_SAFE_INTEGER}e`))).toBe(-Number.MAX_SAFE_INTEGER)
    expect(() => decode(text(`i${Number.MAX_SAFE_INTEGER + 1}e`))).toThrow('safe range')
    expect(() => encode(2 ** 60)).toThrow('not a safe integer')
  })
})

describe('inspectPacket', () => {
  const query = (q: string, args: string): Uint8Array => text(`d1:ad2:id20:${ID}${args}e1:q${q.length}:${q}1:t2:aa1:y1:qe`)

  it('passes well-formed queries, replies and errors', () => {
    const ok: Array<[string, Uint8Array]> = [
      ['ping', query('ping', '')],
      ['find_node', query('find_node', `6:target20:${ID}`)],
      ['get_peers', query('get_peers', `9:info_hash20:${ID}`)],
      ['announce_peer', query('announce_peer', `12:implied_porti1e9:info_hash20:${ID}4:porti6881e5:token4:abcd`)],
      ['get', query('get', `3:seqi3e6:target20:${ID}`)],
      ['immutable put', query('put', '5:token4:abcd1:v5:hello')],
      ['mutable put', query('put', `1:k32:${'k'.repeat(32)}3:seqi1e3:sig64:${'s'.repeat(64)}5:token4:abcd1:v2:hi`)],
      ['vote (unknown)', query('vote', '')],
      ['reply', text(`d1:rd2:id20:${ID}5:nodes26:${'n'.repeat(26)}5:token2:tk6:valuesl6:abcdefee1:t2:aa1:y1:re`)],
      ['error', text('d1:eli201e5:oops!e1:t2:aa1:y1:ee')]
    ]
    for (const [name, packet] of ok) expect(inspectPacket(packet).ok, name).toBe(true)
  })

  it('drops fields of the wrong type or size, with the reason', () => {
    const bad: Array<[Uint8Array, string]> = [
      [query('find_node', '6:targeti5e'), 'find_node: bad target'],
      [query('get_peers', '9:info_hash3:abc'), 'get_peers: bad info_hash'],
      [query('announce_peer', `9:info_hash20:${ID}4:porti6881e5:tokeni1e`), 'announce_peer: bad token'],
      [query('announce_peer', `9:info_hash20:${ID}4:porti70000e5:token2:tk`), 'announce_peer: bad port'],
      [query('get', '6:targetd1:xi1ee'), 'get: bad target'],
      [query('put', `3:seqi1e3:sig64:${'s'.repeat(64)}5:token4:abcd1:v2:hi`), 'put: bad key'],
      [query('put', `1:k32:${'k'.repeat(32)}3:seqi1e5:token4:abcd1:v2:hi`), 'put: bad signature'],
      [query('put', `1:k32:${'k'.repeat(32)}3:sig64:${'s'.repeat(64)}5:token4:abcd1:v2:hi`), 'put: bad seq'],
      [query('put', `5:token4:abcd1:v1100:${'v'.repeat(1100)}`), 'put: value over 1000 bytes'],
      [query('put', '3:seqi1e5:token4:abcd1:v2:hi'), 'put: mutable fields without a key'],
      [query('put', '1:v2:hi'), 'put: bad token'],
      [text('d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe'), 'ping with a bad node id'],
      [text(`d1:ad2:id20:${ID}e1:t2:aa1:y1:qe`), 'query without a name'],
      [text('d1:q4:ping1:t2:aa1:y1:qe'), 'ping without arguments'],
      [text('d1:rd2:idi5ee1:t2:aa1:y1:re'), 'response with a bad node id'],
      [text(`d1:rd2:id20:${ID}6:valuesl3:abcee1:t2:aa1:y1:re`), 'bad values'],
      [text(`d1:rd2:id20:${ID}1:v1100:${'v'.repeat(1100)}e1:t2:aa1:y1:re`), 'value over 1000 bytes'],
      [text(`d1:rd2:id20:${ID}3:seqi-1ee1:t2:aa1:y1:re`), 'bad seq'],
      [text(`d1:rd2:id20:${ID}e1:t1:a1:y1:re`), 'bad transaction id'],
      [text('d1:t2:aa1:y1:ze'), 'unknown message type'],
      [text(`d1:ad2:id20:${ID}9:__proto__i1ee1:q4:ping1:t2:aa1:y1:qe`), 'a __proto__ key'],
      [text('li1ee'), 'not a dictionary'],
      [text('d1:y1:qe'), 'bad transaction id']
    ]
    for (const [packet, reason] of bad) {
      const verdict = inspectPacket(packet)
      expect(verdict, reason).toEqual({ ok: false, reason })
    }
    expect(inspectPacket(text('l'.repeat(70_000)))).toMatchObject({ ok: false, reason: expect.stringMatching(/^not bencode: nested deeper/) })
    expect(inspectPacket(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'not bencode: truncated' })
  })
})
