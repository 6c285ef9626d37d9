import type { Logger } from '@codio-chunk/interface'

type Listener<T> = (detail: T) => void

/**
 * A small typed event emitter. A listener that throws is reported to the logger and does not stop
 * the other listeners or the engine.
 *
 * @example
 * ```ts
 * const off = node.events.on('chunk:verified', ({ index }) => { console.log('chunk', index) })
 * off() // stop listening
 * ```
 */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<any>>>()
  private readonly log?: Logger

  constructor (log?: Logger) {
    this.log = log
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(type, set)
    }
    set.add(listener)
    return () => { this.off(type, listener) }
  }

  /** Adds a listener called at most once. */
  once<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(type, (detail) => {
      off()
      listener(detail)
    })
    return off
  }

  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): void {
    this.listeners.get(type)?.delete(listener)
  }

  /** True if anyone listens to `type` (lets callers skip building costly event details). */
  has<K extends keyof Events>(type: K): boolean {
    return (this.listeners.get(type)?.size ?? 0) > 0
  }

  emit<K extends keyof Events>(type: K, detail: Events[K]): void {
    const set = this.listeners.get(type)
    if (set === undefined || set.size === 0) return
    for (const listener of [...set]) {
      try {
        listener(detail)
      } catch (err) {
        this.log?.error('listener for %s threw: %o', String(type), err)
      }
    }
  }
}
