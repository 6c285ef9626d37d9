import { BencodeError, decodeBencode, latin1 } from './bencode.js'
import { TrackerFailureError, TrackerResponseError } from './errors.js'
import { COMPACT_IPV4, COMPACT_IPV6, canonicalIp, readCompactPeers } from './peers.js'
import type { AnnounceReply, TrackerPeer } from './announce.js'
import type { BencodeDict, BencodeValue } from './bencode.js'

/** Longest failure reason or warning kept (characters); trackers write one line. */
export const MAX_REASON_LENGTH = 200

/**
 * Reads the bencoded answer of an HTTP tracker to an announce (BEP 3, with the compact forms of
 * BEP 23 and BEP 7 and BEP 24's `external ip`), keeping at most `maxPeers` peers. Throws
 * `TrackerFailureError` for a `failure reason` and `TrackerResponseError` for anything that is not
 * an announce answer.
 */
export function parseHttpAnnounceReply (tracker: string, body: Uint8Array, maxPeers: number): AnnounceReply {
  let decoded: BencodeValue
  try {
    decoded = decodeBencode(body)
  } catch (err) {
    if (!(err instanceof BencodeError)) throw err
    throw new TrackerResponseError(tracker, `The tracker ${tracker} sent an answer that is not bencode (${err.message})`, { cause: err })
  }
  if (!(decoded instanceof Map)) throw new TrackerResponseError(tracker, `The tracker ${tracker} sent a bencoded ${kind(decoded)} where an announce answer is a dictionary`)
  const failure = decoded.get('failure reason')
  if (failure !== undefined) throw new TrackerFailureError(tracker, failure instanceof Uint8Array ? reason(failure) : `(a ${kind(failure)} as failure reason)`)
  const peers: TrackerPeer[] = []
  readPeers(tracker, decoded.get('peers'), COMPACT_IPV4, maxPeers, peers)
  readPeers(tracker, decoded.get('peers6'), COMPACT_IPV6, maxPeers, peers)
  const warning = decoded.get('warning message')
  return {
    interval: seconds(decoded, 'interval'),
    minInterval: seconds(decoded, 'min interval'),
    peers,
    warning: warning instanceof Uint8Array ? reason(warning) : undefined,
    externalIp: externalIp(decoded.get('external ip'))
  }
}

function readPeers (tracker: string, value: BencodeValue | undefined, entrySize: typeof COMPACT_IPV4 | typeof COMPACT_IPV6, maxPeers: number, out: TrackerPeer[]): void {
  if (value === undefined) return
  if (value instanceof Uint8Array) {
    if (value.length % entrySize !== 0) throw new TrackerResponseError(tracker, `The tracker ${tracker} sent a compact peer list of ${value.length} bytes, not a multiple of ${entrySize}`)
    readCompactPeers(value, entrySize, maxPeers, out)
    return
  }
  if (!Array.isArray(value) || entrySize === COMPACT_IPV6) throw new TrackerResponseError(tracker, `The tracker ${tracker} sent a ${kind(value)} as its peer list`)
  // The dictionary model: { ip, port, peer id }. Entries that are not a dialable IP and port are skipped.
  for (const entry of value) {
    if (out.length >= maxPeers) return
    if (!(entry instanceof Map)) continue
    const ip = entry.get('ip')
    const port = entry.get('port')
    const host = ip instanceof Uint8Array ? canonicalIp(latin1(ip)) : undefined
    if (host === undefined || typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) continue
    const id = entry.get('peer id')
    out.push(id instanceof Uint8Array && id.length === 20 ? { host, port, peerId: id } : { host, port })
  }
}

function seconds (dict: BencodeDict, key: string): number | undefined {
  const value = dict.get(key)
  return typeof value === 'number' && value > 0 ? value : undefined
}

function externalIp (value: BencodeValue | undefined): string | undefined {
  if (!(value instanceof Uint8Array)) return undefined
  if (value.length === 4) return value.join('.')
  if (value.length !== 16) return undefined
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((value[i] << 8) | value[i + 1]).toString(16))
  return canonicalIp(groups.join(':'))
}

/** A tracker's text, decoded as UTF-8, control characters removed, cut to {@link MAX_REASON_LENGTH}. */
export function reason (bytes: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, MAX_REASON_LENGTH * 4))
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim()
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH)}…` : clean
}

function kind (value: BencodeValue): string {
  if (typeof value === 'number') return 'integer'
  if (value instanceof Uint8Array) return 'string'
  return Array.isArray(value) ? 'list' : 'dictionary'
}
