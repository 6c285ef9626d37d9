import { describe, expect, it } from 'vitest'
import { COMMANDS, parseCommandLine } from '../src/command-line.js'
import type { CommandLine } from '../src/command-line.js'
import { UsageError } from '../src/errors.js'
import { run } from '../src/run.js'

const CID = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'

function command (line: CommandLine): Extract<CommandLine, { kind: 'command' }> {
  if (line.kind !== 'command') throw new Error(`expected a command, got ${JSON.stringify(line)}`)
  return line
}

function usageError (argv: string[]): UsageError {
  try {
    parseCommandLine(argv)
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError)
    return err as UsageError
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(argv)}`)
}

function capture (): { write: (chunk: string | Uint8Array) => boolean, text: () => string } {
  let text = ''
  return { write: (chunk) => { text += String(chunk); return true }, text: () => text }
}

describe('parseCommandLine', () => {
  it('gives the command, its arguments and its flags as typed, repeatable flags as lists', () => {
    const line = command(parseCommandLine(['get', CID, '--peer', 'tcp://10.0.0.5:4001', '--chunks-per-peer', '8', '--peer', 'tcp://10.0.0.6:4001', '--seed', '-o', 'out.bin']))
    expect(line.command.name).toBe('get')
    expect(line.args).toEqual([CID])
    expect(line.flags).toEqual({ peer: ['tcp://10.0.0.5:4001', 'tcp://10.0.0.6:4001'], chunksPerPeer: '8', seed: true, output: 'out.bin' })
  })

  it('takes --flag=value and every argument of a command with several', () => {
    const line = command(parseCommandLine(['add', 'a.txt', '--chunk-size=1MiB', 'b.txt', '-']))
    expect(line.args).toEqual(['a.txt', 'b.txt', '-'])
    expect(line.flags).toEqual({ chunkSize: '1MiB' })
  })

  it('starts every parse afresh: no flag or argument of an earlier command line stays', () => {
    command(parseCommandLine(['get', CID, '--peer', 'tcp://10.0.0.5:4001', '--json']))
    expect(() => parseCommandLine(['get', '--peer', 'tcp://10.0.0.5:4001'])).toThrow(UsageError)
    const again = command(parseCommandLine(['get', CID]))
    expect(again.flags).toEqual({})
    expect(again.args).toEqual([CID])
  })

  it('knows every command of the table', () => {
    expect(COMMANDS.map(c => c.name)).toEqual(['add', 'serve', 'get', 'cat', 'providers', 'ls', 'stat', 'rm', 'demo'])
    for (const spec of COMMANDS) {
      const args = spec.args === '' ? [] : ['x']
      expect(command(parseCommandLine([spec.name, ...args])).command).toBe(spec)
    }
  })

  it('returns help and the version as text for stdout, exit 0', () => {
    const help = parseCommandLine(['get', '--help'])
    expect(help).toMatchObject({ kind: 'print', stream: 'stdout', exitCode: 0 })
    expect((help as { text: string }).text).toMatch(/^Usage: codio-chunk get \[options\] <cid>/)
    expect((help as { text: string }).text).toContain('Examples:')
    expect(parseCommandLine(['--version'])).toMatchObject({ kind: 'print', stream: 'stdout', exitCode: 0, text: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) })
  })

  it('documents --http, --origin, cat and the exit codes in the help', () => {
    const text = (argv: string[]): string => (parseCommandLine(argv, { stdout: 200 }) as { text: string }).text
    expect(text(['serve', '--help'])).toMatch(/--http <host:port> +also serve the store over HTTP/)
    expect(text(['serve', '--help'])).toMatch(/--origin <url> +HTTP trustless gateway to fall back to \(repeatable\)/)
    expect(text(['get', '--help'])).toMatch(/--origin <url>/)
    expect(text(['cat', '--help'])).toMatch(/^Usage: codio-chunk cat \[options\] <cid>\n\nwrite content to stdout in order while it downloads/)
    expect(text(['cat', '--help'])).toMatch(/--origin <url>[\s\S]*--peer <address>/)
    expect(text(['cat', '--help'])).not.toMatch(/^ +(-o, --output|--seed|--listen|--http) /m)
    expect(text(['--help'])).toMatch(/130 interrupted by Ctrl-C/)
  })

  it('returns the help for stderr, exit 2, when no command is given', () => {
    const line = parseCommandLine([])
    expect(line).toMatchObject({ kind: 'print', stream: 'stderr', exitCode: 2 })
    expect((line as { text: string }).text).toMatch(/^Usage: codio-chunk \[options\] \[command\]/)
  })

  it('wraps help text to the width given', () => {
    const lines = (columns: number): number => (parseCommandLine(['serve', '--help'], { stdout: columns }) as { text: string }).text.split('\n').length
    expect(lines(100)).toBeGreaterThan(lines(200))
  })

  it('refuses a bad command line with a UsageError in commander\'s words', () => {
    expect(usageError(['get', CID, '--peers', 'x']).message).toBe('unknown option \'--peers\'\n(Did you mean --peer?)')
    expect(usageError(['fetch', CID]).message).toMatch(/^unknown command 'fetch'/)
    expect(usageError(['get']).message).toBe('missing required argument \'cid\'')
    expect(usageError(['get', CID, '--chunks-per-peer']).message).toBe('option \'--chunks-per-peer <n>\' argument missing')
    expect(usageError(['stat', CID, 'extra']).message).toMatch(/^too many arguments for 'stat'/)
  })

  it('cuts a long argument it quotes, so the message stays short', () => {
    const long = `--upload-limit=1${' '.repeat(20_000)}!`
    expect(usageError(['add', 'x', long]).message).toBe(`unknown option '${long.slice(0, 80)}…'`)
    expect(usageError(['x'.repeat(50_000)]).message.length).toBeLessThan(200)
  })

  it('cuts a long argument it quotes even when another argument is part of it', () => {
    const tail = `${' '.repeat(20_000)}KiB!`
    const long = `--max-concurrent-downloads=1${' '.repeat(3000)}${tail}`
    expect(usageError(['add', tail, long]).message).toBe(`unknown option '${long.slice(0, 80)}…'`)
  })
})

describe('run and the command line', () => {
  it('prints help on stdout and exits 0', async () => {
    const stdout = capture()
    const stderr = capture()
    expect(await run(['ls', '--help'], { stdout, stderr, env: {} })).toBe(0)
    expect(stdout.text()).toMatch(/^Usage: codio-chunk ls/)
    expect(stderr.text()).toBe('')
  })

  it('reports a bad command line once, as one error line (and as JSON with --json), exit 2', async () => {
    const stdout = capture()
    const stderr = capture()
    expect(await run(['ls', '--bogus', '--json'], { stdout, stderr, env: {} })).toBe(2)
    expect(stderr.text()).toBe('error: unknown option \'--bogus\'\n')
    expect(JSON.parse(stdout.text())).toEqual({ error: { name: 'UsageError', message: 'unknown option \'--bogus\'' } })
  })
})
