import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UsageError } from '../src/errors.js'
import { parsePeersFile, providersFrom } from '../src/providers.js'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-cli-providers-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function usageErrorOf (promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(UsageError)
  return err as UsageError
}

describe('parsePeersFile', () => {
  it('reads one address per line, skipping comments and blank lines', () => {
    const text = [
      '# providers for the video',
      'tcp://127.0.0.1:4001  # rack 1',
      '',
      '   ',
      '\ttcp://[::1]:4002\t',
      '#tcp://127.0.0.1:9999',
      'tcp://example.com:4003#no space before the comment'
    ].join('\n')
    expect(parsePeersFile(text, 'peers.txt')).toEqual(['tcp://127.0.0.1:4001', 'tcp://[::1]:4002', 'tcp://example.com:4003'])
  })

  it('reads CRLF line ends, a last line without an end, and a byte-order mark', () => {
    expect(parsePeersFile('\uFEFFtcp://127.0.0.1:1\r\ntcp://127.0.0.1:2\r\n\r\ntcp://127.0.0.1:3', 'p')).toEqual([
      'tcp://127.0.0.1:1', 'tcp://127.0.0.1:2', 'tcp://127.0.0.1:3'
    ])
  })

  it('gives nothing for an empty or comment-only file', () => {
    expect(parsePeersFile('', 'p')).toEqual([])
    expect(parsePeersFile('# nobody yet\n\n', 'p')).toEqual([])
  })

  it('refuses a bad address, naming the file and the line', () => {
    let err: unknown
    try {
      parsePeersFile('tcp://127.0.0.1:1\r\n# comment\n\n127.0.0.1:4001\n', 'peers.txt')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(UsageError)
    expect((err as Error).message).toMatch(/^peers\.txt line 4: /)
    expect((err as Error).message).toContain('127.0.0.1:4001')
  })

  it.each(['tcp://127.0.0.1', 'tcp://127.0.0.1:70000', 'tcp://::1:4001', 'tcp://1.2.3.4.5:1', 'tcp://127.0.0.1:1 tcp://127.0.0.1:2'])('refuses %j', (address) => {
    expect(() => parsePeersFile(address, 'p')).toThrow(/^p line 1: /)
  })
})

describe('providersFrom', () => {
  it('gives nothing without flags or file', async () => {
    expect(await providersFrom(undefined, undefined, dir)).toEqual([])
  })

  it('checks --peer addresses, naming the flag', async () => {
    const err = await usageErrorOf(providersFrom(['tcp://127.0.0.1:1', 'nonsense'], undefined, dir))
    expect(err.message).toMatch(/^--peer: /)
    expect(err.message).toContain('nonsense')
  })

  it('joins --peer flags and the peers file (relative to cwd), in order, without duplicates', async () => {
    await writeFile(join(dir, 'peers.txt'), 'tcp://127.0.0.1:2\ntcp://127.0.0.1:1\nTCP://127.0.0.1:3\ntcp://127.0.0.1:2\n')
    const providers = await providersFrom(['tcp://127.0.0.1:1', 'tcp://127.0.0.1:3'], 'peers.txt', dir)
    expect(providers).toEqual(['tcp://127.0.0.1:1', 'tcp://127.0.0.1:3', 'tcp://127.0.0.1:2'])
  })

  it('counts addresses spelled differently as one', async () => {
    const providers = await providersFrom(['tcp://Example.COM:4001', 'tcp://example.com:4001', 'TCP://[::1]:1', 'tcp://[::1]:1'], undefined, dir)
    expect(providers).toEqual(['tcp://Example.COM:4001', 'TCP://[::1]:1'])
  })

  it('names the file and the line of a bad address in the peers file', async () => {
    const path = join(dir, 'bad-peers.txt')
    await writeFile(path, 'tcp://127.0.0.1:1\ntcp://127.0.0.1:port\n')
    const err = await usageErrorOf(providersFrom([], path, '/'))
    expect(err.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} line 2: `))
  })

  it('refuses a missing peers file', async () => {
    const err = await usageErrorOf(providersFrom([], 'nope.txt', dir))
    expect(err.message).toBe(`--peers-file ${join(dir, 'nope.txt')} does not exist`)
  })

  it('refuses a directory as the peers file', async () => {
    await mkdir(join(dir, 'a-dir'))
    const err = await usageErrorOf(providersFrom([], 'a-dir', dir))
    expect(err.message).toContain(`cannot read --peers-file ${join(dir, 'a-dir')}`)
  })

  it('reads a peers file of exactly 1 MiB, and refuses a larger one', async () => {
    const line = 'tcp://127.0.0.1:4001\n'
    const comment = '#'.repeat(1024 * 1024 - line.length - 1) + '\n'
    await writeFile(join(dir, 'full.txt'), line + comment)
    expect(await providersFrom([], 'full.txt', dir)).toEqual(['tcp://127.0.0.1:4001'])
    await writeFile(join(dir, 'big.txt'), line + comment + '\n')
    const err = await usageErrorOf(providersFrom([], 'big.txt', dir))
    expect(err.message).toContain('larger than 1 MiB')
    expect(err.message).toContain(join(dir, 'big.txt'))
  })

  it.skipIf(!existsSync('/dev/zero'))('reads only a bounded part of an endless file', async () => {
    const err = await usageErrorOf(providersFrom([], '/dev/zero', dir))
    expect(err.message).toContain('larger than 1 MiB')
  })
})
