// What users type: sizes, durations and rates, whole command lines, config files and peers files.
// Each either parses to a sound value or is refused with a UsageError (exit code 2) whose message
// stays short however large the input: never another error, never a hang (a parse taking longer
// than SLOW_MS), and never a polluted prototype. Everything here is pure: no files, no network.
import { describe, it } from 'vitest'
import {
  COMMANDS,
  OPTIONS,
  dataDirFrom,
  optionsFor,
  parseCidArgument,
  parseCommandLine,
  parseConfigFile,
  parseDuration,
  parseInteger,
  parseNumber,
  parsePeersFile,
  parseRate,
  parseSize,
  providersFrom,
  settingsFrom,
  strategyFor,
  transportsFor,
  verifierFor
} from '@codio-chunk/cli'
import type { OptionSpec, Settings } from '@codio-chunk/cli'
import { PeerIdentity, parseAddress } from '@codio-chunk/protocol'
import { cpuClock, fc, fuzz, refusesOnlyWith, refusesOnlyWithAsync } from '../src/fuzz.js'

const REFUSAL = ['UsageError']
/** One parse of one input may take this much CPU time; a linear parse of the longest input takes well under 1 ms. */
const SLOW_MS = 500
/**
 * A refusal's message stays short however large the value refused (an address is at most 1024
 * characters, and a message may name every option).
 */
const LONGEST_MESSAGE = 3000

