import { CodioChunkError } from '@codio-chunk/interface'

/**
 * An origin (an HTTP trustless gateway the node falls back to) answered a block request with an
 * HTTP error: `status` says which. Not the origin's fault as such: a 404 means it lacks the block,
 * a 429 or 503 that it is busy (`retryAfter`, in milliseconds, when it said how long to wait).
 * The node asks another origin, or the swarm, and leaves this one alone for a while.
 */
export class OriginHttpError extends CodioChunkError {
  constructor (message: string, readonly status: number, readonly retryAfter?: number, options?: { cause?: unknown }) {
    super(message, 'ERR_ORIGIN_HTTP', options)
    this.name = 'OriginHttpError'
  }
}

/**
 * An origin could not be reached or did not answer in time: connection refused or reset, DNS,
 * a timeout, a redirect loop or a redirect to something that is not http(s). Transient as far as
 * the node can tell: the origin is left alone for a while, longer after every failure in a row.
 */
export class OriginUnreachableError extends CodioChunkError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_ORIGIN_UNREACHABLE', options)
    this.name = 'OriginUnreachableError'
  }
}

/**
 * An origin answered a block request with something that cannot be the block: bytes that do not
 * hash to its CID, more bytes than the block can have, a length other than the one it declared,
 * an HTML page. Such an origin is banned for the rest of the node's life, as a peer that sends bad
 * chunks is.
 */
export class OriginMisbehaviorError extends CodioChunkError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_ORIGIN_MISBEHAVIOR', options)
    this.name = 'OriginMisbehaviorError'
  }
}
