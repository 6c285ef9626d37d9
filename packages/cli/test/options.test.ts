import { describe, expect, it } from 'vitest'
import { ChunkConfig, InvalidConfigError } from '@codio-chunk/core'
import { UsageError } from '../src/errors.js'
import { OPTIONS, flagName, helpText, optionsFor } from '../src/options.js'
import type { OptionScope, OptionSpec } from '../src/options.js'

const SCOPES: OptionScope[] = ['global', 'content', 'network', 'listen', 'discovery', 'origin', 'sources', 'serve', 'get', 'providers', 'demo']

/** The scopes of each command, as run.ts wires them. */
const COMMAND_SCOPES: Record<string, OptionScope[]> = {
  add: ['global', 'content'],
  serve: ['global', 'content', 'network', 'listen', 'discovery', 'origin', 'serve'],
  get: ['global', 'content', 'network', 'listen', 'discovery', 'origin', 'sources', 'get'],
  cat: ['global', 'content', 'network', 'discovery', 'origin', 'sources'],
  providers: ['global', 'discovery', 'providers'],
  ls: ['global'],
  demo: ['global', 'content', 'network', 'demo']
}

function spec (key: string): OptionSpec {
  const found = OPTIONS.find(o => o.key === key)
  if (found === undefined) throw new Error(`no option ${key}`)
  return found
}

/** Every flag spelling of an option: `-o, --output <file>` gives ['-o', '--output']. */
function spellings (option: OptionSpec): string[] {
  return option.flags.split(/[ ,|]+/).filter(part => /^--?[a-z]/.test(part))
}