/** Runs `parse`, failing the property on a slow parse or on a refusal with a message of unbounded length. */
function timed<T> (what: string, parse: () => T): T {
  const elapsed = cpuClock()
  try {
    return parse()
  } catch (err) {
    const message = String((err as Error)?.message)
    if ((err as Error)?.name === 'UsageError' && message.length > LONGEST_MESSAGE) {
      throw new Error(`${what}: the refusal's message has ${message.length} characters: ${message.slice(0, 200)}…`)
    }
    throw err
  } finally {
    const ms = elapsed()
    if (ms > SLOW_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms of CPU`)
  }
}

function assert (condition: boolean, message: string): void {
  if (!condition) throw new Error(message)
}

/** A value an option's parser gave: numbers finite and not negative, texts and lists not blank. */
function checkValue (key: string, value: unknown): void {
  if (typeof value === 'number') {
    assert(Number.isFinite(value) && value >= 0 && !Object.is(value, -0), `${key} parsed to ${value}`)
  } else if (typeof value === 'string') {
    assert(value.trim() !== '', `${key} parsed to a blank text`)
  } else if (Array.isArray(value)) {
    assert(value.length > 0 && value.every(v => typeof v === 'string' && v !== '' && v === v.trim()), `${key} parsed to ${JSON.stringify(value)}`)
  } else {
    assert(typeof value === 'boolean' || value === undefined, `${key} parsed to a ${typeof value}`)
  }
}

function checkSettings (settings: Settings, specs: readonly OptionSpec[]): void {
  assert(Object.getPrototypeOf(settings.values) === Object.prototype, 'settings.values has another prototype')
  for (const key of Object.keys(settings.values)) {
    assert(key === 'dataDir' || specs.some(s => s.key === key), `settings.values has an unknown key ${JSON.stringify(key)}`)
  }
  for (const spec of specs) checkValue(spec.key, settings.values[spec.key])
}

// ---- values people type ----

const SPACES = [' ', '\t', '\n', '\r', '\u00a0', '\u2003', '\u3000', '\ufeff', '\u2028']
const UNITS = [
  '', 'b', 'B', 'k', 'K', 'kb', 'KB', 'kib', 'KiB', 'm', 'M', 'mb', 'MB', 'mib', 'MiB', 'g', 'gb', 'GiB', 'TiB', 'tb',
  'ms', 's', 'S', 'min', 'h', 'd', 'µs', 'sec', 'constructor', '__proto__', 'toString', 'valueof', 'hasownproperty', 'KiB/s', 'MiB/s', '/s', '/S'
]
/** Digits that are not ASCII: Arabic-Indic, fullwidth, Devanagari, mathematical bold. */
const OTHER_DIGITS = ['١٢', '１２', '४२', '𝟏𝟐', '²', '½', '٫']

const spaces = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('', '', ' ', '  ') },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...SPACES), { maxLength: 4 }).map(a => a.join('')) }
)

const digits = fc.stringMatching(/^[0-9]{1,6}$/)
const numberText = fc.oneof(
  digits,
  fc.tuple(digits, digits).map(([a, b]) => `${a}.${b}`),
  digits.map(d => `.${d}`),
  digits.map(d => `${d}.`),
  fc.tuple(digits, fc.constantFrom('e', 'E', 'e+', 'e-', 'E-'), fc.integer({ min: 0, max: 400 })).map(([a, e, x]) => `${a}${e}${x}`),
  fc.constantFrom('0', '-0', '+0', '-1', '+5', 'NaN', 'Infinity', '-Infinity', '0x10', '0b11', '0o7', '1_000', '1,024', '1.2.3', '00', '007', '9007199254740991', '9007199254740993', '4294967296'),
  fc.constantFrom(...OTHER_DIGITS),
  fc.integer({ min: 16, max: 400 }).map(n => '9'.repeat(n)),
  fc.double().map(String),
  fc.bigInt().map(String)
)

const unitText = fc.tuple(spaces, fc.constantFrom('', '', '-', '+'), numberText, spaces, fc.constantFrom(...UNITS), spaces)
  .map(([a, sign, n, b, unit, c]) => `${a}${sign}${n}${b}${unit}${c}`)

/** Long runs of blanks around a number: a backtracking regex takes quadratic time over them. */
const longBlanks = fc.tuple(fc.constantFrom(' ', '\t', '\u00a0'), fc.integer({ min: 20_000, max: 50_000 }), fc.constantFrom('1', '1.5', '', '.5'), fc.constantFrom('!', 'x', 'KiB!', '', '1'), fc.boolean())
  .map(([blank, n, number, end, before]) => before ? `${blank.repeat(n)}${number}${end}` : `${number}${blank.repeat(n)}${end}`)

/**
 * What a flag or a config file may hand an option's parser, written so a kept corpus entry replays
 * exactly: a text, a number by its spelling (`-0`, `NaN`, `1e999`), a JSON value, `nested` arrays
 * that deep, or a list of that many numbers.
 */
type RawInput = { text: string } | { number: string } | { json: unknown } | { nested: number } | { list: number }

function materialize (input: RawInput): unknown {
  if ('text' in input) return input.text
  if ('number' in input) return Number(input.number)
  if ('json' in input) return input.json
  if ('nested' in input) return JSON.parse('['.repeat(input.nested) + ']'.repeat(input.nested)) as unknown
  return Array.from({ length: input.list }, (_, i) => i)
}

const rawInput: fc.Arbitrary<RawInput> = fc.oneof(
  { weight: 40, arbitrary: unitText.map(text => ({ text })) },
  { weight: 10, arbitrary: fc.string({ maxLength: 24 }).map(text => ({ text })) },
  { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map(text => ({ text })) },
  { weight: 1, arbitrary: longBlanks.map(text => ({ text })) },
  { weight: 12, arbitrary: fc.oneof(fc.double(), fc.integer(), fc.constantFrom(-0, 0, Number.MAX_SAFE_INTEGER, 2 ** 53, 1e308, 5e-324, -1)).map(n => ({ number: Object.is(n, -0) ? '-0' : String(n) })) },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }).map(json => ({ json })) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 3000 }).map(list => ({ list })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map(nested => ({ nested })) }
)

// ---- command lines ----

/** Flag spellings of the options table: `--chunk-size`, and `-o` for `--output`. */
const FLAGS = [...new Set(OPTIONS.flatMap(o => o.flags.match(/--?[a-z0-9-]+/g) ?? []))]
const PEER_ID = PeerIdentity.fromSeed(new Uint8Array(32).fill(7)).peerId
const CID = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
const NAMES = [
  'tcp', 'quic', 'quinn', 'udp', 'sha256', 'sha256-wasm', 'blake3', 'md5', 'rarest-first', 'sequential', 'random',
  'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'tcp,quinn', ',', ' tcp , quic '
]

const addressText = fc.oneof(
  fc.constantFrom('tcp://127.0.0.1:4001', 'tcp://[::1]:4001', 'quic://example.com:443', `quic://127.0.0.1:4002/p2p/${PEER_ID}`, 'tcp://0.0.0.0:0', 'TCP://Example.COM:65535'),
  fc.tuple(fc.constantFrom('tcp', 'quic', 'quinn', 'x', '', '1a', 'TCP'), fc.constantFrom('://', ':/', '//', ''), fc.oneof(fc.ipV4(), fc.ipV6().map(h => `[${h}]`), fc.domain(), fc.string({ maxLength: 12 })), fc.constantFrom(':', '', '::'), fc.oneof(fc.integer({ min: -1, max: 70_000 }).map(String), fc.string({ maxLength: 6 })), fc.constantFrom('', '', `/p2p/${PEER_ID}`, '/p2p/', '/p2p/12D3KooW', '#x'))
    .map(([scheme, sep, host, colon, port, tail]) => `${scheme}${sep}${host}${colon}${port}${tail}`)
)

const flagValue = fc.oneof(
  { weight: 36, arbitrary: unitText },
  { weight: 18, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 18, arbitrary: addressText },
  { weight: 12, arbitrary: fc.constantFrom(CID, 'QmNotACid', 'bafy', '', ' ', '-', '--', '-1', 'x.json', './strategy.js') },
  { weight: 12, arbitrary: fc.string({ maxLength: 16 }) },
  { weight: 1, arbitrary: longBlanks }
)

const token = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...FLAGS) },
  { weight: 6, arbitrary: flagValue },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...FLAGS), flagValue).map(([f, v]) => `${f}=${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('--', '-', '-x', '--no-json', '--chunk', '-oo', '--peers', '--Peer') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }
)

const argv = fc.tuple(
  fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...COMMANDS.map(c => c.name)) }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) }),
  fc.array(token, { maxLength: 10 })
).map(([command, rest]) => [command, ...rest])

/** Flags as commander hands them over: texts, lists of texts (repeatable options) and booleans. */
const flagsRecord = fc.dictionary(
  fc.constantFrom(...OPTIONS.map(o => o.key)),
  fc.oneof(flagValue, fc.array(flagValue, { minLength: 1, maxLength: 4 }), fc.boolean()),
  { maxKeys: 8 }
)

const ALL_SCOPES = optionsFor(['global', 'content', 'network', 'listen', 'get', 'demo'])
const CONFIG_PATH = '/fuzz/node/codio-chunk.config.json'

/** Turns resolved settings into what the commands do next with them: plugins, providers, CIDs. */
async function useSettings (settings: Settings, command: string, args: readonly string[]): Promise<void> {
  const { values } = settings
  if (Array.isArray(values.transport)) {
    const transports = refusesOnlyWith(REFUSAL, () => transportsFor(values.transport as string[]))
    assert(transports === undefined || transports.every(t => typeof t === 'function'), `--transport ${JSON.stringify(values.transport)} gave something that is not a transport factory`)
  }
  if (typeof values.verifier === 'string') {
    const verifier = refusesOnlyWith(REFUSAL, () => verifierFor(values.verifier as string))
    assert(verifier === undefined || (typeof verifier.code === 'number' && typeof verifier.digest === 'function'), `--verifier ${JSON.stringify(values.verifier)} gave something that is not a verifier`)
  }
  // A path-like --strategy loads a module: only names are looked up here.
  if (typeof values.strategy === 'string' && !/[\\/]|\.[cm]?js$/.test(values.strategy)) {
    const strategy = await refusesOnlyWithAsync(REFUSAL, async () => await strategyFor(values.strategy as string, '/fuzz'))
    assert(strategy === undefined || (typeof strategy.pick === 'function' && typeof strategy.name === 'string'), `--strategy ${JSON.stringify(values.strategy)} gave no strategy`)
  }
  if (command === 'get') {
    const providers = await refusesOnlyWithAsync(REFUSAL, async () => await providersFrom(values.peer as string[] | undefined, undefined, '/fuzz'))
    for (const address of providers ?? []) parseAddress(address)
  }
  if (command === 'get' || command === 'stat' || command === 'rm') {
    for (const arg of args) refusesOnlyWith(REFUSAL, () => timed('parseCidArgument', () => parseCidArgument(arg)))
  }
}

// ---- config files ----

const CONFIG_KEYS = OPTIONS.filter(o => o.inConfigFile).map(o => o.key)
const ODD_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'dataDir', 'peer', 'output', '', 'chunksize', 'chunkSize ', 'polluted']

/** A value's JSON text: any value, or raw text JSON.stringify cannot make (deep nesting, odd numbers). */
const valueText = fc.oneof(
  { weight: 100, arbitrary: rawInput.filter(input => !('nested' in input)).map(input => JSON.stringify(materialize(input)) ?? 'null') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map(n => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 20, arbitrary: fc.constantFrom('-0', '1e999', '-1e999', '0.0', '1E2', '9007199254740993', '[]', '{}', '[""]', '[null]', 'true', 'null', '"\\u0000"', '"\\ud800"') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map(n => '{"a":'.repeat(n) + '1' + '}'.repeat(n)) },
  { weight: 10, arbitrary: fc.dictionary(fc.constantFrom(...ODD_KEYS, ...CONFIG_KEYS), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }).map(o => JSON.stringify(o)) }
)

const entry = fc.tuple(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...CONFIG_KEYS) }, { weight: 2, arbitrary: fc.constantFrom(...ODD_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
  valueText
).map(([key, value]) => `${JSON.stringify(key)}:${value}`)

/** Object texts built entry by entry, so `__proto__` and repeated keys are written as a person would. */
const objectText = fc.array(entry, { maxLength: 4 }).map(entries => `{${entries.join(',')}}`)

const VALID_CONFIG = '{ "chunksPerPeer": 8, "requestTimeout": "60s", "uploadLimit": "50MiB/s", "listen": ["tcp://0.0.0.0:4001", "tcp://[::]:4001"], "superSeed": true, "minUploadRatio": 0.5 }'

/** A text with a few characters inserted, deleted or replaced. */
const mutated = (text: string): fc.Arbitrary<string> => fc.array(
  fc.tuple(fc.nat({ max: text.length }), fc.nat({ max: 3 }), fc.oneof(fc.constantFrom('"', '{', '}', '[', ']', ',', ':', '\\', '-', '0', ' ', 'e', '__proto__'), fc.string({ maxLength: 3 }))),
  { minLength: 1, maxLength: 4 }
).map(edits => edits.reduce((t, [at, remove, insert]) => t.slice(0, at) + insert + t.slice(at + remove), text))

const configText = fc.oneof(
  { weight: 60, arbitrary: objectText },
  { weight: 30, arbitrary: mutated(VALID_CONFIG) },
  { weight: 20, arbitrary: objectText.chain(mutated) },
  { weight: 10, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 10, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '"x"', '1', '{"__proto__": {"polluted": true}}', '{"constructor": {"prototype": {"polluted": true}}}', '\ufeff{}', '{"chunksPerPeer": 8, "chunksPerPeer": "x"}') },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('tcp://127.0.0.1:1', 'tcp'), { minLength: 1000, maxLength: 5000 }).map(list => `{"listen": ${JSON.stringify(list)}, "transport": ${JSON.stringify(list.slice(0, 100).map(() => 'tcp'))}}`) }
)

const OBJECT_PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort().join()
const ARRAY_PROTOTYPE_KEYS = Object.getOwnPropertyNames(Array.prototype).sort().join()

function checkNoPollution (): void {
  assert(Object.getOwnPropertyNames(Object.prototype).sort().join() === OBJECT_PROTOTYPE_KEYS, 'Object.prototype gained a property')
  assert(Object.getOwnPropertyNames(Array.prototype).sort().join() === ARRAY_PROTOTYPE_KEYS, 'Array.prototype gained a property')
  assert(({} as Record<string, unknown>).polluted === undefined, 'a plain object has a "polluted" property')
}

// ---- peers files ----

const peersLine = fc.oneof(
  { weight: 30, arbitrary: addressText },
  { weight: 10, arbitrary: fc.tuple(spaces, addressText, spaces, fc.constantFrom('', '# rack 1', '#', '##', ' # x # y')).map(parts => parts.join('')) },
  { weight: 10, arbitrary: fc.constantFrom('', '   ', '# providers', '#tcp://127.0.0.1:1', '\ufefftcp://127.0.0.1:1', 'tcp://127.0.0.1:1#', '\u0000', '\t#\t') },
  { weight: 5, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 5000 }).map(n => `tcp://${'a'.repeat(n)}:1`) }
)

