import { toContentId } from '@codio-chunk/core'
import type { ContentId } from '@codio-chunk/core'
import { UsageError } from './errors.js'

/** Parses a CID argument; a malformed one is a usage error that shows what a CID looks like. */
export function parseCidArgument (text: string): ContentId {
  try {
    return toContentId(text)
  } catch (err) {
    const shown = text.length > 80 ? `${text.slice(0, 80)}…` : text
    throw new UsageError(`bad CID "${shown}": ${(err as Error).message}`, { cause: err })
  }
}
