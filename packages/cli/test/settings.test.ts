import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import { optionsFor } from '../src/options.js'
import { CONFIG_FILE, dataDirFrom, resolveSettings, settingsFrom } from '../src/settings.js'
import { parseConfigFile } from '../src/config-file.js'

const ALL = optionsFor(['global', 'content', 'network', 'listen', 'get', 'demo'])

let dir: string
let dataDir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-cli-settings-'))
  dataDir = join(dir, 'data')
  await mkdir(dataDir)
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function writeConfig (path: string, body: unknown): Promise<void> {
  await writeFile(path, typeof body === 'string' ? body : JSON.stringify(body))
}

async function usageErrorOf (promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(UsageError)
  return err as UsageError
}

describe('dataDirFrom', () => {
  it('prefers --data-dir, resolved against cwd', () => {
    expect(dataDirFrom('node-a', { CODIO_CHUNK_HOME: '/elsewhere' }, '/srv')).toBe('/srv/node-a')
    expect(dataDirFrom('/abs/dir', {}, '/srv')).toBe('/abs/dir')
  })

  it('falls back to $CODIO_CHUNK_HOME, resolved against cwd', () => {
    expect(dataDirFrom(undefined, { CODIO_CHUNK_HOME: '/var/codio' }, '/srv')).toBe('/var/codio')
    expect(dataDirFrom(undefined, { CODIO_CHUNK_HOME: 'rel' }, '/srv')).toBe('/srv/rel')
    expect(dataDirFrom('', { CODIO_CHUNK_HOME: '/var/codio' }, '/srv')).toBe('/var/codio')
  })

  it('falls back to ~/.codio-chunk when neither is set', () => {
    expect(dataDirFrom(undefined, {}, '/srv')).toBe(join(homedir(), '.codio-chunk'))
    expect(dataDirFrom(undefined, { CODIO_CHUNK_HOME: '' }, '/srv')).toBe(join(homedir(), '.codio-chunk'))
  })
})

