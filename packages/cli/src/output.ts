import type { CliIo } from './io.js'
import { LiveDisplay } from './ui/live-display.js'

/**
 * How a command talks to the user. In `--json` mode only JSON goes to stdout (one document per
 * line) and nothing is drawn; otherwise results go to stdout, notes to stderr, and live progress is
 * drawn on stderr when it is a terminal.
 */
export class Output {
  readonly json: boolean
  /** Live progress on stderr (disabled in JSON mode and when stderr is not a terminal). */
  readonly live: LiveDisplay

  constructor (readonly io: CliIo, json: boolean) {
    this.json = json
    this.live = new LiveDisplay(json ? { write: () => true } : io.stderr)
  }

  /** A result line for people (stdout; nothing in JSON mode). */
  result (line: string): void {
    if (!this.json) this.io.stdout.write(`${line}\n`)
  }

  /** A note for people (stderr; nothing in JSON mode). */
  note (line: string): void {
    if (!this.json) this.io.stderr.write(`${line}\n`)
  }

  /** One JSON document on its own line (stdout; JSON mode only). */
  data (value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value)}\n`)
  }
}
