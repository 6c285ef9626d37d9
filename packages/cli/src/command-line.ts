import { createRequire } from 'node:module'
import { Command, CommanderError, Option } from 'commander'
import { UsageError, ExitCode } from './errors.js'
import { optionsFor, helpText } from './options.js'
import type { OptionScope } from './options.js'

const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** One `codio-chunk` command as the command line knows it: its arguments, options and help. */
export interface CommandSpec {
  name: string
  /** Commander argument syntax, e.g. `<cid>`; empty for none. */
  args: string
  summary: string
  /** The option scopes the command takes (see {@link OptionScope}). */
  scopes: OptionScope[]
  examples: string[]
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'add',
    args: '<files...>',
    summary: 'store files in the data dir and print their CIDs (the CIDs `ipfs add` gives with the same chunk size and CID version); - reads stdin',
    scopes: ['global', 'content'],
    examples: ['codio-chunk add video.mp4', 'codio-chunk add --cid-version 0 notes.txt   # the Qm… CID `ipfs add` prints']
  },
  {
    name: 'serve',
    args: '',
    summary: 'run a node that serves everything in the store until Ctrl-C (and over HTTP with --http); while it runs, get, cat, add and rm on its data dir go through it',
    scopes: ['global', 'content', 'network', 'listen', 'discovery', 'origin', 'serve'],
    examples: ['codio-chunk serve', 'codio-chunk serve --http 127.0.0.1:8080   # then: curl -H "Range: bytes=0-99" http://127.0.0.1:8080/ipfs/bafkrei…', 'codio-chunk serve --listen tcp://0.0.0.0:4001 --listen tcp://[::]:4001 --upload-limit 50MiB/s', 'codio-chunk serve --bootstrap 10.0.0.2:6881 --dht-port 6881   # a private DHT']
  },
  {
    name: 'get',
    args: '<cid>',
    summary: 'download content by CID, verify it and write it to a file (resumes if interrupted); providers are found through the DHT or trackers, or given',
    scopes: ['global', 'content', 'network', 'listen', 'discovery', 'origin', 'sources', 'get'],
    examples: ['codio-chunk get bafkrei… -o video.mp4', 'codio-chunk get bafkrei… -o - | mpv -   # streams in order while it downloads', 'codio-chunk get bafkrei… --origin http://10.0.0.9:8080   # falls back to a gateway when no peer has it', 'codio-chunk get bafkrei… --peer tcp://10.0.0.5:4001 --peer tcp://10.0.0.6:4001 --no-dht', 'codio-chunk get bafkrei… --peers-file peers.txt --seed']
  },
  {
    name: 'cat',
    args: '<cid>',
    summary: 'write content to stdout in order while it downloads (each chunk verified first), keeping it in the store',
    scopes: ['global', 'content', 'network', 'discovery', 'origin', 'sources'],
    examples: ['codio-chunk cat bafkrei… --peer tcp://10.0.0.5:4001 | head -c 100', 'codio-chunk cat bafkrei… --origin http://10.0.0.9:8080 > video.mp4']
  },
  {
    name: 'providers',
    args: '<cid>',
    summary: 'list the providers of a CID the DHT and trackers know, as each is found (like `ipfs routing findprovs`)',
    scopes: ['global', 'discovery', 'providers'],
    examples: ['codio-chunk providers bafkrei…', 'codio-chunk providers bafkrei… --bootstrap 10.0.0.2:6881 --timeout 10s --json']
  },
  {
    name: 'ls',
    args: '',
    summary: 'list the contents in the store with their size and completeness',
    scopes: ['global'],
    examples: ['codio-chunk ls', 'codio-chunk ls --json']
  },
  {
    name: 'stat',
    args: '<cid>',
    summary: 'show a stored content\'s manifest, chunk count and completeness',
    scopes: ['global'],
    examples: ['codio-chunk stat bafkrei…']
  },
  {
    name: 'rm',
    args: '<cids...>',
    summary: 'delete contents from the store (through the running serve, which stops serving them, if one runs on the data dir)',
    scopes: ['global'],
    examples: ['codio-chunk rm bafkrei…']
  },
  {
    name: 'demo',
    args: '',
    summary: 'run a local swarm on loopback: one seeder, several peers fetching a generated file at once',
    scopes: ['global', 'content', 'network', 'demo'],
    examples: ['codio-chunk demo', 'codio-chunk demo --peers 8 --size 256MiB --strategy random', 'codio-chunk demo --discovery dht   # peers find the seeder through a local DHT']
  }
]

/** What a command line asks for. */
export type CommandLine =
  /** Run `command` with these arguments and flags (flag values as typed, not yet parsed). */
  | { kind: 'command', command: CommandSpec, args: string[], flags: Record<string, unknown> }
  /** Nothing to run: print `text` (help or the version) on `stream` and exit with `exitCode`. */
  | { kind: 'print', text: string, stream: 'stdout' | 'stderr', exitCode: number }