describe('the option table', () => {
  it('has one option per key, and every flag spelled once', () => {
    const keys = OPTIONS.map(o => o.key)
    expect(new Set(keys).size).toBe(keys.length)
    const flags = OPTIONS.flatMap(spellings)
    expect(new Set(flags).size).toBe(flags.length)
    for (const scopes of Object.values(COMMAND_SCOPES)) {
      const names = optionsFor(scopes).map(flagName)
      expect(new Set(names).size).toBe(names.length)
    }
  })

  it('names each flag after its key', () => {
    for (const option of OPTIONS) {
      const kebab = '--' + option.key.replace(/[A-Z]/g, c => `-${c.toLowerCase()}`)
      // A boolean that is on unless turned off is spelled --no-<key>.
      expect(flagName(option), option.key).toBe(option.flags.startsWith('--no-') ? kebab.replace(/^--/, '--no-') : kebab)
      expect(SCOPES).toContain(option.scope)
      expect(option.description.length, option.key).toBeGreaterThan(5)
    }
  })

  it('has an option in the config file and as a flag for every ChunkConfig setting of the engine', () => {
    const engineKeys = Object.keys(ChunkConfig.default().toJSON())
    for (const key of engineKeys) {
      const option = spec(key)
      expect(option.inConfigFile, key).toBe(true)
      // The strategy is a name (or a plugin path) that the CLI turns into a Strategy itself.
      if (key !== 'strategy') expect(option.engine, key).toBe(true)
    }
    const engineOptions = OPTIONS.filter(o => o.engine === true).map(o => o.key).sort()
    expect(engineOptions).toEqual(engineKeys.filter(k => k !== 'strategy').sort())
  })

  it('has the spec\'s defaults', () => {
    expect(spec('maxConcurrentDownloads').default).toBe(10)
    expect(spec('chunksPerPeer').default).toBe(4)
    expect(spec('requestTimeout').default).toBe(30_000)
    expect(spec('strategy').default).toBe('rarest-first')
    expect(spec('chunkSize').default).toBe(256 * 1024)
    expect(spec('optimisticUnchokeInterval').default).toBe(30_000)
    expect(spec('minUploadRatio').default).toBe(0.8)
  })

  it('has ChunkConfig.default()\'s value as the default of every engine option', () => {
    const defaults = ChunkConfig.default().toJSON()
    for (const [key, value] of Object.entries(defaults)) {
      expect(spec(key).default, key).toEqual(value)
    }
  })

  it('shows defaults in help that parse to the default', () => {
    for (const option of OPTIONS) {
      if (option.parse === undefined || option.default === undefined || option.defaultText === undefined) continue
      if (/^[\d.]+\s*[A-Za-z]*$/.test(option.defaultText)) {
        expect(option.parse(option.defaultText, flagName(option)), option.key).toEqual(option.default)
      }
    }
    expect(helpText(spec('chunkSize'))).toMatch(/\(default: 256KiB\)$/)
    expect(helpText(spec('chunksPerPeer'))).toMatch(/\(default: 4\)$/)
    expect(helpText(spec('json'))).not.toContain('default')
    expect(helpText(spec('peer'))).not.toContain('default')
  })

  it('parses every default into a value the engine accepts', () => {
    const engine: Record<string, unknown> = {}
    for (const option of OPTIONS.filter(o => o.engine === true)) {
      engine[option.key] = option.parse === undefined ? option.default : option.parse(option.default, flagName(option))
    }
    expect(ChunkConfig.from(engine).toJSON()).toEqual(ChunkConfig.default().toJSON())
  })

  it('keeps whole-number options to the engine\'s own bounds', () => {
    const checked: string[] = []
    for (const option of OPTIONS.filter(o => o.engine === true && o.parse !== undefined)) {
      let message = ''
      try {
        option.parse!('-1', flagName(option))
      } catch (err) {
        message = (err as Error).message
      }
      const bounds = /from (\d+) to (\d+)/.exec(message)
      if (bounds === null) continue
      const [min, max] = [Number(bounds[1]), Number(bounds[2])]
      expect(() => ChunkConfig.from({ [option.key]: min }), option.key).not.toThrow()
      expect(() => ChunkConfig.from({ [option.key]: max }), option.key).not.toThrow()
      expect(() => ChunkConfig.from({ [option.key]: max + 1 }), option.key).toThrow(InvalidConfigError)
      if (min > 0) expect(() => ChunkConfig.from({ [option.key]: min - 1 }), option.key).toThrow(InvalidConfigError)
      expect(() => option.parse!(String(max + 1), flagName(option))).toThrow(UsageError)
      checked.push(option.key)
    }
    expect(checked.sort()).toEqual(['chunksPerPeer', 'cidVersion', 'maxBadChunks', 'maxConcurrentDownloads', 'maxConnections', 'maxConnectionsPerHost', 'maxPeersPerContent', 'maxRequestsServed', 'uploadSlots'])
  })

  it('gives flags taking a value a placeholder, and booleans none', () => {
    for (const option of OPTIONS) {
      const takesValue = /<[^>]+>/.test(option.flags)
      const negatable = option.flags.startsWith('--no-')
      expect(takesValue, option.key).toBe(option.default !== false && !negatable)
    }
  })

  it('collects repeatable options into lists, splitting commas', () => {
    const transport = spec('transport')
    expect(transport.repeatable).toBe(true)
    expect(transport.parse!(['tcp', 'tcp, quic'], '--transport')).toEqual(['tcp', 'tcp', 'quic'])
    expect(() => transport.parse!([' , '], '--transport')).toThrow(/--transport needs at least one value/)
    expect(() => spec('peer').parse!([5], '--peer')).toThrow(UsageError)
  })

  it('checks choices and text', () => {
    expect(spec('cidVersion').parse!('0', '--cid-version')).toBe(0)
    expect(() => spec('cidVersion').parse!('2', '--cid-version')).toThrow(/--cid-version/)
    expect(() => spec('dataDir').parse!('  ', '--data-dir')).toThrow('--data-dir needs a value')
    expect(() => spec('json').parse!('yes', '--json')).toThrow(/--json is true or false/)
  })
})

describe('flagName', () => {
  it('takes the long flag, skipping a short one and the placeholder', () => {
    expect(flagName(spec('output'))).toBe('--output')
    expect(flagName(spec('chunksPerPeer'))).toBe('--chunks-per-peer')
    expect(flagName({ key: 'x', flags: '-x', description: '', scope: 'global', inConfigFile: false })).toBe('x')
  })
})

describe('optionsFor', () => {
  it('gives the options of the scopes, in table order', () => {
    expect(optionsFor(['global']).map(o => o.key)).toEqual(['dataDir', 'config', 'json', 'debug'])
    const get = optionsFor(COMMAND_SCOPES.get).map(o => o.key)
    expect(get).toContain('peer')
    expect(get).toContain('seed')
    expect(get).not.toContain('peers')
    expect(optionsFor(COMMAND_SCOPES.add).map(o => o.key)).not.toContain('requestTimeout')
    expect(optionsFor([])).toEqual([])
  })
})
