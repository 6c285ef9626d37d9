import { getCommand } from './get.js'
import type { CommandContext } from './context.js'

/**
 * `codio-chunk cat <cid>`: writes a content to stdout in order while it downloads, each chunk once
 * verified, and keeps it in the store (as `get -o -` does, without the summary). A reader that
 * stops early (`| head`) ends it quietly.
 */
export async function catCommand (cidText: string, ctx: CommandContext): Promise<void> {
  await getCommand(cidText, ctx, 'cat')
}