const peersText = fc.tuple(
  fc.array(peersLine, { maxLength: 12 }),
  fc.constantFrom('\n', '\n', '\r\n', '\r', '\u2028', '\n\n'),
  fc.boolean()
).map(([lines, end, last]) => lines.join(end) + (last ? end : ''))

describe('what users type', () => {
  it('cli-units: sizes, durations, rates and numbers parse to finite, non-negative values or are refused with a UsageError', async () => {
    const parsers: Array<[string, (raw: unknown) => number, (value: number) => boolean]> = [
      ['parseSize', raw => parseSize(raw, '--chunk-size'), Number.isSafeInteger],
      ['parseRate', raw => parseRate(raw, '--upload-limit'), Number.isSafeInteger],
      ['parseDuration', raw => parseDuration(raw, '--request-timeout'), v => v <= Number.MAX_SAFE_INTEGER],
      ['parseNumber', raw => parseNumber(raw, '--min-upload-ratio'), () => true],
      ['parseInteger', raw => parseInteger(raw, '--max-connections'), Number.isSafeInteger],
      ['parseInteger 1..1024', raw => parseInteger(raw, '--chunks-per-peer', 1, 1024), v => Number.isInteger(v) && v >= 1 && v <= 1024]
    ]
    // One parser per input: the input names it.
    const input = fc.record({ parser: fc.constantFrom(...parsers.map(([name]) => name)), raw: rawInput })
    await fuzz('cli-units', input, ({ parser, raw }) => {
      const [name, parse, inRange] = parsers.find(([n]) => n === parser)!
      const value = refusesOnlyWith(REFUSAL, () => timed(name, () => parse(materialize(raw))))
      if (value === undefined) return
      assert(typeof value === 'number' && Number.isFinite(value) && value >= 0 && !Object.is(value, -0) && inRange(value), `${name}(${JSON.stringify(raw).slice(0, 80)}) gave ${Object.is(value, -0) ? '-0' : value}`)
    })
  })

  it('cli-flags: a command line resolves to settings, plugins, providers and CIDs, or is refused with a UsageError', async () => {
    const input = fc.oneof(
      { weight: 1, arbitrary: argv.map(args => ({ argv: args })) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...COMMANDS), flagsRecord).map(([command, flags]) => ({ command: command.name, flags })) }
    )
    await fuzz('cli-flags', input, async (given) => {
      let command: string
      let args: string[] = []
      let flags: Record<string, unknown>
      if ('argv' in given) {
        const line = refusesOnlyWith(REFUSAL, () => timed('parseCommandLine', () => parseCommandLine(given.argv)))
        if (line === undefined || line.kind === 'print') return
        command = line.command.name
        args = line.args
        flags = line.flags
      } else {
        command = given.command
        flags = given.flags
      }
      const specs = optionsFor(COMMANDS.find(c => c.name === command)!.scopes)
      const dataDir = dataDirFrom(flags.dataDir, {}, '/fuzz')
      const settings = refusesOnlyWith(REFUSAL, () => timed('settingsFrom', () => settingsFrom(specs, flags, dataDir)))
      if (settings === undefined) return
      checkSettings(settings, specs)
      await useSettings(settings, command, args)
    })
  })

  it('cli-config: a config file gives settings or is refused with a UsageError, and never pollutes a prototype', async () => {
    await fuzz('cli-config', configText, (text) => {
      try {
        const values = refusesOnlyWith(REFUSAL, () => timed('parseConfigFile', () => parseConfigFile(text, CONFIG_PATH)))
        if (values === undefined) return
        for (const key of Object.keys(values)) assert(CONFIG_KEYS.includes(key), `the config file's key ${JSON.stringify(key)} was let through`)
        const settings = refusesOnlyWith(REFUSAL, () => timed('settingsFrom', () => settingsFrom(ALL_SCOPES, {}, '/fuzz/node', { path: CONFIG_PATH, values })))
        if (settings !== undefined) checkSettings(settings, ALL_SCOPES)
      } finally {
        checkNoPollution()
      }
    })
  })

  it('cli-peers-file: a peers file gives valid addresses or is refused with a UsageError naming the line', async () => {
    await fuzz('cli-peers-file', peersText, (text) => {
      const lines = text.split(/\r?\n/).length
      try {
        const addresses = timed('parsePeersFile', () => parsePeersFile(text, 'peers.txt'))
        assert(addresses.length <= lines, `${addresses.length} addresses from ${lines} lines`)
        for (const address of addresses) {
          assert(address === address.trim() && !address.includes('#') && address !== '', `${JSON.stringify(address)} is not a trimmed address`)
          parseAddress(address)
        }
      } catch (err) {
        refusesOnlyWith(REFUSAL, () => { throw err })
        const line = /^peers\.txt line (\d+): Invalid address /.exec((err as Error).message)
        assert(line !== null && Number(line[1]) >= 1 && Number(line[1]) <= lines, `refused without naming the line and the address: ${(err as Error).message.slice(0, 200)}`)
      }
    })
  })
})
