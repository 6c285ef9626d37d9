import { OPTIONS, flagName } from './options.js'
import { UsageError } from './errors.js'
import { describeValue } from './describe-value.js'
import { readBounded } from './read-bounded.js'

/** The config file's name inside the data dir. */
export const CONFIG_FILE = 'codio-chunk.config.json'

/** Largest config file read (a few lines of options; this bounds a wrong --config path to a huge file). */
const MAX_CONFIG_FILE = 1024 * 1024

/**
 * Checks the text of a config file: a JSON object whose keys are options the file may set (see
 * `OPTIONS`, `inConfigFile`). Returns the object as written: values are parsed later, with the
 * flags, by `resolveSettings`. Anything else is a `UsageError` naming `path` and what to fix.
 * Free of I/O.
 *
 * @example
 * ```ts
 * parseConfigFile('{ "chunksPerPeer": 8, "requestTimeout": "60s" }', 'codio-chunk.config.json')
 * // { chunksPerPeer: 8, requestTimeout: '60s' }
 * ```
 */
export function parseConfigFile (text: string, path: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON (${(err as Error).message}): fix or remove it`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object such as {"chunksPerPeer": 8}`)
  }
  const known = new Set(OPTIONS.filter(o => o.inConfigFile).map(o => o.configKey ?? o.key))
  for (const key of Object.keys(parsed)) {
    if (known.has(key)) continue
    const flagOnly = OPTIONS.find(o => o.key === key && o.configKey === undefined)
    if (flagOnly !== undefined) {
      throw new UsageError(`config file ${path} sets ${describeValue(key)}, which only the ${flagName(flagOnly)} flag can set: remove it from the file`)
    }
    throw new UsageError(`config file ${path} has an unknown option ${describeValue(key)}; known options: ${[...known].join(', ')}`)
  }
  return parsed as Record<string, unknown>
}

/**
 * Reads and checks the config file at `path` (see {@link parseConfigFile}). A missing file is
 * `undefined` unless `required` (a file named by `--config`), then a `UsageError`; so is a file
 * larger than 1 MiB, of which no more is read.
 */
export async function readConfigFile (path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let bytes: Buffer
  try {
    bytes = await readBounded(path, MAX_CONFIG_FILE)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' && !required) return undefined
    if (code === 'ENOENT') throw new UsageError(`config file ${path} does not exist: check the --config path`)
    throw new UsageError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  if (bytes.length > MAX_CONFIG_FILE) throw new UsageError(`config file ${path} is larger than 1 MiB: is it the right file?`)
  return parseConfigFile(bytes.toString('utf8'), path)
}
