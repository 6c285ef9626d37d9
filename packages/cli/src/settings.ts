import { readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { OPTIONS, flagName } from './options.js'
import type { OptionSpec } from './options.js'
import { UsageError } from './errors.js'

/** The config file's name inside the data dir. */
export const CONFIG_FILE = 'codio-chunk.config.json'

/** Option values for one command, after flags, the config file and defaults were merged. */
export interface Settings {
  /** Absolute data directory. */
  dataDir: string
  /** The config file that was read, if any. */
  configFile?: string
  /** Values by option key (parsed; defaults filled in). */
  values: Record<string, unknown>
}

/**
 * Where the data dir is: `--data-dir`, else `$CODIO_CHUNK_HOME`, else `~/.codio-chunk`; a relative
 * path is taken from `cwd`.
 *
 * @example
 * ```ts
 * dataDirFrom('node-a', {}, '/srv') // '/srv/node-a'
 * ```
 */
export function dataDirFrom (flag: unknown, env: Record<string, string | undefined>, cwd: string): string {
  if (typeof flag === 'string' && flag !== '') return resolve(cwd, flag)
  const home = env.CODIO_CHUNK_HOME
  if (home !== undefined && home !== '') return resolve(cwd, home)
  return join(homedir(), '.codio-chunk')
}

async function readConfigFile (path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let textValue: string
  try {
    textValue = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !required) return undefined
    if (code === 'ENOENT') throw new UsageError(`config file ${path} does not exist: check the --config path`)
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(textValue)
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON (${(err as Error).message}): fix or remove it`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object such as {"chunksPerPeer": 8}`)
  }
  const known = new Set(OPTIONS.filter(o => o.inConfigFile).map(o => o.key))
  for (const key of Object.keys(parsed)) {
    if (known.has(key)) continue
    const flagOnly = OPTIONS.find(o => o.key === key)
    if (flagOnly !== undefined) {
      throw new UsageError(`config file ${path} sets "${key}", which only the ${flagName(flagOnly)} flag can set: remove it from the file`)
    }
    throw new UsageError(`config file ${path} has an unknown option "${key}"; known options: ${[...known].join(', ')}`)
  }
  return parsed as Record<string, unknown>
}

/**
 * Merges a command's option values: a flag wins over the config file, which wins over the
 * default. Every value is parsed and checked here, so a bad flag or config entry is a
 * `UsageError` naming where it came from.
 *
 * @example
 * ```ts
 * const settings = await resolveSettings(optionsFor(['global', 'content']), { chunkSize: '1MiB' }, process.env, process.cwd())
 * settings.values.chunkSize // 1048576
 * ```
 */
export async function resolveSettings (
  specs: readonly OptionSpec[],
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
  cwd: string
): Promise<Settings> {
  const dataDir = dataDirFrom(flags.dataDir, env, cwd)
  if (flags.config !== undefined && (typeof flags.config !== 'string' || flags.config.trim() === '')) {
    throw new UsageError('--config needs the path of a JSON file')
  }
  const explicit = typeof flags.config === 'string' ? (isAbsolute(flags.config) ? flags.config : resolve(cwd, flags.config)) : undefined
  const configFile = explicit ?? join(dataDir, CONFIG_FILE)
  const fromFile = await readConfigFile(configFile, explicit !== undefined)
  const values: Record<string, unknown> = {}
  for (const spec of specs) {
    const flagValue = flags[spec.key]
    if (flagValue !== undefined) {
      values[spec.key] = spec.parse === undefined ? flagValue : spec.parse(flagValue, flagName(spec))
    } else if (spec.inConfigFile && fromFile?.[spec.key] !== undefined) {
      const where = `"${spec.key}" in ${configFile}`
      values[spec.key] = spec.parse === undefined ? fromFile[spec.key] : spec.parse(fromFile[spec.key], where)
    } else {
      values[spec.key] = spec.default
    }
  }
  values.dataDir = dataDir
  return { dataDir, configFile: fromFile === undefined ? undefined : configFile, values }
}
