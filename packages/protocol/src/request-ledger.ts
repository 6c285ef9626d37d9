import type { WireMessage } from '@codio-chunk/interface'

/** Requests tracked in each direction at most; a peer sending more only loses the fast path. */
export const MAX_TRACKED_REQUESTS = 4096

/** Our requests remembered as cancelled (their answers may still be on the way), the latest ones. */
export const MAX_REMEMBERED_CANCELS = 1024

/** Where one of our request ids stands: waiting for its answer, cancelled by us, or not ours at all. */
export type AnswerState = 'awaited' | 'cancelled' | 'unknown'

/**
 * The open requests of one connection, in both directions: which of our requests still wait for
 * an answer (so a large answer to anything else is never assembled: QUIC refuses its stream, TCP
 * skips or refuses its frame, see `admitLargeFrame`), which we cancelled lately, and which of the
 * peer's requests are unanswered (so our answer to one of them may take its own stream). Bounded
 * at {@link MAX_TRACKED_REQUESTS} each way and {@link MAX_REMEMBERED_CANCELS}, whatever the peer
 * sends.
 *
 * @example
 * ```ts
 * import { RequestLedger } from '@codio-chunk/core'
 * const ledger = new RequestLedger()
 * ledger.received({ type: 'request-chunk', id: 7, content, index: 0 })
 * ledger.sending({ type: 'data', id: 7, bytes }) // true: answers the peer's request 7
 * ledger.sending({ type: 'request-chunk', id: 1, content, index: 3 })
 * ledger.awaits(1) // true until the answer arrives or we cancel
 * ```
 */
export class RequestLedger {
  /** Our requests the peer has not answered yet. */
  private readonly awaiting = new Set<number>()
  /** The peer's requests we have not answered yet. */
  private readonly inbound = new Set<number>()
  /** Our requests we cancelled lately, oldest first (bounded). */
  private readonly cancelled = new Set<number>()

  /**
   * Notes a message this side is sending. Returns true if it is an answer to a request of the
   * peer that was still open (it may then travel on a stream of its own).
   */
  sending (message: WireMessage): boolean {
    switch (message.type) {
      case 'request-chunk':
      case 'request-block':
        if (this.awaiting.size < MAX_TRACKED_REQUESTS) this.awaiting.add(message.id)
        return false
      case 'cancel':
        if (this.awaiting.delete(message.id)) this.rememberCancel(message.id)
        return false
      case 'data':
      case 'reject':
        return this.inbound.delete(message.id)
      default:
        return false
    }
  }

  /** Notes a message received from the peer. */
  received (message: WireMessage): void {
    switch (message.type) {
      case 'request-chunk':
      case 'request-block':
        if (this.inbound.size < MAX_TRACKED_REQUESTS) this.inbound.add(message.id)
        break
      case 'cancel':
        this.inbound.delete(message.id)
        break
      case 'data':
      case 'reject':
        this.awaiting.delete(message.id)
        this.cancelled.delete(message.id)
        break
    }
  }

  /**
   * Where our request `id` stands: `awaited` while its answer is due, `cancelled` if we cancelled
   * it lately (its answer may cross the cancel and is to be dropped, not held against the peer),
   * else `unknown`: an answer to it is one this side never asked for.
   */
  answerState (id: number): AnswerState {
    if (this.awaiting.has(id)) return 'awaited'
    return this.cancelled.has(id) ? 'cancelled' : 'unknown'
  }

  /** True while our request `id` waits for its answer. */
  awaits (id: number): boolean {
    return this.awaiting.has(id)
  }

  /** Marks our request `id` answered; false if it was not waiting (cancelled, answered, or never made). */
  answered (id: number): boolean {
    this.cancelled.delete(id)
    return this.awaiting.delete(id)
  }

  private rememberCancel (id: number): void {
    this.cancelled.delete(id)
    this.cancelled.add(id)
    if (this.cancelled.size > MAX_REMEMBERED_CANCELS) this.cancelled.delete(this.cancelled.values().next().value as number)
  }
}
