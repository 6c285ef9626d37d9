/**
 * Runs tasks one at a time per key (tasks for different keys run concurrently). Used so creating
 * and deleting one content's folder never interleave.
 *
 * @example
 * ```ts
 * const lock = new KeyLock()
 * await lock.run('bafy…', async () => { await createFolder() })
 * ```
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T> (key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.then(task)
    const tail = result.then(() => {}, () => {})
    this.tails.set(key, tail)
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key) })
    return await result
  }

  /** Resolves when every task queued so far has finished. */
  async idle (): Promise<void> {
    await Promise.all([...this.tails.values()])
  }
}
