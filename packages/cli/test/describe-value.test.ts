import { describe, expect, it } from 'vitest'
import { describeValue } from '../src/describe-value.js'

describe('describeValue', () => {
  it.each([
    ['lots', '"lots"'],
    ['say "hi"\n', '"say \\"hi\\"\\n"'],
    [8, '8'],
    [-0, '-0'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [null, 'null'],
    [undefined, 'undefined'],
    [true, 'true'],
    [[1, 'a', [null]], '[1,"a",[null]]'],
    [{ chunkSize: '1MiB', listen: ['tcp://0.0.0.0:4001'] }, '{"chunkSize":"1MiB","listen":["tcp://0.0.0.0:4001"]}'],
    [JSON.parse('{"__proto__": 1}'), '{"__proto__":1}']
  ])('shows %j as %s', (value, text) => {
    expect(describeValue(value)).toBe(text)
  })

  it('cuts what is longer than 80 characters, marking the cut', () => {
    expect(describeValue('x'.repeat(78))).toBe(`"${'x'.repeat(78)}"`)
    expect(describeValue('x'.repeat(79))).toBe(`"${'x'.repeat(79)}…`)
    expect(describeValue('x'.repeat(1000))).toBe(`"${'x'.repeat(79)}…`)
    expect(describeValue(Array.from({ length: 1_000_000 }, () => 1))).toBe(`[${'1,'.repeat(39)}1…`)
  })

  it('shows values too deep for JSON.stringify, in bounded time', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown
    expect(() => JSON.stringify(deep)).toThrow(RangeError)
    expect(describeValue(deep)).toBe(`${'['.repeat(80)}…`)
  })
})
