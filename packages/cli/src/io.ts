/** A stream the CLI writes to. */
export interface OutputStream {
  write(chunk: string | Uint8Array): boolean
  /** True when the stream is a terminal (progress bars and colours only then). */
  isTTY?: boolean
  /** Terminal width, when a terminal. */
  columns?: number
  once?(event: 'drain', listener: () => void): unknown
  on?(event: 'error', listener: (err: Error) => void): unknown
  removeListener?(event: 'drain' | 'error', listener: (...args: any[]) => void): unknown
}

/** Everything a command touches outside itself, so `run()` can be driven by tests. */
export interface CliIo {
  stdout: OutputStream
  stderr: OutputStream
  stdin?: NodeJS.ReadableStream
  env: Record<string, string | undefined>
  cwd: string
  /**
   * Aborted on SIGINT / SIGTERM (with an `InterruptedError`) and when stdout is closed (with a
   * `StdoutClosedError`): long-running commands stop cleanly.
   */
  signal: AbortSignal
}
