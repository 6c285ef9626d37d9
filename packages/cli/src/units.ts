import { UsageError } from './errors.js'
import { describeValue } from './describe-value.js'

// Maps, not object literals: a unit such as `constructor` must not find Object.prototype's.
const SIZE_UNITS = new Map<string, number>([
  ['', 1],
  ['b', 1],
  ['k', 1024],
  ['kb', 1000],
  ['kib', 1024],
  ['m', 1024 ** 2],
  ['mb', 1000 ** 2],
  ['mib', 1024 ** 2],
  ['g', 1024 ** 3],
  ['gb', 1000 ** 3],
  ['gib', 1024 ** 3]
])

const DURATION_UNITS = new Map<string, number>([['', 1], ['ms', 1], ['s', 1000], ['m', 60_000], ['min', 60_000], ['h', 3_600_000]])

/**
 * A number and its unit: `1.5 MiB` → 1.5 and `mib`. The text is trimmed first, so the pattern has
 * one run of blanks (between number and unit) and matches in linear time: with blanks around
 * both, a long run of blanks took quadratic time to refuse.
 */
function splitUnit (text: string): { value: number, unit: string } | undefined {
  const match = /^(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)$/i.exec(text.trim())
  if (match === null) return undefined
  return { value: Number(match[1]), unit: match[2].toLowerCase() }
}

/** `-0` as `0`: a parsed value is never negative, not even negative zero. */
function unsigned (value: number): number {
  return value === 0 ? 0 : value
}

/**
 * Parses a byte size: a number of bytes or a number with a unit, `256KiB`, `1MiB`, `256k`, `4MB`.
 * `k`, `m` and `g` are binary (KiB, MiB, GiB), `kb`, `mb` and `gb` decimal.
 *
 * @example
 * ```ts
 * parseSize('256KiB', '--chunk-size') // 262144
 * ```
 */
export function parseSize (input: unknown, name: string): number {
  let bytes: number | undefined
  if (typeof input === 'number' && input >= 0) {
    bytes = Math.round(input)
  } else {
    const parsed = typeof input === 'string' ? splitUnit(input) : undefined
    const factor = parsed === undefined ? undefined : SIZE_UNITS.get(parsed.unit)
    if (parsed !== undefined && factor !== undefined) bytes = Math.round(parsed.value * factor)
  }
  // Also refuses sizes too large to count exactly (`99999999999999999999GiB`).
  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    throw new UsageError(`${name} takes a size such as 262144, 256KiB or 1MiB, got ${describeValue(input)}`)
  }
  return unsigned(bytes)
}

/**
 * Parses a rate in bytes per second: `8MiB/s`, `500KB`, `1000000`. `0` means unlimited.
 *
 * @example
 * ```ts
 * parseRate('8MiB/s', '--upload-limit') // 8388608
 * ```
 */
export function parseRate (input: unknown, name: string): number {
  const text = typeof input === 'string' ? input.replace(/\/s\s*$/i, '') : input
  try {
    return parseSize(text, name)
  } catch (err) {
    if (!(err instanceof UsageError)) throw err
    throw new UsageError(`${name} takes bytes per second such as 8MiB/s, 500KB/s or 0 for unlimited, got ${describeValue(input)}`)
  }
}

/**
 * Parses a duration in milliseconds: `30s`, `500ms`, `2m`, `1h`; a bare number is milliseconds.
 *
 * @example
 * ```ts
 * parseDuration('30s', '--request-timeout') // 30000
 * ```
 */
export function parseDuration (input: unknown, name: string): number {
  let ms: number | undefined
  if (typeof input === 'number' && input >= 0) {
    ms = input
  } else {
    const parsed = typeof input === 'string' ? splitUnit(input) : undefined
    const factor = parsed === undefined ? undefined : DURATION_UNITS.get(parsed.unit)
    if (parsed !== undefined && factor !== undefined) ms = parsed.value * factor
  }
  // Also refuses durations too long to be meant (`99999999999999999999h`).
  if (ms === undefined || !Number.isFinite(ms) || ms > Number.MAX_SAFE_INTEGER) {
    throw new UsageError(`${name} takes a duration such as 30s, 500ms or 2m (a bare number is milliseconds), got ${describeValue(input)}`)
  }
  return unsigned(ms)
}

/**
 * Parses a whole number within `min..max` (a number, or text of digits).
 *
 * @example
 * ```ts
 * parseInteger('8', '--chunks-per-peer', 1, 1024) // 8
 * ```
 */
export function parseInteger (input: unknown, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = typeof input === 'string' && /^\s*-?\d+\s*$/.test(input) ? Number(input) : input
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} takes a whole number from ${min} to ${max}, got ${describeValue(input)}`)
  }
  return unsigned(value)
}

/**
 * Parses a finite non-negative number (a number, or text such as `0.8` or `.5`).
 *
 * @example
 * ```ts
 * parseNumber('0.8', '--min-upload-ratio') // 0.8
 * ```
 */
export function parseNumber (input: unknown, name: string): number {
  const value = typeof input === 'string' && /^\s*\d+(\.\d+)?\s*$|^\s*\.\d+\s*$/.test(input) ? Number(input) : input
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${name} takes a number such as 0.8, got ${describeValue(input)}`)
  }
  return unsigned(value)
}

/**
 * A byte count for people: `512 B`, `1.5 MiB`, `256 KiB`. Not a finite number: `?`.
 *
 * @example
 * ```ts
 * formatBytes(1536) // '1.5 KiB'
 * ```
 */
export function formatBytes (bytes: number): string {
  if (!Number.isFinite(bytes)) return '?'
  const sign = bytes < 0 ? '-' : ''
  const whole = Math.round(Math.abs(bytes))
  if (whole < 1024) return `${sign}${whole} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = whole / 1024
  let unit = 0
  // Moves up a unit when the value would round to 1024 (1023.97 KiB is shown as 1.0 MiB).
  while (value >= 1023.95 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${sign}${value.toFixed(value >= 99.95 ? 0 : 1)} ${units[unit]}`
}

/**
 * A rate for people: `12.3 MiB/s`.
 *
 * @example
 * ```ts
 * formatRate(1536) // '1.5 KiB/s'
 * ```
 */
export function formatRate (bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`
}

/**
 * A duration for people: `4.2 s`, `3m 05s`, `1h 02m`. Not a finite number or negative: `?`.
 *
 * @example
 * ```ts
 * formatDuration(185_000) // '3m 05s'
 * ```
 */
export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?'
  const seconds = ms / 1000
  if (seconds < 59.95) return `${seconds.toFixed(1)} s`
  const wholeSeconds = Math.round(seconds)
  const minutes = Math.floor(wholeSeconds / 60)
  if (minutes < 60) return `${minutes}m ${String(wholeSeconds % 60).padStart(2, '0')}s`
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`
}