describe('resolveSettings', () => {
  it('gives the defaults when there is no flag and no config file', async () => {
    const settings = await resolveSettings(ALL, { dataDir }, {}, dir)
    expect(settings.dataDir).toBe(dataDir)
    expect(settings.configFile).toBeUndefined()
    expect(settings.values).toMatchObject({
      dataDir,
      chunkSize: 256 * 1024,
      maxConcurrentDownloads: 10,
      chunksPerPeer: 4,
      requestTimeout: 30_000,
      strategy: 'rarest-first',
      transport: ['tcp'],
      json: false,
      verifier: 'sha256'
    })
    expect(settings.values.peer).toBeUndefined()
  })

  it('takes --data-dir relative to cwd, and $CODIO_CHUNK_HOME when there is no flag', async () => {
    expect((await resolveSettings(ALL, { dataDir: 'data' }, {}, dir)).dataDir).toBe(dataDir)
    const fromEnv = await resolveSettings(ALL, {}, { CODIO_CHUNK_HOME: 'data' }, dir)
    expect(fromEnv.dataDir).toBe(dataDir)
    expect(fromEnv.values.dataDir).toBe(dataDir)
  })

  it('reads the data dir\'s config file when present, including values with units', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), {
      requestTimeout: '60s',
      chunkSize: '1MiB',
      uploadLimit: '8MiB/s',
      chunksPerPeer: 8,
      minUploadRatio: 1.5,
      transport: 'tcp',
      listen: ['tcp://127.0.0.1:0'],
      strategy: 'sequential'
    })
    const settings = await resolveSettings(ALL, { dataDir }, {}, dir)
    expect(settings.configFile).toBe(join(dataDir, CONFIG_FILE))
    expect(settings.values).toMatchObject({
      requestTimeout: 60_000,
      chunkSize: 1024 ** 2,
      uploadLimit: 8 * 1024 ** 2,
      chunksPerPeer: 8,
      minUploadRatio: 1.5,
      transport: ['tcp'],
      listen: ['tcp://127.0.0.1:0'],
      strategy: 'sequential',
      maxConcurrentDownloads: 10
    })
  })

  it('finds the config file in the data dir named by $CODIO_CHUNK_HOME', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), { chunksPerPeer: 16 })
    const settings = await resolveSettings(ALL, {}, { CODIO_CHUNK_HOME: dataDir }, '/')
    expect(settings.values.chunksPerPeer).toBe(16)
  })

  it('lets a flag win over the config file, and the config file over the default', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), { chunksPerPeer: 8, requestTimeout: '60s' })
    const settings = await resolveSettings(ALL, { dataDir, chunksPerPeer: '12' }, {}, dir)
    expect(settings.values.chunksPerPeer).toBe(12)
    expect(settings.values.requestTimeout).toBe(60_000)
    expect(settings.values.maxConcurrentDownloads).toBe(10)
  })

  it('only fills in the options of the command', async () => {
    const settings = await resolveSettings(optionsFor(['global']), { dataDir }, {}, dir)
    expect(Object.keys(settings.values).sort()).toEqual(['config', 'dataDir', 'debug', 'json'])
  })

  it('reads an explicit --config relative to cwd instead of the data dir\'s file', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), '{ not json')
    await writeConfig(join(dir, 'custom.json'), { maxConnections: 7 })
    const settings = await resolveSettings(ALL, { dataDir, config: 'custom.json' }, {}, dir)
    expect(settings.configFile).toBe(join(dir, 'custom.json'))
    expect(settings.values.maxConnections).toBe(7)
  })

  it('refuses a --config file that does not exist', async () => {
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir, config: 'missing.json' }, {}, dir))
    expect(err.message).toContain(join(dir, 'missing.json'))
    expect(err.message).toContain('--config')
  })

  it('refuses an empty --config', async () => {
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir, config: ' ' }, {}, dir))
    expect(err.message).toContain('--config')
  })

  it('refuses a config file that is not valid JSON, naming the file', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), '{ "chunksPerPeer": 8, }')
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain(join(dataDir, CONFIG_FILE))
    expect(err.message).toContain('not valid JSON')
  })

  it.each(['[]', 'null', '5', '"text"', '[{"chunksPerPeer": 8}]'])('refuses a config file holding %s rather than an object', async (body) => {
    await writeConfig(join(dataDir, CONFIG_FILE), body)
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain(join(dataDir, CONFIG_FILE))
    expect(err.message).toContain('JSON object')
  })

  it('refuses an unknown key, naming the key and the file', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), { chunksPerPeer: 8, chunkSizee: '1MiB' })
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain('"chunkSizee"')
    expect(err.message).toContain(join(dataDir, CONFIG_FILE))
    expect(err.message).toContain('chunkSize')
  })

  it('refuses a __proto__ key rather than ignoring it', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), '{"__proto__": {"chunksPerPeer": 99}}')
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain('"__proto__"')
  })

  it('refuses options that only a flag can set, naming the flag', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), { dataDir: '/elsewhere' })
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain('"dataDir"')
    expect(err.message).toContain('--data-dir')
    expect(err.message).toContain(join(dataDir, CONFIG_FILE))
  })

  it('checks config values, naming the key and the file', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), { requestTimeout: 'soon' })
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain(`"requestTimeout" in ${join(dataDir, CONFIG_FILE)}`)
    expect(err.message).toContain('duration')
  })

  it('refuses a null config value', async () => {
    await writeConfig(join(dataDir, CONFIG_FILE), { chunksPerPeer: null })
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain('"chunksPerPeer"')
  })

  it('checks flag values, naming the flag', async () => {
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir, chunksPerPeer: 'many' }, {}, dir))
    expect(err.message).toContain('--chunks-per-peer')
  })

  it.each([
    ['deeply nested', `{"chunksPerPeer": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`],
    ['deeply nested in a list', `{"listen": [${'['.repeat(10_000)}${']'.repeat(10_000)}]}`],
    ['a huge list', `{"uploadSlots": [${Array.from({ length: 200_000 }, () => '1').join(',')}]}`],
    ['a long run of blanks', `{"requestTimeout": "30${' '.repeat(200_000)}!"}`],
    ['a huge unknown key', `{"${'k'.repeat(200_000)}": 1}`]
  ])('refuses a config value that is %s at once, with a message of one short line', async (_what, body) => {
    await writeConfig(join(dataDir, CONFIG_FILE), body)
    const started = performance.now()
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(performance.now() - started).toBeLessThan(2000)
    expect(err.message).toContain(join(dataDir, CONFIG_FILE))
    expect(err.message.length).toBeLessThan(1000)
  })

  it('refuses a config file larger than 1 MiB, reading no more of it', async () => {
    await writeConfig(join(dir, 'big.json'), `{${' '.repeat(2 * 1024 * 1024)}}`)
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir, config: 'big.json' }, {}, dir))
    expect(err.message).toBe(`config file ${join(dir, 'big.json')} is larger than 1 MiB: is it the right file?`)
  })

  it.skipIf(!existsSync('/dev/zero'))('reads only a bounded part of an endless --config file', async () => {
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir, config: '/dev/zero' }, {}, dir))
    expect(err.message).toContain('larger than 1 MiB')
  })

  it('reports a config path that is a directory as a UsageError', async () => {
    await mkdir(join(dataDir, CONFIG_FILE))
    const err = await usageErrorOf(resolveSettings(ALL, { dataDir }, {}, dir))
    expect(err.message).toContain(join(dataDir, CONFIG_FILE))
  })
})

describe('settingsFrom and parseConfigFile, without I/O', () => {
  it('merges flags over config values over defaults, naming where a bad value came from', () => {
    const config = { path: '/n/codio-chunk.config.json', values: parseConfigFile('{"chunksPerPeer": 8, "requestTimeout": "60s"}', '/n/codio-chunk.config.json') }
    const settings = settingsFrom(ALL, { chunksPerPeer: '16' }, '/n', config)
    expect(settings).toMatchObject({ dataDir: '/n', configFile: '/n/codio-chunk.config.json' })
    expect(settings.values).toMatchObject({ chunksPerPeer: 16, requestTimeout: 60_000, chunkSize: 256 * 1024, dataDir: '/n' })
    expect(() => settingsFrom(ALL, {}, '/n', { path: 'c.json', values: { chunksPerPeer: 'many' } })).toThrow('"chunksPerPeer" in c.json takes a whole number')
    expect(settingsFrom(ALL, {}, '/n').configFile).toBeUndefined()
  })

  it('parseConfigFile refuses what resolveSettings refuses, naming the path', () => {
    expect(() => parseConfigFile('{', 'c.json')).toThrow(/^config file c\.json is not valid JSON/)
    expect(() => parseConfigFile('[]', 'c.json')).toThrow(/must hold a JSON object/)
    expect(() => parseConfigFile('{"peer": "tcp://a:1"}', 'c.json')).toThrow(/only the --peer flag can set/)
    expect(() => parseConfigFile('{"nope": 1}', 'c.json')).toThrow(/unknown option "nope"/)
  })
})
