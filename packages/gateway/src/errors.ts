import { CodioChunkError } from '@codio-chunk/interface'

/**
 * An error the gateway answers with an HTTP status of its own. Every one has a stable `name`, a
 * `code`, the `status` it is answered with, and a message the client reads in the response body.
 *
 * @example
 * ```ts
 * import { BadRequestError, GatewayHttpError } from '@codio-chunk/gateway'
 * const err = new BadRequestError('format=tar is not supported')
 * err instanceof GatewayHttpError // true
 * err.status                      // 400
 * ```
 */
export class GatewayHttpError extends CodioChunkError {
  /** The HTTP status the request is answered with. */
  readonly status: number
  /** Seconds the client should wait before asking again (`Retry-After`), if any. */
  readonly retryAfter?: number
  /** More headers the answer carries (e.g. `Content-Range` of a 416). */
  readonly headers?: Readonly<Record<string, string>>

  constructor (message: string, code: string, status: number, options?: HttpErrorOptions) {
    super(message, code, options)
    this.name = 'GatewayHttpError'
    this.status = status
    this.retryAfter = options?.retryAfter
    this.headers = options?.headers
  }
}

/** Options of a {@link GatewayHttpError}. */
export interface HttpErrorOptions {
  cause?: unknown
  /** `Retry-After` seconds. */
  retryAfter?: number
  /** More headers for the answer. */
  headers?: Record<string, string>
}

type HttpErrorClass = new (message: string, options?: HttpErrorOptions) => GatewayHttpError

function define (name: string, code: string, status: number): HttpErrorClass {
  return class extends GatewayHttpError {
    constructor (message: string, options?: HttpErrorOptions) {
      super(message, code, status, options)
      this.name = name
    }
  }
}

/** 400: the request is malformed (bad CID, bad path, unknown format, bad query parameter). */
export class BadRequestError extends define('BadRequestError', 'ERR_BAD_REQUEST', 400) {}
/** 404: the content is not retrievable here (no provider had its root block in time), or the path does not exist. */
export class ContentNotFoundError extends define('ContentNotFoundError', 'ERR_CONTENT_NOT_FOUND', 404) {}
/** 405: a method other than GET, HEAD or OPTIONS. */
export class MethodNotAllowedError extends define('MethodNotAllowedError', 'ERR_METHOD_NOT_ALLOWED', 405) {}
/** 406: the `Accept` header asks only for variants this gateway cannot produce (e.g. a CARv2). */
export class NotAcceptableError extends define('NotAcceptableError', 'ERR_NOT_ACCEPTABLE', 406) {}
/** 412: `Cache-Control: only-if-cached` and the content is not held here. */
export class NotCachedError extends define('NotCachedError', 'ERR_NOT_CACHED', 412) {}
/** 414: the request target is longer than the gateway reads. */
export class UriTooLongError extends define('UriTooLongError', 'ERR_URI_TOO_LONG', 414) {}
/** 416: no range of the `Range` header overlaps the content. */
export class RangeNotSatisfiableError extends define('RangeNotSatisfiableError', 'ERR_RANGE_NOT_SATISFIABLE', 416) {}
/** 429: the gateway is already fetching as many contents from the swarm as it may. */
export class TooManyFetchesError extends define('TooManyFetchesError', 'ERR_TOO_MANY_FETCHES', 429) {}
/** 501: a feature this gateway does not implement (`/ipns/`, paths inside a content, directories). */
export class NotImplementedError extends define('NotImplementedError', 'ERR_NOT_IMPLEMENTED', 501) {}
/** 502: providers answered with something that is not a UnixFS file this gateway can serve. */
export class BadContentError extends define('BadContentError', 'ERR_BAD_CONTENT', 502) {}
/** 503: the node behind the gateway is stopped. */
export class NodeUnavailableError extends define('NodeUnavailableError', 'ERR_NODE_UNAVAILABLE', 503) {}
/** 504: no new bytes of the content arrived within `retrievalTimeout`. */
export class RetrievalTimeoutError extends define('RetrievalTimeoutError', 'ERR_RETRIEVAL_TIMEOUT', 504) {}

/** A client kept a response waiting (never read it) for longer than `sendTimeout`; its connection is closed. */
export class SendTimeoutError extends CodioChunkError {
  constructor (message: string) {
    super(message, 'ERR_SEND_TIMEOUT')
    this.name = 'SendTimeoutError'
  }
}

/** The client went away before the response was complete. */
export class ClientGoneError extends CodioChunkError {
  constructor (message = 'The client closed the connection') {
    super(message, 'ERR_CLIENT_GONE')
    this.name = 'ClientGoneError'
  }
}

/** 500: anything else (a storage failure, a bug); the message is logged, the client gets a short one. */
export class InternalGatewayError extends define('InternalGatewayError', 'ERR_INTERNAL', 500) {}
