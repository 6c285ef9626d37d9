import { CodioChunkError, InvalidConfigError } from '@codio-chunk/interface'

/**
 * An announce URL given to `trackerDiscovery()` is not a tracker this package can talk to (not
 * `http://`, `https://` or `udp://`, no announce path, no UDP port, credentials in it). Thrown when
 * the factory is called, before any node exists. An `InvalidConfigError`, so code that handles
 * bad configuration handles it too.
 *
 * @example
 * ```ts
 * import { trackerDiscovery, InvalidTrackerUrlError } from '@codio-chunk/discovery-tracker'
 * try {
 *   trackerDiscovery({ announce: ['ws://tracker.example:8000'] })
 * } catch (err) {
 *   if (err instanceof InvalidTrackerUrlError) console.error(err.message)
 * }
 * ```
 */
export class InvalidTrackerUrlError extends InvalidConfigError {
  override readonly code: string = 'ERR_INVALID_TRACKER_URL'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'InvalidTrackerUrlError'
  }
}

/**
 * One request to one tracker failed: the network, a timeout, or an answer that is not a tracker
 * answer. `tracker` is the announce URL. Subclasses say which; causes are chained.
 */
export class TrackerError extends CodioChunkError {
  /** The announce URL of the tracker that failed. */
  readonly tracker: string

  constructor (tracker: string, message: string, options?: { cause?: unknown }, code = 'ERR_TRACKER') {
    super(message, code, options)
    this.name = 'TrackerError'
    this.tracker = tracker
  }
}

/** The tracker answered with a `failure reason` (BEP 3) or an error packet (BEP 15). */
export class TrackerFailureError extends TrackerError {
  /** The tracker's own words, at most 200 characters. */
  readonly reason: string

  constructor (tracker: string, reason: string) {
    super(tracker, `The tracker ${tracker} refused the announce: ${reason}`, undefined, 'ERR_TRACKER_FAILURE')
    this.name = 'TrackerFailureError'
    this.reason = reason
  }
}

/**
 * The tracker's answer could not be used: malformed bencode or packet, larger than the read
 * limit, a redirect, an HTTP status other than 200.
 */
export class TrackerResponseError extends TrackerError {
  constructor (tracker: string, message: string, options?: { cause?: unknown }) {
    super(tracker, message, options, 'ERR_TRACKER_RESPONSE')
    this.name = 'TrackerResponseError'
  }
}

/** The tracker did not answer within the discovery's `timeout`. */
export class TrackerTimeoutError extends TrackerError {
  constructor (tracker: string, timeout: number) {
    super(tracker, `The tracker ${tracker} did not answer within ${timeout} ms; check that it is running and reachable, or raise the timeout option`, undefined, 'ERR_TRACKER_TIMEOUT')
    this.name = 'TrackerTimeoutError'
  }
}

/**
 * `provide()` reached no tracker: every announce failed. `errors` holds each tracker's failure
 * (each also logged). When at least one tracker accepted, `provide()` resolves instead.
 */
export class TrackerAnnounceError extends CodioChunkError {
  /** Why each tracker failed. */
  readonly errors: readonly Error[]

  constructor (message: string, errors: readonly Error[]) {
    super(message, 'ERR_TRACKER_ANNOUNCE', { cause: errors[0] })
    this.name = 'TrackerAnnounceError'
    this.errors = errors
  }
}

/** `provide()` was called on a discovery that was stopped (start it again first). */
export class DiscoveryStoppedError extends CodioChunkError {
  constructor (message = 'The tracker discovery is stopped; call start() before provide()') {
    super(message, 'ERR_DISCOVERY_STOPPED')
    this.name = 'DiscoveryStoppedError'
  }
}
