import type { Logger } from '@codio-chunk/interface'

/** How often, at most, dropped packets are summed up in the log, in ms. */
const SUMMARY_INTERVAL = 10_000
/** Distinct reasons kept per summary; more are counted as "other". */
const MAX_REASONS = 16

/**
 * Counts events by reason (the packets the guarded socket drops, the DHT library's warnings) and
 * logs the first at once, then a summary at most every 10 seconds, so a flood of garbage costs a
 * log line every 10 seconds, not one per packet.
 *
 * @example
 * ```ts
 * import { DropLog } from './drop-log.js'
 * const drops = new DropLog(log)
 * drops.drop('rate')
 * drops.drop('find_node: bad target')
 * drops.total // 2
 * ```
 */
export class DropLog {
  readonly #log: Logger
  readonly #message: string
  readonly #now: () => number
  #reasons = new Map<string, number>()
  #pending = 0
  #last = -Infinity
  total = 0

  /** `message` takes the count (`%d`) and the reasons (`%s`). */
  constructor (log: Logger, now: () => number = Date.now, message = 'dropped %d incoming DHT packets (%s)') {
    this.#log = log
    this.#now = now
    this.#message = message
  }

  drop (reason: string): void {
    this.total++
    this.#pending++
    const key = this.#reasons.has(reason) || this.#reasons.size < MAX_REASONS ? reason : 'other'
    this.#reasons.set(key, (this.#reasons.get(key) ?? 0) + 1)
    const now = this.#now()
    if (now - this.#last >= SUMMARY_INTERVAL) this.flush(now)
  }

  /** Logs what was dropped since the last summary, if anything. */
  flush (now = this.#now()): void {
    if (this.#pending === 0) return
    const reasons = [...this.#reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => `${count} ${reason}`).join(', ')
    this.#log(this.#message, this.#pending, reasons)
    this.#pending = 0
    this.#reasons = new Map()
    this.#last = now
  }
}
