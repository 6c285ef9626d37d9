import {
  AbortError, InvalidAddressError, InvalidContentIdError, InvalidManifestError, NoProvidersError, NodeStoppedError,
  NotFoundError, TimeoutError, UnsupportedHashError
} from '@codio-chunk/interface'
import {
  BadContentError, BadRequestError, ContentNotFoundError, GatewayHttpError, InternalGatewayError, NodeUnavailableError,
  NotImplementedError, RangeNotSatisfiableError, RetrievalTimeoutError
} from './errors.js'

/**
 * The HTTP answer to an error a request ran into: a {@link GatewayHttpError} as it is; an abort
 * whose cause chain holds one (the retrieval timer aborts with the status it stands for) as that
 * one; the engine's named errors as the status they mean (a bad CID 400, no provider 404, a node
 * that stopped 503, …); anything else 500.
 *
 * @example
 * ```ts
 * toHttpError(new NoProvidersError('nobody has it')).status // 404
 * ```
 */
export function toHttpError (err: unknown): GatewayHttpError {
  const found = findHttpError(err)
  if (found !== undefined) return found
  const message = err instanceof Error ? err.message : String(err)
  if (err instanceof InvalidContentIdError || err instanceof InvalidAddressError) return new BadRequestError(message, { cause: err })
  if (err instanceof UnsupportedHashError) return new NotImplementedError(message, { cause: err })
  if (err instanceof NoProvidersError || err instanceof NotFoundError) return new ContentNotFoundError(message, { cause: err })
  if (err instanceof InvalidManifestError) return new BadContentError(`The content is not a UnixFS file this gateway can serve: ${message}`, { cause: err })
  if (err instanceof NodeStoppedError) return new NodeUnavailableError('The node behind this gateway is stopped', { cause: err })
  if (err instanceof TimeoutError) return new RetrievalTimeoutError(message, { cause: err, retryAfter: 30 })
  if (err instanceof RangeError) return new RangeNotSatisfiableError(message, { cause: err })
  if (err instanceof AbortError) return new InternalGatewayError('The request was aborted', { cause: err })
  return new InternalGatewayError('Internal error', { cause: err })
}

/** A GatewayHttpError in `err` or its cause chain (a few levels deep), if any. */
function findHttpError (err: unknown): GatewayHttpError | undefined {
  let current: unknown = err
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (current instanceof GatewayHttpError) return current
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}
