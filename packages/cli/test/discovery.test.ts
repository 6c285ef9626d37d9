import { describe, expect, it } from 'vitest'
import { parseCommandLine } from '../src/command-line.js'
import { dhtEnabled, discoveriesFor } from '../src/discovery.js'
import { optionsFor } from '../src/options.js'
import { settingsFrom } from '../src/settings.js'
import { UsageError } from '../src/errors.js'

const SCOPES = optionsFor(['global', 'discovery'])

function flagsOf (argv: string[]): Record<string, unknown> {
  const line = parseCommandLine(argv)
  if (line.kind !== 'command') throw new Error('not a command')
  return line.flags
}

describe('discovery settings', () => {
  it('has the DHT on unless --no-dht, the config file or $CODIO_CHUNK_DHT=off says otherwise, in that order', () => {
    const cid = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    expect(flagsOf(['get', cid])).not.toHaveProperty('dht')
    expect(flagsOf(['get', cid, '--no-dht']).dht).toBe(false)
    const plain = settingsFrom(SCOPES, {}, '/d')
    expect(dhtEnabled(plain, {})).toBe(true)
    expect(dhtEnabled(plain, { CODIO_CHUNK_DHT: 'off' })).toBe(false)
    const configOn = settingsFrom(SCOPES, {}, '/d', { path: 'c.json', values: { dht: true } })
    expect(dhtEnabled(configOn, { CODIO_CHUNK_DHT: 'off' })).toBe(true)
    const flagOff = settingsFrom(SCOPES, { dht: false }, '/d', { path: 'c.json', values: { dht: true } })
    expect(dhtEnabled(flagOff, {})).toBe(false)
  })

  it('builds a DHT discovery and one for the trackers given', () => {
    const settings = settingsFrom(SCOPES, { bootstrap: ['127.0.0.1:6881'], tracker: ['udp://127.0.0.1:6969'] }, '/d')
    expect(discoveriesFor(settings, {})).toHaveLength(2)
    expect(discoveriesFor(settings, { CODIO_CHUNK_DHT: 'off' })).toHaveLength(1)
    expect(discoveriesFor(settingsFrom(SCOPES, {}, '/d'), { CODIO_CHUNK_DHT: 'off' })).toHaveLength(0)
  })

  it('refuses bootstrap nodes that are not host:port and trackers that are not tracker URLs', () => {
    expect(() => settingsFrom(SCOPES, { bootstrap: ['router.bittorrent.com'] }, '/d')).toThrow(UsageError)
    expect(() => settingsFrom(SCOPES, { bootstrap: ['h:99999'] }, '/d')).toThrow(/host:port/)
    expect(settingsFrom(SCOPES, { bootstrap: ['[::1]:6881,10.0.0.1:1'] }, '/d').values.bootstrap).toEqual(['[::1]:6881', '10.0.0.1:1'])
    expect(() => settingsFrom(SCOPES, { tracker: ['ftp://x/announce'] }, '/d')).toThrow(/tracker URLs/)
    expect(() => settingsFrom(SCOPES, { dhtPort: '70000' }, '/d')).toThrow(UsageError)
  })
})
