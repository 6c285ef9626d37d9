import { BencodeError, decode, encode, latin1 } from './bencode.js'

/**
 * The value of a node's provider record: the bencoded dictionary `{ a: [address, …] }`, carried
 * as the BEP 44 value (a byte string, so the signature covers exactly these bytes whatever a
 * decoder does with dictionaries). An address that names the record's own peer id is written
 * with the id left out (`quic://1.2.3.4:4002/p2p/`): the reader knows it from the record's key,
 * and each address costs 52 bytes less. Keys other than `a` are ignored, for later versions.
 */

/** Largest record value, in bytes: its BEP 44 form `<length>:<value>` stays under 1000 bytes. */
export const MAX_RECORD_BYTES = 995
/** Most addresses a record may hold. */
export const MAX_RECORD_ADDRESSES = 32
/** Longest address a record may hold, in bytes. */
export const MAX_ADDRESS_BYTES = 255

const P2P = '/p2p/'

/** What {@link encodeRecordValue} made, and what did not fit. */
export interface EncodedRecord {
  value: Uint8Array
  /** The addresses in the record, in order. */
  included: string[]
  /** Addresses left out: too long, or no room left. */
  left: string[]
}

/**
 * Builds a record value from the node's addresses, in order, leaving out those that would take
 * it past {@link MAX_RECORD_BYTES} or {@link MAX_RECORD_ADDRESSES}.
 *
 * @example
 * ```ts
 * import { encodeRecordValue } from './record-value.js'
 * const id = '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'
 * const { value } = encodeRecordValue(['tcp://1.2.3.4:4001', `quic://1.2.3.4:4002/p2p/${id}`], id)
 * new TextDecoder().decode(value) // 'd1:al18:tcp://1.2.3.4:400124:quic://1.2.3.4:4002/p2p/ee'
 * ```
 */
export function encodeRecordValue (addresses: readonly string[], peerId: string): EncodedRecord {
  const own = P2P + peerId
  const included: string[] = []
  const left: string[] = []
  const written: Uint8Array[] = []
  let size = 'd1:alee'.length
  for (const address of addresses) {
    const compact = address.endsWith(own) ? address.slice(0, address.length - peerId.length) : address
    const bytes = new TextEncoder().encode(compact)
    const cost = String(bytes.length).length + 1 + bytes.length
    if (bytes.length > MAX_ADDRESS_BYTES || written.length >= MAX_RECORD_ADDRESSES || size + cost > MAX_RECORD_BYTES) {
      left.push(address)
      continue
    }
    written.push(bytes)
    included.push(address)
    size += cost
  }
  return { value: encode(new Map([['a', written]])), included, left }
}

/**
 * Reads a record value back into addresses, putting the record's peer id back where it was left
 * out. Throws `BencodeError` for a value that is not a canonical record: too long, not a
 * dictionary, no `a` list, too many or too long addresses, addresses that are not printable ASCII.
 *
 * @example
 * ```ts
 * import { decodeRecordValue } from './record-value.js'
 * const value = new TextEncoder().encode('d1:al24:quic://1.2.3.4:4002/p2p/ee')
 * decodeRecordValue(value, '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV')
 * // [ 'quic://1.2.3.4:4002/p2p/12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV' ]
 * ```
 */
export function decodeRecordValue (value: Uint8Array, peerId: string): string[] {
  if (value.length > MAX_RECORD_BYTES) throw new BencodeError(`record of ${value.length} bytes is over ${MAX_RECORD_BYTES}`)
  const record = decode(value, { maxDepth: 2, canonical: true })
  if (!(record instanceof Map)) throw new BencodeError('record is not a dictionary')
  const list = record.get('a')
  if (!Array.isArray(list)) throw new BencodeError('record has no address list')
  if (list.length > MAX_RECORD_ADDRESSES) throw new BencodeError(`record has ${list.length} addresses, over ${MAX_RECORD_ADDRESSES}`)
  return list.map((item) => {
    if (!(item instanceof Uint8Array) || item.length === 0 || item.length > MAX_ADDRESS_BYTES) throw new BencodeError('record address is not a byte string of 1 to 255 bytes')
    if (!item.every(byte => byte > 0x20 && byte < 0x7f)) throw new BencodeError('record address is not printable ASCII')
    const address = latin1(item)
    return address.endsWith(P2P) ? address + peerId : address
  })
}
