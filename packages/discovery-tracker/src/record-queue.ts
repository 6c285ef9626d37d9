/**
 * Items pushed by concurrent producers (one per tracker), read by one consumer as they come:
 * `findProviders` yields each provider as soon as its tracker answered. Bounded by its producers
 * (each pushes at most a lookup's peer limit).
 */
export class RecordQueue<T> {
  private readonly items: T[] = []
  private ended = false
  private wake: (() => void) | undefined

  push (item: T): void {
    if (this.ended) return
    this.items.push(item)
    this.notify()
  }

  /** No more items will come; the reader gets those already queued, then ends. */
  end (): void {
    this.ended = true
    this.notify()
  }

  /** The items in order; ends after `end()`, or at once (dropping what is queued) when `signal` fires. */
  async * drain (signal: AbortSignal): AsyncGenerator<T, void, undefined> {
    const onAbort = (): void => this.end()
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      for (;;) {
        if (signal.aborted) return
        const item = this.items.shift()
        if (item !== undefined) {
          yield item
          continue
        }
        if (this.ended) return
        await new Promise<void>((resolve) => { this.wake = resolve })
      }
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
