import { CID } from 'multiformats/cid'
import { InvalidContentIdError } from '../errors.js'

/**
 * The address of a content: the root CID of its UnixFS DAG, exactly as IPFS computes it.
 *
 * (Placeholder for the content-model module: parse, toString, equality. `fromContent` is added by
 * the content module.)
 */
export class ContentId {
  readonly cid: CID

  private constructor (cid: CID) {
    this.cid = cid
  }

  static fromCid (cid: CID): ContentId {
    return new ContentId(cid)
  }

  static parse (text: string): ContentId {
    try {
      return new ContentId(CID.parse(text.trim()))
    } catch (err) {
      throw new InvalidContentIdError(`"${text}" is not a CID`, { cause: err })
    }
  }

  toString (): string {
    return this.cid.toString()
  }

  equals (other: ContentId): boolean {
    return this.cid.equals(other.cid)
  }
}
