import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { flagName } from './options.js'
import type { OptionSpec } from './options.js'
import { UsageError } from './errors.js'
import { CONFIG_FILE, readConfigFile } from './config-file.js'

export { CONFIG_FILE } from './config-file.js'

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

/** A config file's checked contents (see `parseConfigFile`) and where they came from. */
export interface ConfigFileValues {
  path: string
  values: Record<string, unknown>
}

/**
 * Merges a command's option values: a flag wins over the config file, which wins over the
 * default. Every value is parsed and checked here, so a bad flag or config entry is a
 * `UsageError` naming where it came from. `flags` are as the command line gave them (see
 * `parseCommandLine`); `config` is the config file read, if any. Free of I/O.
 *
 * @example
 * ```ts
 * const settings = settingsFrom(optionsFor(['global', 'content']), { chunkSize: '1MiB' }, '/srv/node')
 * settings.values.chunkSize // 1048576
 * ```
 */
export function settingsFrom (
  specs: readonly OptionSpec[],
  flags: Record<string, unknown>,
  dataDir: string,
  config?: ConfigFileValues
): Settings {
  const values: Record<string, unknown> = {}
  for (const spec of specs) {
    const flagValue = flags[spec.key]
    if (flagValue !== undefined) {
      values[spec.key] = spec.parse === undefined ? flagValue : spec.parse(flagValue, flagName(spec))
    } else if (spec.inConfigFile && config?.values[spec.configKey ?? spec.key] !== undefined) {
      const name = spec.configKey ?? spec.key
      const where = `"${name}" in ${config.path}`
      values[spec.key] = spec.parse === undefined ? config.values[name] : spec.parse(config.values[name], where)
    } else {
      values[spec.key] = spec.default
    }
  }
  values.dataDir = dataDir
  return { dataDir, configFile: config?.path, values }
}

/**
 * Merges a command's option values as {@link settingsFrom} does, after finding the data dir (see
 * {@link dataDirFrom}) and reading the config file: `--config`'s (which must exist), else the
 * data dir's `codio-chunk.config.json` if there is one.
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
  const path = explicit ?? join(dataDir, CONFIG_FILE)
  const values = await readConfigFile(path, explicit !== undefined)
  return settingsFrom(specs, flags, dataDir, values === undefined ? undefined : { path, values })
}
