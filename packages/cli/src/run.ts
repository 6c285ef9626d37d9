import { createRequire } from 'node:module'
import { Command, CommanderError, Option } from 'commander'
import { InvalidAddressError, InvalidConfigError, InvalidContentIdError } from '@codio-chunk/core'
import { UsageError, ExitCode } from './errors.js'
import { optionsFor, helpText } from './options.js'
import type { OptionScope } from './options.js'
import { resolveSettings } from './settings.js'
import { Output } from './output.js'
import type { CliIo } from './io.js'
import { addCommand } from './commands/add.js'
import { serveCommand } from './commands/serve.js'
import { getCommand } from './commands/get.js'
import { lsCommand, statCommand, rmCommand } from './commands/store.js'
import { demoCommand } from './commands/demo.js'
import type { CommandContext } from './commands/context.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

interface CommandSpec {
  name: string
  args: string
  summary: string
  scopes: OptionScope[]
  examples: string[]
  action: (args: string[], ctx: CommandContext) => Promise<void>
}

const COMMANDS: CommandSpec[] = [
  {
    name: 'add',
    args: '<files...>',
    summary: 'store files in the data dir and print their CIDs (the CIDs `ipfs add` gives with the same chunk size and CID version); - reads stdin',
    scopes: ['global', 'content'],
    examples: ['codio-chunk add video.mp4', 'codio-chunk add --cid-version 0 notes.txt   # the Qm… CID `ipfs add` prints'],
    action: async (args, ctx) => { await addCommand(args, ctx) }
  },
  {
    name: 'serve',
    args: '',
    summary: 'run a node that serves everything in the store until Ctrl-C',
    scopes: ['global', 'content', 'network', 'listen'],
    examples: ['codio-chunk serve', 'codio-chunk serve --listen tcp://0.0.0.0:4001 --listen tcp://[::]:4001 --upload-limit 50MiB/s'],
    action: async (_args, ctx) => { await serveCommand(ctx) }
  },
  {
    name: 'get',
    args: '<cid>',
    summary: 'download content by CID from providers, verify it and write it to a file (resumes if interrupted)',
    scopes: ['global', 'content', 'network', 'listen', 'get'],
    examples: ['codio-chunk get bafkrei… --peer tcp://10.0.0.5:4001 --peer tcp://10.0.0.6:4001 -o video.mp4', 'codio-chunk get bafkrei… --peers-file peers.txt --seed'],
    action: async (args, ctx) => { await getCommand(args[0], ctx) }
  },
  {
    name: 'ls',
    args: '',
    summary: 'list the contents in the store with their size and completeness',
    scopes: ['global'],
    examples: ['codio-chunk ls', 'codio-chunk ls --json'],
    action: async (_args, ctx) => { await lsCommand(ctx) }
  },
  {
    name: 'stat',
    args: '<cid>',
    summary: 'show a stored content\'s manifest, chunk count and completeness',
    scopes: ['global'],
    examples: ['codio-chunk stat bafkrei…'],
    action: async (args, ctx) => { await statCommand(args[0], ctx) }
  },
  {
    name: 'rm',
    args: '<cids...>',
    summary: 'delete contents from the store',
    scopes: ['global'],
    examples: ['codio-chunk rm bafkrei…'],
    action: async (args, ctx) => { await rmCommand(args, ctx) }
  },
  {
    name: 'demo',
    args: '',
    summary: 'run a local swarm on loopback: one seeder, several peers fetching a generated file at once',
    scopes: ['global', 'content', 'network', 'demo'],
    examples: ['codio-chunk demo', 'codio-chunk demo --peers 8 --size 256MiB --strategy random'],
    action: async (_args, ctx) => { await demoCommand(ctx) }
  }
]

function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** One line that says what went wrong, and the exit code for it. */
function failure (err: unknown): { message: string, code: number } {
  if (err instanceof UsageError) return { message: err.message, code: ExitCode.usage }
  if (err instanceof InvalidAddressError || err instanceof InvalidConfigError || err instanceof InvalidContentIdError) {
    return { message: err.message, code: ExitCode.usage }
  }
  const message = err instanceof Error ? err.message : String(err)
  return { message: message.split('\n')[0], code: ExitCode.failure }
}

function buildProgram (io: CliIo, chosen: { run?: () => Promise<void> }): Command {
  const program = new Command('codio-chunk')
  program
    .description('BitTorrent-style content distribution with IPFS content ids: add, serve and fetch content from many peers at once')
    .version(version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => { io.stdout.write(text) },
      writeErr: (text) => { io.stderr.write(text) },
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100
    })
    .addHelpText('after', '\nExit codes: 0 ok, 1 failure, 2 usage error. Run codio-chunk <command> --help for a command\'s options.')

  for (const spec of COMMANDS) {
    const command = program.command(spec.name).description(spec.summary).exitOverride()
    if (spec.args !== '') command.arguments(spec.args)
    for (const option of optionsFor(spec.scopes)) {
      const made = new Option(option.flags, helpText(option))
      if (option.repeatable === true) made.argParser(collect)
      command.addOption(made)
    }
    command.addHelpText('after', `\nExamples:\n${spec.examples.map(e => `  ${e}`).join('\n')}\n`)
    command.action(async (...params: unknown[]) => {
      // Commander passes the declared arguments, then the options object and the command.
      const cmd = params[params.length - 1] as Command
      const args = cmd.args
      const flags = cmd.opts()
      chosen.run = async () => {
        const settings = await resolveSettings(optionsFor(spec.scopes), flags, io.env, io.cwd)
        const out = new Output(io, settings.values.json === true)
        await spec.action(args, { settings, io, out })
      }
    })
  }
  return program
}

/**
 * Runs `codio-chunk` with these arguments (without `node` and the script name) and resolves with
 * the exit code: 0 ok, 1 failure, 2 usage error. Everything it prints goes through `io`, so it can
 * be embedded or tested without a child process.
 *
 * @example
 * ```ts
 * import { run } from '@codio-chunk/cli'
 * const code = await run(['ls', '--json', '--data-dir', './node-data'])
 * process.exitCode = code
 * ```
 */
export async function run (argv: readonly string[], partialIo: Partial<CliIo> = {}): Promise<number> {
  const io: CliIo = {
    stdout: partialIo.stdout ?? process.stdout,
    stderr: partialIo.stderr ?? process.stderr,
    stdin: partialIo.stdin ?? process.stdin,
    env: partialIo.env ?? process.env,
    cwd: partialIo.cwd ?? process.cwd(),
    signal: partialIo.signal ?? new AbortController().signal
  }
  const chosen: { run?: () => Promise<void> } = {}
  const program = buildProgram(io, chosen)
  const json = argv.includes('--json')
  const debug = argv.includes('--debug')
  try {
    await program.parseAsync([...argv], { from: 'user' })
    if (chosen.run === undefined) {
      program.outputHelp({ error: true })
      return ExitCode.usage
    }
    await chosen.run()
    return ExitCode.ok
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok
      if (err.code === 'commander.help') return ExitCode.usage
      if (json) io.stdout.write(`${JSON.stringify({ error: { name: 'UsageError', message: err.message.replace(/^error: /, '') } })}\n`)
      return ExitCode.usage
    }
    const { message, code } = failure(err)
    if (json) io.stdout.write(`${JSON.stringify({ error: { name: (err as Error).name ?? 'Error', code: (err as { code?: unknown }).code, message } })}\n`)
    io.stderr.write(`error: ${message}\n`)
    if (debug && err instanceof Error && err.stack !== undefined) io.stderr.write(`${err.stack}\n`)
    return code
  }
}
