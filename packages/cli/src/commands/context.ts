import type { CliIo } from '../io.js'
import type { Output } from '../output.js'
import type { Settings } from '../settings.js'

/** What every command receives. */
export interface CommandContext {
  settings: Settings
  io: CliIo
  out: Output
}
