/**
 * The CLI's two kinds of failure. Each carries the exit code the process ends with and a message
 * that fits on one line and says what to do.
 */

/** A bad command line or configuration file: unknown flag, bad value, missing argument. Exit code 2. */
export class UsageError extends Error {
  readonly exitCode = 2
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UsageError'
  }
}

/** The command was understood but could not be carried out. Exit code 1. */
export class CommandError extends Error {
  readonly exitCode = 1
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CommandError'
  }
}

/**
 * The reason the command's signal aborts when the user interrupts it (Ctrl-C is SIGINT, which
 * ends the process with exit code 130 once the command has cleaned up).
 */
export class InterruptedError extends Error {
  constructor (readonly signal: NodeJS.Signals) {
    super(`received ${signal}`)
    this.name = 'InterruptedError'
  }
}

/** The reason the command's signal aborts when stdout is closed (`codio-chunk cat … | head`). */
export class StdoutClosedError extends Error {
  constructor (options?: ErrorOptions) {
    super('stdout was closed', options)
    this.name = 'StdoutClosedError'
  }
}

/** Exit codes of `codio-chunk`. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Interrupted by Ctrl-C (SIGINT), as shells report it: 128 + 2. */
  interrupted: 130
} as const
