/** Options every async API accepts. */
export interface AbortOptions {
  /** Cancels the operation; it then rejects with an `AbortError`. */
  signal?: AbortSignal
}

/**
 * A logger in the `debug` style: one function per namespace plus an `error` channel.
 * Libraries never print; they log through the logger they are given (silent by default).
 */
export interface Logger {
  (formatter: string, ...args: unknown[]): void
  error(formatter: string, ...args: unknown[]): void
  readonly enabled: boolean
}

/** Makes a namespaced logger, e.g. `logger('codio-chunk:transport-tcp')`. */
export type LoggerFactory = (namespace: string) => Logger

const noop = (): void => {}

/** A logger that discards everything: the default for every library package. */
export const silentLogger: Logger = Object.assign(noop.bind(null), { error: noop, enabled: false })

/** A factory returning {@link silentLogger} for every namespace. */
export const silentLoggerFactory: LoggerFactory = () => silentLogger
