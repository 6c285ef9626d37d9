import { InvalidContentIdError, toContentId } from '@codio-chunk/core'
import type { ContentId } from '@codio-chunk/core'
import { UsageError } from './errors.js'

/**
 * Parses a CID argument; a malformed one is a usage error that shows what a CID looks like.
 *
 * @example
 * ```ts
 * parseCidArgument('bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4').version // 1
 * ```
 */
export function parseCidArgument (text: string): ContentId {
  try {
    return toContentId(text)
  } catch (err) {
    // Only a malformed CID is the user's mistake; anything else is a bug, thrown as it is.
    if (!(err instanceof InvalidContentIdError)) throw err
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
    throw new UsageError(`bad CID "${shown}": ${(err as Error).message}`, { cause: err })
  }
}
