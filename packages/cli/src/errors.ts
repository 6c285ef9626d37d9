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

/** Exit codes of `codio-chunk`. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2
} as const
