import { describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import {
  formatBytes,
  formatDuration,
  formatRate,
  parseDuration,
  parseInteger,
  parseNumber,
  parseRate,
  parseSize
} from '../src/units.js'

/** The UsageError `fn` throws (fails the test when it throws nothing or something else). */
function usageError (fn: () => unknown): UsageError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return err as UsageError
  }
  throw new Error('expected a UsageError, nothing was thrown')
}

describe('parseSize', () => {
  it.each([
    ['262144', 262144],
    ['0', 0],
    ['512b', 512],
    ['256KiB', 256 * 1024],
    ['256k', 256 * 1024],
    ['256K', 256 * 1024],
    ['4kb', 4000],
    ['4KB', 4000],
    ['1MiB', 1024 ** 2],
    ['1m', 1024 ** 2],
    ['4MB', 4_000_000],
    ['2GiB', 2 * 1024 ** 3],
    ['2g', 2 * 1024 ** 3],
    ['1GB', 1e9],
    ['1.5MiB', 1.5 * 1024 ** 2],
    ['.5k', 512],
    ['  256 KiB  ', 256 * 1024],
    ['\t1\tMiB\n', 1024 ** 2]
  ])('parses %j as %d bytes', (text, bytes) => {
    expect(parseSize(text, '--chunk-size')).toBe(bytes)
  })

  it('takes a number as bytes, rounded to a whole byte', () => {
    expect(parseSize(4096, 'x')).toBe(4096)
    expect(parseSize(10.6, 'x')).toBe(11)
    expect(parseSize('0.4', 'x')).toBe(0)
  })

  it.each([
    'abc', '', '   ', '-1', '-1KiB', '1 KiBs', '1tb', '1 TiB', '1e6', '0x10', '1,024', '1.2.3', 'KiB', '1.', '+5', 'Infinity', '1 2'
  ])('rejects %j naming the flag', (text) => {
    const err = usageError(() => parseSize(text, '--chunk-size'))
    expect(err.message).toContain('--chunk-size')
    expect(err.message).toContain(JSON.stringify(text))
    expect(err.message).toMatch(/256KiB/)
  })

  it('rejects numbers that are negative, not finite or not numbers at all', () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, null, undefined, true, {}, ['1']]) {
      expect(() => parseSize(value, '--max-chunk-size')).toThrow(UsageError)
    }
  })

  it('rejects sizes too large to count exactly', () => {
    expect(() => parseSize('99999999999999999999GiB', '--size')).toThrow(/--size/)
    expect(() => parseSize('9'.repeat(400), '--size')).toThrow(UsageError)
    expect(() => parseSize(2 ** 60, '--size')).toThrow(UsageError)
    expect(parseSize(String(Number.MAX_SAFE_INTEGER), '--size')).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('names where the value came from, for config file entries too', () => {
    expect(() => parseSize('big', '"chunkSize" in /x/codio-chunk.config.json')).toThrow('"chunkSize" in /x/codio-chunk.config.json takes a size')
  })
})

