import { formatAddress, isUnspecifiedHost, parseAddress, peerIdFromPublicKey } from '@codio-chunk/protocol'
import { sha1 } from './content-key.js'
import { decodeRecordValue, MAX_RECORD_BYTES } from './record-value.js'
import { signedBytes, verifyEd25519 } from './signature.js'
import type { ProviderRecord } from '@codio-chunk/interface'

/** The fields of a BEP 44 `get` reply a record is read from, as the DHT library decoded them. */
export interface MutableItem {
  v?: unknown
  k?: unknown
  sig?: unknown
  seq?: unknown
  salt?: unknown
}

/** A record that passed, or why it did not. */
export type RecordCheck =
  | { ok: true, provider: ProviderRecord & { peerId: string }, seq: number, skipped: string[] }
  | { ok: false, reason: string }

/** What a record is checked against. */
export interface RecordContext {
  /** The BEP 44 target asked for: the provider's DHT node id. */
  target: Uint8Array
  /** The IPv4 address the provider's DHT node answered from; replaces a wildcard host in its addresses. */
  seenHost: string
  /** Address schemes kept; others are skipped (a newer transport), not an error. */
  schemes: ReadonlySet<string>
}

/**
 * Checks a provider record fetched from the DHT and turns it into a `ProviderRecord`. Every check
 * must pass or the record is refused with the reason:
 * - it is a mutable item without salt: a 32-byte key `k`, a 64-byte `sig`, a `seq`, a byte-string
 *   value of at most {@link MAX_RECORD_BYTES};
 * - SHA-1(k) is the target asked for;
 * - `sig` is k's Ed25519 signature of the BEP 44 signed bytes;
 * - the value is a record (`record-value.ts`) and every address in it parses; an address that
 *   names a peer id names k's (the peer id of the record is derived from k, never read from it).
 *
 * Addresses of schemes not in `schemes` are skipped; a wildcard host (`0.0.0.0`, `::`) is replaced
 * by the address the provider's DHT node answered from. A record left with no address is refused.
 *
 * @example
 * ```ts
 * import { checkRecord } from './record-check.js'
 * const check = checkRecord(reply, { target: nodeId, seenHost: '10.0.0.5', schemes: new Set(['tcp']) })
 * if (check.ok) console.log(check.provider.peerId, check.provider.addresses)
 * else console.log('refused:', check.reason)
 * ```
 */
export function checkRecord (item: MutableItem, context: RecordContext): RecordCheck {
  const { v, k, sig, seq } = item
  if (item.salt !== undefined && item.salt !== null) return fail('the item has a salt')
  if (!(k instanceof Uint8Array) || k.length !== 32) return fail('no 32-byte public key')
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return fail('no 64-byte signature')
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return fail('no sequence number')
  if (!(v instanceof Uint8Array)) return fail('the value is not a byte string')
  if (v.length > MAX_RECORD_BYTES) return fail(`the value is ${v.length} bytes, over ${MAX_RECORD_BYTES}`)
  if (!equalBytes(sha1(k), context.target)) return fail('the key does not hash to the target')
  if (!verifyEd25519(k, signedBytes(seq, v), sig)) return fail('the signature does not verify')
  const peerId = peerIdFromPublicKey(k)
  let written: string[]
  try {
    written = decodeRecordValue(v, peerId)
  } catch (err) {
    return fail(`the value is not a provider record (${(err as Error).message})`)
  }
  const addresses: string[] = []
  const skipped: string[] = []
  for (const address of written) {
    let parsed
    try {
      parsed = parseAddress(address)
    } catch {
      return fail(`"${address.slice(0, 80)}" is not an address`)
    }
    if (parsed.peerId !== undefined && parsed.peerId !== peerId) return fail(`an address names another peer id (${parsed.peerId})`)
    if (!context.schemes.has(parsed.scheme)) {
      skipped.push(address)
      continue
    }
    const usable = isUnspecifiedHost(parsed.host) ? formatAddress(parsed.scheme, context.seenHost, parsed.port, parsed.peerId) : address
    if (!addresses.includes(usable)) addresses.push(usable)
  }
  if (addresses.length === 0) return fail('no address of a known scheme')
  return { ok: true, provider: { peerId, addresses }, seq, skipped }
}

function fail (reason: string): RecordCheck {
  return { ok: false, reason }
}

/** True if two byte arrays hold the same bytes. */
export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
