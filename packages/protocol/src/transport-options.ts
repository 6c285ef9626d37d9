import { InvalidAddressError, InvalidConfigError, throwIfAborted } from '@codio-chunk/interface'
import type { ListenOptions } from '@codio-chunk/interface'

/**
 * Returns `value` if it is a positive safe integer, or throws InvalidConfigError naming the
 * option. For transport and storage plugins validating their options.
 *
 * @example
 * ```ts
 * import { checkPositiveInteger } from '@codio-chunk/core'
 * const closeTimeout = checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout')
 * ```
 */
export function checkPositiveInteger (value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidConfigError(`${name} must be a positive integer, got ${String(value)}`)
  return value
}

/** The identity side of {@link checkListenOptions}, for transports that authenticate peer ids. */
export interface ListenIdentity {
  /** This transport's own peer id. */
  peerId: string
  /** The peer id the listen address names (`/p2p/<id>`), if any. */
  addressPeerId?: string
}

/**
 * The checks every `Transport.listen` starts with: an `onConnection` callback, an address that
 * names no other peer id than this transport's own (authenticated transports), a signal not
 * already aborted.
 *
 * @example
 * ```ts
 * import { checkListenOptions } from '@codio-chunk/protocol'
 * checkListenOptions(address, options, { peerId: this.peerId, addressPeerId })
 * ```
 */
export function checkListenOptions (address: string, options: ListenOptions, identity?: ListenIdentity): void {
  if (typeof options.onConnection !== 'function') throw new InvalidConfigError('listen() needs an onConnection(connection) callback')
  if (identity?.addressPeerId !== undefined && identity.addressPeerId !== identity.peerId) {
    throw new InvalidAddressError(`Cannot listen on ${address}: it names peer id ${identity.addressPeerId}, but this transport's identity is ${identity.peerId}`)
  }
  throwIfAborted(options.signal, `listen on ${address}`)
}
