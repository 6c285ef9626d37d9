import { abortError } from '@codio-chunk/interface'

/**
 * Runs at most `limit` tasks at once; the others wait their turn in order. A waiting task whose
 * signal fires leaves the queue with an `AbortError`.
 *
 * @example
 * ```ts
 * import { ConcurrencyLimit } from './concurrency-limit.js'
 * const limit = new ConcurrencyLimit(2)
 * await Promise.all([1, 2, 3].map(n => limit.run(async () => n * 2))) // at most two at a time
 * ```
 */
export class ConcurrencyLimit {
  readonly #limit: number
  readonly #waiting: Array<() => void> = []
  #running = 0

  constructor (limit: number) {
    this.#limit = limit
  }

  async run<T> (task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal)
    try {
      return await task()
    } finally {
      this.#running--
      this.#waiting.shift()?.()
    }
  }

  async #acquire (signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw abortError(signal, 'announcement')
    if (this.#running < this.#limit) {
      this.#running++
      return
    }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort)
        this.#running++
        resolve()
      }
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(go)
        if (index !== -1) this.#waiting.splice(index, 1)
        reject(abortError(signal as AbortSignal, 'announcement'))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(go)
    })
  }
}