/** Terminal widths for help text. */
export interface HelpWidths {
  stdout?: number
  stderr?: number
}

function collect (value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

/** Where the program writes during one parse, and what its command action chose. */
interface ParseState {
  out: string
  err: string
  widths: HelpWidths
  chosen?: { command: CommandSpec, args: string[], flags: Record<string, unknown> }
}

let state: ParseState = { out: '', err: '', widths: {} }
let program: Command | undefined

/** The commander program, built once: parsing it again restores its state first (commander ≥ 13). */
function theProgram (): Command {
  if (program !== undefined) return program
  const root = new Command('codio-chunk')
  root
    .description('BitTorrent-style content distribution with IPFS content ids: add, serve and fetch content from many peers at once')
    .version(version, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => { state.out += text },
      writeErr: (text) => { state.err += text },
      // Errors become UsageErrors, which run() reports; commander prints none itself.
      outputError: () => {},
      getOutHelpWidth: () => state.widths.stdout ?? 100,
      getErrHelpWidth: () => state.widths.stderr ?? 100
    })
    .addHelpText('after', '\nExit codes: 0 ok (also when a reader closes stdout early, as `| head` does), 1 failure, 2 usage error, 130 interrupted by Ctrl-C.\nRun codio-chunk <command> --help for a command\'s options.')

  for (const spec of COMMANDS) {
    const command = root.command(spec.name).description(spec.summary).exitOverride()
    if (spec.args !== '') command.arguments(spec.args)
    for (const option of optionsFor(spec.scopes)) {
      const made = new Option(option.flags, helpText(option))
      if (option.repeatable === true) made.argParser(collect)
      command.addOption(made)
    }
    command.addHelpText('after', `\nExamples:\n${spec.examples.map(e => `  ${e}`).join('\n')}\n`)
    command.action((...params: unknown[]) => {
      // Commander passes the declared arguments, then the options object and the command.
      const cmd = params[params.length - 1] as Command
      // Only flags typed count (a negatable `--no-x` has a commander default of true): the config
      // file and the option table's defaults come after them.
      const flags = Object.fromEntries(Object.entries(cmd.opts()).filter(([key]) => cmd.getOptionValueSource(key) !== 'default'))
      state.chosen = { command: spec, args: [...cmd.args], flags }
    })
  }
  program = root
  return root
}

/**
 * Reads a `codio-chunk` command line (without `node` and the script name): which command, its
 * arguments, and its flags as typed. Flag values are checked later, by `resolveSettings`. Help
 * and the version are returned as text to print. A bad command line (unknown command or option,
 * missing argument or value) throws a `UsageError` whose message is commander's, without its
 * `error: ` prefix. Synchronous and free of I/O.
 *
 * @example
 * ```ts
 * const line = parseCommandLine(['get', 'bafkrei…', '--peer', 'tcp://10.0.0.5:4001', '--chunks-per-peer', '8'])
 * // { kind: 'command', command: { name: 'get', … }, args: ['bafkrei…'], flags: { peer: ['tcp://10.0.0.5:4001'], chunksPerPeer: '8' } }
 * ```
 */
export function parseCommandLine (argv: readonly string[], widths: HelpWidths = {}): CommandLine {
  const parse: ParseState = { out: '', err: '', widths }
  state = parse
  try {
    return parseWith(theProgram(), argv, parse)
  } finally {
    state = { out: '', err: '', widths: {} }
  }
}

/** Arguments longer than this are cut where a message quotes them. */
const QUOTED = 80

/**
 * Commander quotes the argument it refuses whole (`unknown option '--x=…'`): a long one is cut.
 * Longest first: a shorter argument may be part of a longer one, and cutting it inside the longer
 * one first would leave the rest of the longer one uncut.
 */
function shortened (message: string, argv: readonly string[]): string {
  let out = message
  for (const arg of [...argv].sort((a, b) => b.length - a.length)) {
    if (arg.length > QUOTED && out.includes(arg)) out = out.split(arg).join(`${arg.slice(0, QUOTED)}…`)
  }
  return out
}

function parseWith (root: Command, argv: readonly string[], parse: ParseState): CommandLine {
  try {
    root.parse([...argv], { from: 'user' })
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') {
      return { kind: 'print', text: parse.out, stream: 'stdout', exitCode: ExitCode.ok }
    }
    // No command given: commander wrote the help for stderr.
    if (err.code === 'commander.help') return { kind: 'print', text: parse.err, stream: 'stderr', exitCode: ExitCode.usage }
    throw new UsageError(shortened(err.message.replace(/^error: /, ''), argv), { cause: err })
  }
  if (parse.chosen === undefined) {
    root.outputHelp({ error: true })
    return { kind: 'print', text: parse.err, stream: 'stderr', exitCode: ExitCode.usage }
  }
  return { kind: 'command', ...parse.chosen }
}
