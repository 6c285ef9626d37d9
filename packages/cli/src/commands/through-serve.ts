import type { ContentId } from '@codio-chunk/core'
import { ControlClient } from '../control/control-client.js'
import { CommandError } from '../errors.js'
import { writeParts } from '../stdout.js'
import { formatBytes, formatDuration } from '../units.js'
import { writeAtomically } from '../write-atomically.js'
import type { ControlRecord } from '../control/control-file.js'
import type { CommandContext } from './context.js'

/** What `get` reports when the running `serve` fetched the content. */
export interface GetThroughServeResult {
  event: 'done'
  cid: string
  output: string
  size: number
  /** The pid of the `serve` that fetched it (and now holds and serves it). */
  servedBy: number
  seconds: number
}

/** The note a command prints when a flag has no effect because the running `serve` does the work. */
export function runningNodeNote (running: ControlRecord, flags: string[]): string {
  return `note: going through the running \`codio-chunk serve\` (pid ${running.pid}); its own settings apply, not ${flags.join(', ')}`
}

/**
 * `get` and `cat` while `serve` runs on the data dir: the running node fetches the content (from
 * `providers`, its discoveries and its origins) and streams it here through its control endpoint,
 * in order as chunks verify; it keeps the content and serves it afterwards.
 */
export async function getThroughServe (
  running: ControlRecord,
  cid: ContentId,
  request: { providers: string[], output: string, mode: 'get' | 'cat' },
  ctx: CommandContext
): Promise<void> {
  const { io, out, settings } = ctx
  // Options without a default were given: the running node has its own.
  const ignored = ['origin', 'listen'].filter(key => settings.values[key] !== undefined)
  if (ignored.length > 0) out.note(runningNodeNote(running, ignored.map(k => `--${k}`)))
  const client = new ControlClient(running)
  const started = performance.now()
  const content = await client.content(cid.toString(), request.providers, { signal: io.signal })
  try {
    if (request.output === '-') await writeParts(content.body, io.stdout, io.signal)
    else await writeAtomically(request.output, content.body, { signal: io.signal })
  } catch (err) {
    if (io.signal.aborted && !(err instanceof CommandError)) throw new CommandError(`interrupted; the running \`codio-chunk serve\` (pid ${running.pid}) keeps the chunks it fetched`, { cause: err })
    throw err
  }
  const seconds = (performance.now() - started) / 1000
  const result: GetThroughServeResult = { event: 'done', cid: cid.toString(), output: request.output, size: content.size, servedBy: running.pid, seconds }
  out.data(result)
  if (request.mode === 'cat') return
  const summary = `saved ${result.cid} (${formatBytes(result.size)}) to ${request.output === '-' ? 'stdout' : request.output} through the running serve (pid ${running.pid}) in ${formatDuration(seconds * 1000)}; it keeps serving it from ${settings.dataDir}`
  if (request.output === '-') out.note(summary)
  else out.result(summary)
}
