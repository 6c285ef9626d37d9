import { abortError } from '@codio-chunk/interface'

/** Limits how many tasks run at once; waiters are served in order. */
export class Semaphore {
  private available: number
  private readonly waiters: Array<{ resolve: () => void, reject: (err: Error) => void }> = []

  constructor (permits: number) {
    this.available = permits
  }

  async acquire (signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted === true) throw abortError(signal, 'download')
    if (this.available > 0) {
      this.available--
      return this.releaser()
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter)
        if (at !== -1) {
          this.waiters.splice(at, 1)
          reject(abortError(signal as AbortSignal, 'download'))
        }
      }
      const waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject
      }
      this.waiters.push(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    return this.releaser()
  }

  private releaser (): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiters.shift()
      if (next !== undefined) next.resolve()
      else this.available++
    }
  }
}