describe('parseRate', () => {
  it.each([
    ['8MiB/s', 8 * 1024 ** 2],
    ['8MiB/S', 8 * 1024 ** 2],
    ['8 MiB/s  ', 8 * 1024 ** 2],
    ['500KB/s', 500_000],
    ['500KB', 500_000],
    ['1000000', 1_000_000],
    ['100B/s', 100],
    ['0', 0],
    ['0/s', 0]
  ])('parses %j as %d bytes per second', (text, rate) => {
    expect(parseRate(text, '--upload-limit')).toBe(rate)
  })

  it('takes a number as bytes per second', () => {
    expect(parseRate(2_000_000, '--download-limit')).toBe(2_000_000)
  })

  it.each(['fast', '/s', '-1MiB/s', '8MiB/h', '8MiB/s/s', '', '1e9'])('rejects %j naming the flag and saying 0 is unlimited', (text) => {
    const err = usageError(() => parseRate(text, '--upload-limit'))
    expect(err.message).toContain('--upload-limit')
    expect(err.message).toContain('0 for unlimited')
    expect(err.message).toContain(JSON.stringify(text))
  })

  it('rejects a rate too large to count exactly', () => {
    expect(() => parseRate('99999999999999999999GiB/s', '--upload-limit')).toThrow(/--upload-limit/)
  })
})

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['30S', 30_000],
    ['500ms', 500],
    ['500', 500],
    ['0', 0],
    ['2m', 120_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['.25s', 250],
    [' 10 s ', 10_000]
  ])('parses %j as %d ms', (text, ms) => {
    expect(parseDuration(text, '--request-timeout')).toBe(ms)
  })

  it('takes a number as milliseconds', () => {
    expect(parseDuration(60_000, '--request-timeout')).toBe(60_000)
    expect(parseDuration(0.5, '--request-timeout')).toBe(0.5)
  })

  it.each(['soon', '', '-5s', '30 seconds', '1d', '1e3', '5s5', '1:30', 'ms'])('rejects %j naming the flag', (text) => {
    const err = usageError(() => parseDuration(text, '--request-timeout'))
    expect(err.message).toContain('--request-timeout')
    expect(err.message).toContain('30s')
    expect(err.message).toContain(JSON.stringify(text))
  })

  it('rejects numbers that are negative or not finite, and other types', () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, null, false, {}]) {
      expect(() => parseDuration(value, '--dial-timeout')).toThrow(UsageError)
    }
  })

  it('rejects durations too long to be meant', () => {
    expect(() => parseDuration('99999999999999999999h', '--dial-timeout')).toThrow(/--dial-timeout/)
    expect(() => parseDuration('9'.repeat(400), '--dial-timeout')).toThrow(UsageError)
  })
})

describe('parseInteger', () => {
  it('parses whole numbers from text and numbers', () => {
    expect(parseInteger('8', '--chunks-per-peer')).toBe(8)
    expect(parseInteger(' 12 ', '--chunks-per-peer')).toBe(12)
    expect(parseInteger(7, '--chunks-per-peer')).toBe(7)
    expect(parseInteger('0', '--n')).toBe(0)
  })

  it('keeps to the bounds, inclusive, and names them', () => {
    expect(parseInteger('1', '--chunks-per-peer', 1, 1024)).toBe(1)
    expect(parseInteger('1024', '--chunks-per-peer', 1, 1024)).toBe(1024)
    expect(() => parseInteger('0', '--chunks-per-peer', 1, 1024)).toThrow('--chunks-per-peer takes a whole number from 1 to 1024, got "0"')
    expect(() => parseInteger('1025', '--chunks-per-peer', 1, 1024)).toThrow(/from 1 to 1024/)
    expect(() => parseInteger(-3, '--peers', -2, 2)).toThrow(UsageError)
    expect(parseInteger('-2', '--peers', -2, 2)).toBe(-2)
  })

  it.each(['-1', '1.5', '1e3', '0x10', '', ' ', 'ten', '+3', '99999999999999999999', '1 2'])('rejects %j', (text) => {
    const err = usageError(() => parseInteger(text, '--max-connections'))
    expect(err.message).toContain('--max-connections')
    expect(err.message).toContain(JSON.stringify(text))
  })

  it('rejects numbers that are not safe integers, and other types', () => {
    for (const value of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, null, undefined, true, ['1']]) {
      expect(() => parseInteger(value, '--max-connections')).toThrow(UsageError)
    }
  })
})

describe('parseNumber', () => {
  it.each([
    ['0.8', 0.8],
    ['0', 0],
    ['3', 3],
    ['.5', 0.5],
    [' 1.25 ', 1.25]
  ])('parses %j as %d', (text, value) => {
    expect(parseNumber(text, '--min-upload-ratio')).toBe(value)
  })

  it('takes finite non-negative numbers', () => {
    expect(parseNumber(0.8, '--min-upload-ratio')).toBe(0.8)
    expect(parseNumber(1000, '--min-upload-ratio')).toBe(1000)
  })

  it.each(['-0.5', 'abc', '', '1e3', '5.', '1,5', 'NaN', 'Infinity', '0.8.1'])('rejects %j naming the flag', (text) => {
    const err = usageError(() => parseNumber(text, '--min-upload-ratio'))
    expect(err.message).toBe(`--min-upload-ratio takes a number such as 0.8, got ${JSON.stringify(text)}`)
  })

  it('rejects numbers that are negative or not finite, a huge number text, and other types', () => {
    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY, '9'.repeat(400), null, {}, true]) {
      expect(() => parseNumber(value, '--min-upload-ratio')).toThrow(UsageError)
    }
  })
})

