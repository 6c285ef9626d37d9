import type { OutputStream } from '../io.js'

/**
 * Redraws a block of lines in place on a terminal (progress bars, status lines). On anything that
 * is not a terminal it draws nothing: callers print plain lines or JSON there instead.
 *
 * @example
 * ```ts
 * const display = new LiveDisplay(process.stderr)
 * display.render(['downloading… 40%'])
 * display.render(['downloading… 80%'])
 * display.clear()
 * ```
 */
export class LiveDisplay {
  private drawn = 0
  readonly enabled: boolean

  constructor (private readonly stream: OutputStream) {
    this.enabled = stream.isTTY === true
  }

  /** Replaces the lines drawn last time with these. */
  render (lines: readonly string[]): void {
    if (!this.enabled) return
    const columns = this.stream.columns !== undefined && this.stream.columns > 0 ? this.stream.columns : 100
    const width = Math.max(20, columns - 1)
    let out = this.drawn > 0 ? `\x1b[${this.drawn}F` : ''
    for (const raw of lines) {
      // One screen line each: a line break inside would move everything below it.
      const line = raw.replace(/[\r\n]+/g, ' ')
      out += `\x1b[2K${line.length > width ? line.slice(0, width - 1) + '…' : line}\n`
    }
    // Lines left over from a taller block are cleared.
    for (let i = lines.length; i < this.drawn; i++) out += '\x1b[2K\n'
    if (this.drawn > lines.length) out += `\x1b[${this.drawn - lines.length}F`
    this.drawn = lines.length
    if (out !== '') this.stream.write(out)
  }

  /** Removes the drawn lines. */
  clear (): void {
    if (!this.enabled || this.drawn === 0) return
    let out = `\x1b[${this.drawn}F`
    for (let i = 0; i < this.drawn; i++) out += '\x1b[2K\n'
    out += `\x1b[${this.drawn}F`
    this.stream.write(out)
    this.drawn = 0
  }

  /** Leaves the drawn lines on screen; the next render starts below them. */
  keep (): void {
    this.drawn = 0
  }
}
