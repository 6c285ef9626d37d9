import { encodeRecordValue } from './record-value.js'
import { signedBytes } from './signature.js'
import type { Identity, Logger } from '@codio-chunk/interface'
import type { DhtNode, SignedItem } from './dht-node.js'

/** Least time between two stores of an unchanged record on the DHT, in ms. */
export const MIN_REPUBLISH_INTERVAL = 60_000

/** What a {@link RecordPublisher} works with. */
export interface RecordPublisherInit {
  node: Pick<DhtNode, 'put' | 'storeLocally' | 'holds'>
  identity: Pick<Identity, 'peerId' | 'publicKey' | 'sign'>
  /** The record's BEP 44 target: SHA-1 of the public key, which is also the node's DHT id. */
  target: Uint8Array
  addresses: () => readonly string[]
  log: Logger
  /** The last sequence number signed before (from the state file), so the next is higher. */
  lastSeq?: number
  /** Clock, ms. Default `Date.now`. */
  now?: () => number
}

/**
 * Keeps this node's provider record: a BEP 44 mutable item under its own key (no salt) whose
 * value lists its addresses (`record-value.ts`), signed with its identity. The record is kept in
 * the node's own store (so the node answers `get` for it directly) and stored on the nodes
 * closest to its target. {@link publish} re-signs and stores it when the addresses changed, or
 * when {@link MIN_REPUBLISH_INTERVAL} passed since the last store; each signature has a higher
 * `seq` (the clock's seconds, or one more than the last), so storing nodes replace older copies.
 *
 * @example
 * ```ts
 * import { RecordPublisher } from './record-publisher.js'
 * const publisher = new RecordPublisher({ node, identity, target: node.id, addresses: () => ['tcp://10.0.0.5:4001'], log })
 * await publisher.publish() // signs, keeps it locally, stores it on the 8 closest nodes
 * await publisher.publish() // within a minute and unchanged: nothing to do
 * ```
 */
export class RecordPublisher {
  readonly #init: RecordPublisherInit
  readonly #now: () => number
  #item: SignedItem | undefined
  #published = ''
  #lastStore = -Infinity
  #lastSeq: number
  #storing: Promise<void> | undefined

  constructor (init: RecordPublisherInit) {
    this.#init = init
    this.#now = init.now ?? Date.now
    this.#lastSeq = init.lastSeq ?? 0
  }

  /** The sequence number of the last record signed (0 if none). */
  get seq (): number {
    return this.#lastSeq
  }

  /** True once a record was stored on the DHT (so address changes are worth watching). */
  get active (): boolean {
    return this.#lastStore !== -Infinity
  }

  /** True if the node's addresses differ from those in the current record. */
  changed (): boolean {
    return addressKey(this.#init.addresses()) !== this.#published
  }

  /**
   * Signs a record of the current addresses and keeps it in the node's own store only (no
   * network). Does nothing while the node has no address.
   */
  prepare (): void {
    if (this.#item !== undefined && !this.changed()) {
      this.ensureLocal()
      return
    }
    this.#sign()
  }

  /** Puts the current record back into the node's store if it was pushed out of it. */
  ensureLocal (): void {
    const item = this.#item
    if (item !== undefined && !this.#init.node.holds(this.#init.target, item.seq)) this.#init.node.storeLocally(this.#init.target, item)
  }

  /**
   * Stores the record on the DHT if the addresses changed or a minute passed since the last
   * store. Concurrent calls share one store. Resolves once the closest nodes were asked; a store
   * no node accepted is logged, not thrown (the node still serves the record itself).
   */
  async publish (): Promise<void> {
    if (this.#storing !== undefined) return await this.#storing
    const changed = this.changed()
    if (!changed && this.#now() - this.#lastStore < MIN_REPUBLISH_INTERVAL) {
      this.ensureLocal()
      return
    }
    const item = this.#sign()
    if (item === undefined) return
    this.#lastStore = this.#now()
    this.#storing = this.#init.node.put(this.#init.target, item).then((stored) => {
      if (stored === 0) this.#init.log('no DHT node stored the provider record (seq %d); this node still serves it itself', item.seq)
      else this.#init.log('provider record seq %d stored on %d DHT nodes', item.seq, stored)
    }, (err: unknown) => {
      this.#init.log('storing the provider record failed: %s', (err as Error)?.message ?? String(err))
    }).finally(() => { this.#storing = undefined })
    await this.#storing
  }

  #sign (): SignedItem | undefined {
    const addresses = this.#init.addresses()
    if (addresses.length === 0) {
      this.#init.log('the node has no listen address yet; no provider record to publish')
      return undefined
    }
    const { identity } = this.#init
    const { value, left } = encodeRecordValue(addresses, identity.peerId)
    if (left.length > 0) this.#init.log('%d addresses left out of the provider record (over 1000 bytes or 32 addresses): %s', left.length, left.join(', '))
    const seq = Math.max(Math.floor(this.#now() / 1000), this.#lastSeq + 1)
    const sig = identity.sign(signedBytes(seq, value))
    const item: SignedItem = { k: identity.publicKey, seq, v: value, sig }
    this.#lastSeq = seq
    this.#item = item
    this.#published = addressKey(addresses)
    this.#init.node.storeLocally(this.#init.target, item)
    return item
  }
}

function addressKey (addresses: readonly string[]): string {
  return addresses.join('\n')
}