describe('what the parsers give and refuse, whatever they are handed', () => {
  const nested = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth))
  const parsers: Array<[string, (raw: unknown) => number]> = [
    ['parseSize', raw => parseSize(raw, '--chunk-size')],
    ['parseRate', raw => parseRate(raw, '--upload-limit')],
    ['parseDuration', raw => parseDuration(raw, '--request-timeout')],
    ['parseInteger', raw => parseInteger(raw, '--max-connections')],
    ['parseNumber', raw => parseNumber(raw, '--min-upload-ratio')]
  ]

  it.each(parsers)('%s gives 0, not -0, for negative zero', (_name, parse) => {
    expect(Object.is(parse(-0), 0)).toBe(true)
    if (_name === 'parseInteger') expect(Object.is(parse('-0'), 0)).toBe(true)
  })

  it.each(parsers)('%s refuses a long run of blanks at once (it took quadratic time)', (_name, parse) => {
    for (const text of ['1' + ' '.repeat(100_000) + '!', '1.5' + '\t'.repeat(100_000) + 'x', '1' + ' '.repeat(100_000) + 'KiB!']) {
      const started = performance.now()
      expect(() => parse(text)).toThrow(UsageError)
      expect(performance.now() - started).toBeLessThan(1000)
    }
    expect(parse(' '.repeat(100_000) + '1' + ' '.repeat(100_000))).toBe(1)
  })

  it.each(parsers)('%s refuses deeply nested and huge values (a config file can hold them) with a short message', (_name, parse) => {
    for (const value of [nested(10_000), Array.from({ length: 100_000 }, (_, i) => i), 'x'.repeat(100_000), { a: nested(10_000) }]) {
      const err = usageError(() => parse(value))
      expect(err.message.length).toBeLessThan(250)
      expect(err.message).toMatch(/…$/)
    }
  })

  it.each(parsers)('%s takes no unit from Object.prototype', (_name, parse) => {
    for (const text of ['1constructor', '1 toString', '1__proto__', '1hasOwnProperty', '1valueOf']) expect(() => parse(text)).toThrow(UsageError)
  })
})

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1, '1 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1023.6, '1.0 KiB'],
    [1024, '1.0 KiB'],
    [1536, '1.5 KiB'],
    [99.9 * 1024, '99.9 KiB'],
    [100 * 1024, '100 KiB'],
    [256 * 1024, '256 KiB'],
    [1024 ** 2 - 1, '1.0 MiB'],
    [1.5 * 1024 ** 2, '1.5 MiB'],
    [64 * 1024 ** 2, '64.0 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [2 * 1024 ** 4, '2.0 TiB'],
    [5000 * 1024 ** 4, '5000 TiB']
  ])('formats %d as %j', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })

  it('shows values that are not finite as ?', () => {
    expect(formatBytes(Number.NaN)).toBe('?')
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe('?')
  })

  it('keeps the sign of a negative value', () => {
    expect(formatBytes(-2048)).toBe('-2.0 KiB')
  })
})

describe('formatRate', () => {
  it('is formatBytes per second', () => {
    expect(formatRate(0)).toBe('0 B/s')
    expect(formatRate(12.3 * 1024 ** 2)).toBe('12.3 MiB/s')
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'],
    [4200, '4.2 s'],
    [59_900, '59.9 s'],
    [59_960, '1m 00s'],
    [60_000, '1m 00s'],
    [185_000, '3m 05s'],
    [3_599_000, '59m 59s'],
    [3_599_700, '1h 00m'],
    [3_720_000, '1h 02m'],
    [26 * 3_600_000, '26h 00m']
  ])('formats %d ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('shows values that are not finite or negative as ?', () => {
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?')
    expect(formatDuration(Number.NaN)).toBe('?')
    expect(formatDuration(-1)).toBe('?')
  })
})
