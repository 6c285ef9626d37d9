/** An item waiting in an {@link UploadOrder}: how often later arrivals went ahead of it. */
export interface Overtakable {
  /** Set and read by the queue only. */
  overtaken: number
}

/** Times a queued upload may be overtaken by later, rarer ones before it goes next whatever its rank. */
export const MAX_OVERTAKES = 4

/**
 * The requests one peer has waiting to be served, handed out rarest first instead of in arrival
 * order, so that a chunk few peers have leaves before common ones queued earlier: a rare chunk
 * then spreads through the swarm without waiting behind a whole pipeline of requests at every
 * hop, and a seeder sends the chunks it has sent least first. Fairness stays bounded: a request
 * overtaken `maxOvertakes` times goes next (the oldest such first), so none waits for more than
 * `maxOvertakes` extra turns.
 *
 * `rank` is read when the next item is chosen (lower goes first; equal ranks keep arrival order),
 * so it may change while items wait, e.g. as other peers announce chunks. A queue holds at most
 * the peer's request limit (`maxRequestsServed`): choosing is a scan of it.
 *
 * @example
 * ```ts
 * const order = new UploadOrder<{ index: number, overtaken: number }>((item) => item.index)
 * order.push({ index: 9, overtaken: 0 })
 * order.push({ index: 2, overtaken: 0 })
 * order.next()?.index   // 2: ranked first though it came second
 * order.next()?.index   // 9
 * ```
 */
export class UploadOrder<T extends Overtakable> {
  private readonly items: T[] = []

  /**
   * @param rank - lower goes first; called for each waiting item whenever the next one is chosen
   * @param maxOvertakes - times an item may be overtaken before it goes next regardless of rank
   */
  constructor (private readonly rank: (item: T) => number, private readonly maxOvertakes = MAX_OVERTAKES) {}

  /** Items waiting. */
  get size (): number {
    return this.items.length
  }

  /** Queues an item behind the ones waiting. */
  push (item: T): void {
    item.overtaken = 0
    this.items.push(item)
  }

  /**
   * Removes and returns the item to serve next: the oldest one overtaken `maxOvertakes` times if
   * any, else the lowest-ranked (the oldest among equals). Every older item it goes ahead of counts
   * one more overtake. Undefined when empty.
   */
  next (): T | undefined {
    const items = this.items
    if (items.length <= 1) return items.pop()
    let best = 0
    let bestRank = Number.POSITIVE_INFINITY
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      if (item.overtaken >= this.maxOvertakes) { best = i; break }
      const r = this.rank(item)
      if (r < bestRank) {
        best = i
        bestRank = r
      }
    }
    for (let i = 0; i < best; i++) items[i].overtaken++
    return items.splice(best, 1)[0]
  }
}
