import { describe, expect, it } from 'vitest'
import { BencodeError, decodeBencode } from '../src/bencode.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const decode = (s: string): unknown => decodeBencode(text(s))

describe('decodeBencode', () => {
  it('reads integers, strings, lists and dictionaries', () => {
    expect(decode('i42e')).toBe(42)
    expect(decode('i-7e')).toBe(-7)
    expect(decode('i0e')).toBe(0)
    expect(Buffer.from(decode('4:spam') as Uint8Array).toString()).toBe('spam')
    expect(decode('0:')).toEqual(new Uint8Array(0))
    expect(decode('li1ei2ee')).toEqual([1, 2])
    const dict = decode('d8:intervali1800e5:peers0:e') as Map<string, unknown>
    expect(dict.get('interval')).toBe(1800)
    expect(dict.get('peers')).toEqual(new Uint8Array(0))
  })

  it('returns byte strings as views of the input, not copies', () => {
    const input = text('d5:peers6:abcdefe')
    const peers = (decodeBencode(input) as Map<string, Uint8Array>).get('peers') as Uint8Array
    expect(peers.buffer).toBe(input.buffer)
  })

  it('keeps a __proto__ key as a plain key', () => {
    const dict = decode('d9:__proto__d8:intervali5eee') as Map<string, unknown>
    expect(dict.get('__proto__')).toBeInstanceOf(Map)
    expect(dict.get('interval')).toBeUndefined()
    expect(({} as Record<string, unknown>).interval).toBeUndefined()
  })

  it('tolerates trailing whitespace only', () => {
    expect(decode('i1e\r\n')).toBe(1)
    expect(() => decode('i1ex')).toThrow(BencodeError)
  })

  it.each([
    ['l-3:', 'negative string length'],
    ['', 'empty input'],
    ['i', 'unterminated integer'],
    ['ie', 'integer without digits'],
    ['i-0e', 'negative zero'],
    ['i03e', 'leading zero'],
    ['i1.5e', 'not an integer'],
    ['i123456789012345678901e', 'integer of 21 digits'],
    ['03:abc', 'string length with a leading zero'],
    ['5:ab', 'string past the end'],
    ['9999999999:a', 'string length of 10 digits'],
    ['l', 'unterminated list'],
    ['d3:key', 'dictionary missing a value'],
    ['di1ei2ee', 'integer key'],
    ['x', 'unknown type']
  ])('refuses %j (%s)', (input) => {
    expect(() => decode(input)).toThrow(BencodeError)
  })

  it('limits nesting and the number of values', () => {
    expect(() => decode(`${'l'.repeat(17)}${'e'.repeat(17)}`)).toThrow(/nested deeper than 16/)
    expect(decode(`${'l'.repeat(16)}${'e'.repeat(16)}`)).toBeInstanceOf(Array)
    expect(() => decodeBencode(text(`l${'i1e'.repeat(101)}e`), { maxValues: 100 })).toThrow(/more than 100 values/)
    expect(() => decode(`l${'0:'.repeat(60_000)}e`)).toThrow(/more than 50000 values/)
  })
})
