import { raceAbort } from '@codio-chunk/protocol'

/** One task shared by every caller that asked for the same key. */
interface SharedTask<T> {
  readonly promise: Promise<T>
  /** Aborted when the last caller still waiting gives up. */
  readonly controller: AbortController
  callers: number
}

/**
 * Tasks shared by key: the first caller of a key starts the task, later callers join it, and the
 * task is aborted only when every caller still waiting has given up (a caller's own signal
 * rejects just that caller). A task leaves the map once it settles, so the next caller starts a
 * new one.
 *
 * @example
 * ```ts
 * const tasks = new SharedTasks<Manifest>()
 * const manifest = await tasks.join(cid.toString(), async (signal) => await fetch(cid, signal), { signal })
 * ```
 */
export class SharedTasks<T> {
  private readonly tasks = new Map<string, SharedTask<T>>()

  /** True while a task runs under `key`. */
  has (key: string): boolean {
    return this.tasks.has(key)
  }

  /**
   * Waits for the task under `key`, starting it with `start` if none runs. `start` gets a signal
   * that fires when every caller has given up. Rejects with AbortError when `options.signal` fires
   * (the task goes on for the others), else settles as the task does.
   */
  async join (key: string, start: (signal: AbortSignal) => Promise<T>, options: { signal?: AbortSignal, what?: string } = {}): Promise<T> {
    let task = this.tasks.get(key)
    if (task === undefined) {
      const controller = new AbortController()
      const promise = start(controller.signal).finally(() => {
        if (this.tasks.get(key) === task) this.tasks.delete(key)
      })
      promise.catch(() => {})
      task = { promise, controller, callers: 0 }
      this.tasks.set(key, task)
    }
    const joined = task
    joined.callers++
    try {
      return await raceAbort(joined.promise, options.signal, options.what)
    } finally {
      joined.callers--
      // The task stops only when every caller has given up on it.
      if (options.signal?.aborted === true && joined.callers === 0) joined.controller.abort(options.signal.reason)
    }
  }

  /** Resolves when every task running now has settled. */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.tasks.values()].map(async t => { await t.promise }))
  }
}
