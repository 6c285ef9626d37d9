import { createHash } from 'node:crypto'
import { parseAddress } from '@codio-chunk/protocol'
import type { ContentId } from '@codio-chunk/interface'

/**
 * Client id and version at the start of every peer id this package announces (Azureus style:
 * `-`, two letters, four version digits, `-`): codio-chunk, 0.1.0.0.
 */
export const PEER_ID_PREFIX = '-CC0100-'

/**
 * The info hash under which a content is announced: the SHA-1 of its CID's multihash bytes. The
 * multihash is what CIDv0 and CIDv1 forms of one content share (`Qm…` and its `bafy…` form), so
 * both meet at the same tracker swarm; the codec is left out on purpose.
 *
 * @example
 * ```ts
 * import { ContentId } from '@codio-chunk/interface'
 * const v0 = ContentId.parse('QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o')
 * const v1 = ContentId.fromCid(v0.cid.toV1())
 * Buffer.from(infoHashOf(v0)).equals(infoHashOf(v1)) // true
 * ```
 */
export function infoHashOf (cid: ContentId): Uint8Array {
  return new Uint8Array(createHash('sha1').update(cid.cid.multihash.bytes).digest())
}

/**
 * The 20-byte BitTorrent peer id of a node: {@link PEER_ID_PREFIX} then the first 12 bytes of the
 * SHA-1 of the node's libp2p peer id string. The same node always announces the same peer id, and
 * the tracker never learns the libp2p id itself.
 */
export function trackerPeerIdOf (peerId: string): Uint8Array {
  const out = new Uint8Array(20)
  out.set(new TextEncoder().encode(PEER_ID_PREFIX), 0)
  out.set(createHash('sha1').update(peerId, 'utf8').digest().subarray(0, 12), 8)
  return out
}

/** The node's TCP listen endpoints (`tcp://host:port`, port > 0), in the order given. */
export function tcpEndpoints (addresses: readonly string[]): Array<{ host: string, port: number }> {
  const out: Array<{ host: string, port: number }> = []
  for (const address of addresses) {
    if (typeof address !== 'string' || !address.toLowerCase().startsWith('tcp://')) continue
    try {
      const { host, port } = parseAddress(address)
      if (port > 0) out.push({ host, port })
    } catch {
      // Not an address this package can announce; skip it.
    }
  }
  return out
}

/** Hex of bytes, for map keys and logs. */
export function hex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
