/**
 * Named errors thrown by codio-chunk. Every error has a stable `name` and a `code`, and a message
 * that says what to do next. Causes are chained through the standard `cause` option.
 *
 * @example
 * ```ts
 * import { ContentId, InvalidContentIdError } from '@codio-chunk/core'
 * try {
 *   ContentId.parse('not-a-cid')
 * } catch (err) {
 *   if (err instanceof InvalidContentIdError) console.error(err.message)
 * }
 * ```
 */
export class CodioChunkError extends Error {
  /** Stable machine-readable code, e.g. `ERR_INVALID_CONTENT_ID`. */
  readonly code: string

  constructor (message: string, code: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CodioChunkError'
    this.code = code
  }
}

function define (name: string, code: string): new (message: string, options?: { cause?: unknown }) => CodioChunkError {
  return class extends CodioChunkError {
    constructor (message: string, options?: { cause?: unknown }) {
      super(message, code, options)
      this.name = name
    }
  }
}

/** A CID string or byte sequence could not be parsed, or names a codec this node cannot fetch. */
export class InvalidContentIdError extends define('InvalidContentIdError', 'ERR_INVALID_CONTENT_ID') {}
/** A configuration value is out of range or of the wrong type. */
export class InvalidConfigError extends define('InvalidConfigError', 'ERR_INVALID_CONFIG') {}
/** A manifest (DAG interior node) failed verification or describes a DAG shape this node does not support. */
export class InvalidManifestError extends define('InvalidManifestError', 'ERR_INVALID_MANIFEST') {}
/** Bytes given for a CID do not hash to that CID. */
export class ContentMismatchError extends define('ContentMismatchError', 'ERR_CONTENT_MISMATCH') {}
/** A chunk failed verification against its CID. */
export class ChunkVerificationError extends define('ChunkVerificationError', 'ERR_CHUNK_VERIFICATION') {}
/** The content, chunk or manifest asked for is not in storage. */
export class NotFoundError extends define('NotFoundError', 'ERR_NOT_FOUND') {}
/** A peer broke the wire protocol: malformed or oversized frame, unexpected message. */
export class ProtocolError extends define('ProtocolError', 'ERR_PROTOCOL') {}
/** The connection closed (locally, by the remote peer, or by a network failure). */
export class ConnectionClosedError extends define('ConnectionClosedError', 'ERR_CONNECTION_CLOSED') {}
/** A request or dial did not complete within its time limit. */
export class TimeoutError extends define('TimeoutError', 'ERR_TIMEOUT') {}
/** An operation was cancelled through its AbortSignal. */
export class AbortError extends define('AbortError', 'ERR_ABORTED') {}
/** A peer refused a request (choked, busy, does not have the chunk). */
export class RequestRejectedError extends define('RequestRejectedError', 'ERR_REQUEST_REJECTED') {}
/** An address could not be parsed or no configured transport handles its scheme. */
export class InvalidAddressError extends define('InvalidAddressError', 'ERR_INVALID_ADDRESS') {}
/** Dialling a peer failed. */
export class DialError extends define('DialError', 'ERR_DIAL') {}
/**
 * The peer reached by a dial proved (through the transport's authentication, e.g. its TLS
 * certificate) a peer id other than the one the address or dial options named: a different node
 * answers at that address, or someone is in the middle. A `DialError`, so callers that handle
 * dial failures handle it too.
 */
export class PeerIdMismatchError extends DialError {
  override readonly code: string = 'ERR_PEER_ID_MISMATCH'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'PeerIdMismatchError'
  }
}
/** Listening on an address failed: the port is in use, the address is not local, or permission was denied. */
export class ListenError extends define('ListenError', 'ERR_LISTEN') {}
/** None of the given providers could deliver the content. */
export class NoProvidersError extends define('NoProvidersError', 'ERR_NO_PROVIDERS') {}
/** The content's hash algorithm has no configured verifier. */
export class UnsupportedHashError extends define('UnsupportedHashError', 'ERR_UNSUPPORTED_HASH') {}
/** The distributor was stopped while the operation was running. */
export class NodeStoppedError extends define('NodeStoppedError', 'ERR_NODE_STOPPED') {}
/** A storage backend failed to read or write. */
export class StorageError extends define('StorageError', 'ERR_STORAGE') {}

/** Builds the error thrown when an AbortSignal fires, keeping the signal's reason as the cause. */
export function abortError (signal: AbortSignal, what = 'operation'): AbortError {
  return new AbortError(`The ${what} was aborted`, { cause: signal.reason })
}

/** Throws an {@link AbortError} if the signal has already fired. */
export function throwIfAborted (signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted === true) throw abortError(signal, what)
}
