import type { Logger, LoggerFactory } from './contracts/common.js'

const noop = (): void => {}

/** A logger that discards everything: the default for every library package. */
export const silentLogger: Logger = Object.assign(noop.bind(null), { error: noop, enabled: false })

/** A factory returning {@link silentLogger} for every namespace. */
export const silentLoggerFactory: LoggerFactory = () => silentLogger
