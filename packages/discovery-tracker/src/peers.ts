import { isIP } from 'node:net'
import type { TrackerPeer } from './announce.js'

/** Bytes of one compact IPv4 peer (BEP 23) and of one compact IPv6 peer (BEP 7). */
export const COMPACT_IPV4 = 6
export const COMPACT_IPV6 = 18

/**
 * Appends the peers of a compact peer string (4 or 16 address bytes, then a big-endian port) to
 * `out`, stopping once `out` holds `max`. Bytes after the last whole entry are ignored.
 */
export function readCompactPeers (bytes: Uint8Array, entrySize: typeof COMPACT_IPV4 | typeof COMPACT_IPV6, max: number, out: TrackerPeer[]): void {
  for (let at = 0; at + entrySize <= bytes.length && out.length < max; at += entrySize) {
    const port = (bytes[at + entrySize - 2] << 8) | bytes[at + entrySize - 1]
    const host = entrySize === COMPACT_IPV4 ? ipv4Text(bytes, at) : ipv6Text(bytes, at)
    out.push({ host, port })
  }
}

/** The canonical text of an IP literal (IPv4-mapped IPv6 as IPv4), or undefined for anything else (host names included). */
export function canonicalIp (text: string): string | undefined {
  if (text.length > 64) return undefined
  const family = isIP(text)
  if (family === 4) return text.split('.').map(Number).join('.')
  if (family !== 6 || text.includes('%')) return undefined
  const host = new URL(`http://[${text}]/`).hostname.slice(1, -1)
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host)
  if (mapped === null) return host
  const high = parseInt(mapped[1], 16)
  const low = parseInt(mapped[2], 16)
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`
}

/** `ip:port` as a key, IPv6 in brackets. */
export function endpointKey (host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/** True for the wildcard addresses, which no peer can be dialled at. */
export function isUnspecifiedIp (host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

function ipv4Text (bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`
}

function ipv6Text (bytes: Uint8Array, at: number): string {
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[at + i] << 8) | bytes[at + i + 1]).toString(16))
  return canonicalIp(groups.join(':')) as string
}
