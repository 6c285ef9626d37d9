import { InvalidAddressError, InvalidConfigError, InvalidContentIdError } from '@codio-chunk/core'
import { UsageError, ExitCode, InterruptedError } from './errors.js'
import { watchStdout } from './stdout.js'
import { optionsFor } from './options.js'
import { parseCommandLine } from './command-line.js'
import { resolveSettings } from './settings.js'
import { Output } from './output.js'
import type { CliIo } from './io.js'
import { addCommand } from './commands/add.js'
import { serveCommand } from './commands/serve.js'
import { getCommand } from './commands/get.js'
import { catCommand } from './commands/cat.js'
import { lsCommand, statCommand, rmCommand } from './commands/store.js'
import { demoCommand } from './commands/demo.js'
import { providersCommand } from './commands/providers.js'
import type { CommandContext } from './commands/context.js'

/** What each command of the command line (see COMMANDS) does. */
const ACTIONS: Record<string, (args: string[], ctx: CommandContext) => Promise<void>> = {
  add: async (args, ctx) => { await addCommand(args, ctx) },
  serve: async (_args, ctx) => { await serveCommand(ctx) },
  get: async (args, ctx) => { await getCommand(args[0], ctx) },
  cat: async (args, ctx) => { await catCommand(args[0], ctx) },
  ls: async (_args, ctx) => { await lsCommand(ctx) },
  stat: async (args, ctx) => { await statCommand(args[0], ctx) },
  rm: async (args, ctx) => { await rmCommand(args, ctx) },
  providers: async (args, ctx) => { await providersCommand(args[0], ctx) },
  demo: async (_args, ctx) => { await demoCommand(ctx) }
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

/**
 * Runs `codio-chunk` with these arguments (without `node` and the script name) and resolves with
 * the exit code: 0 ok, 1 failure, 2 usage error, 130 interrupted by SIGINT (when `io.signal`
 * aborts with an `InterruptedError` for it). Everything it prints goes through `io`, so it can be
 * embedded or tested without a child process. A stdout whose reader went away (`| head`) ends the
 * command quietly with 0: it stops, cleans up, and prints nothing more.
 *
 * @example
 * ```ts
 * import { run } from '@codio-chunk/cli'
 * const code = await run(['ls', '--json', '--data-dir', './node-data'])
 * process.exitCode = code
 * ```
 */
export async function run (argv: readonly string[], partialIo: Partial<CliIo> = {}): Promise<number> {
  const interrupt = partialIo.signal ?? new AbortController().signal
  const stdoutFailed = new AbortController()
  const stdout = partialIo.stdout ?? process.stdout
  const watch = watchStdout(stdout, stdoutFailed)
  const io: CliIo = {
    stdout,
    stderr: partialIo.stderr ?? process.stderr,
    stdin: partialIo.stdin ?? process.stdin,
    env: partialIo.env ?? process.env,
    cwd: partialIo.cwd ?? process.cwd(),
    signal: AbortSignal.any([interrupt, stdoutFailed.signal])
  }
  const json = argv.includes('--json')
  const debug = argv.includes('--debug')
  const sigint = (): boolean => interrupt.aborted && interrupt.reason instanceof InterruptedError && interrupt.reason.signal === 'SIGINT'
  try {
    const line = parseCommandLine(argv, { stdout: io.stdout.columns, stderr: io.stderr.columns })
    if (line.kind === 'print') {
      io[line.stream].write(line.text)
      return watch.closedByReader ? ExitCode.ok : line.exitCode
    }
    const settings = await resolveSettings(optionsFor(line.command.scopes), line.flags, io.env, io.cwd)
    const out = new Output(io, settings.values.json === true)
    await ACTIONS[line.command.name](line.args, { settings, io, out })
    if (watch.closedByReader) return ExitCode.ok
    if (watch.failure !== undefined) throw watch.failure
    return sigint() ? ExitCode.interrupted : ExitCode.ok
  } catch (err) {
    if (watch.closedByReader) return ExitCode.ok
    const { message, code } = failure(err)
    if (json && watch.failure === undefined) io.stdout.write(`${JSON.stringify({ error: { name: (err as Error).name ?? 'Error', code: (err as { code?: unknown }).code, message } })}\n`)
    io.stderr.write(`error: ${message}\n`)
    if (debug && err instanceof Error && err.stack !== undefined) io.stderr.write(`${err.stack}\n`)
    return sigint() ? ExitCode.interrupted : code
  } finally {
    watch.dispose()
  }
}
