import type { IncomingMessage, ServerResponse } from 'node:http'

/** One request being answered. */
export interface RequestScope {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** True for `HEAD`: headers only. */
  readonly head: boolean
  /** Fires when the client goes away before the answer is complete, or the gateway closes. */
  readonly signal: AbortSignal
}
