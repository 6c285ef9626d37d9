import { CID } from 'multiformats/cid'
import { ContentId } from '@codio-chunk/interface'
import { InvalidContentIdError } from '@codio-chunk/interface'

/** A content id in any of the forms the public API accepts. */
export type ContentRef = ContentId | CID | string

/**
 * Normalises a {@link ContentRef}; throws InvalidContentIdError for anything else.
 *
 * @example
 * ```ts
 * import { toContentId } from '@codio-chunk/core'
 * toContentId('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o').toString() // the same CID
 * ```
 */
export function toContentId (ref: ContentRef): ContentId {
  if (ref instanceof ContentId) return ref
  if (typeof ref === 'string') return ContentId.parse(ref)
  const cid = CID.asCID(ref)
  if (cid !== null) return ContentId.fromCid(cid)
  throw new InvalidContentIdError(`Expected a content id (CID string, CID or ContentId), got ${typeof ref}`)
}
