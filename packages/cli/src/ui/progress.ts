import type { DownloadProgress, PeerStats } from '@codio-chunk/core'
import { formatBytes, formatDuration, formatRate } from '../units.js'

function clampFraction (fraction: number): number {
  return Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0))
}

/**
 * `██████░░░░`: a bar `width` characters wide, filled for a fraction from 0 to 1 (values outside
 * are clamped; not a number counts as 0).
 *
 * @example
 * ```ts
 * bar(0.5, 10) // '█████░░░░░'
 * ```
 */
export function bar (fraction: number, width = 24): string {
  const cells = Number.isFinite(width) ? Math.max(0, Math.floor(width)) : 0
  const full = Math.round(clampFraction(fraction) * cells)
  return '█'.repeat(full) + '░'.repeat(cells - full)
}

/**
 * One progress line: bar, percent, bytes, rate, peers and ETA.
 *
 * @example
 * ```ts
 * progressLine({ progress: 0.5, downloadedBytes: 512, totalBytes: 1024, downloadRate: 100, peers: 3, eta: 5120 })
 * // '██████████████░░░░░░░░░░  50.0%  512 B / 1.0 KiB  100 B/s  3 peers  eta 5.1 s'
 * ```
 */
export function progressLine (p: Pick<DownloadProgress, 'progress' | 'downloadedBytes' | 'totalBytes' | 'downloadRate' | 'peers' | 'eta' | 'discovery'>): string {
  if (p.totalBytes === 0 && p.discovery !== undefined) {
    const { lookups, found, connected } = p.discovery
    return `looking for providers: ${lookups} lookup${lookups === 1 ? '' : 's'} done, ${found} found, ${connected} connected`
  }
  const percent = `${(clampFraction(p.progress) * 100).toFixed(1).padStart(5)}%`
  const eta = p.eta === undefined ? 'eta ?' : `eta ${formatDuration(p.eta)}`
  return `${bar(p.progress)} ${percent}  ${formatBytes(p.downloadedBytes)} / ${formatBytes(p.totalBytes)}  ${formatRate(p.downloadRate)}  ${p.peers} peer${p.peers === 1 ? '' : 's'}  ${eta}`
}

/**
 * A node's totals over its peers.
 *
 * @example
 * ```ts
 * totals(node.peerStats()).uploadRate // bytes per second sent to all peers
 * ```
 */
export function totals (stats: readonly PeerStats[]): { peers: number, uploadRate: number, downloadRate: number, bytesSent: number, bytesReceived: number } {
  let uploadRate = 0
  let downloadRate = 0
  let bytesSent = 0
  let bytesReceived = 0
  for (const s of stats) {
    uploadRate += s.uploadRate
    downloadRate += s.downloadRate
    bytesSent += s.bytesSent
    bytesReceived += s.bytesReceived
  }
  return { peers: stats.length, uploadRate, downloadRate, bytesSent, bytesReceived }
}

/**
 * A short form of a peer id: `12D3KooW…x7Yq`.
 *
 * @example
 * ```ts
 * shortPeerId('12D3KooWabcdefghijklmnopx7Yq') // '12D3KooW…x7Yq'
 * ```
 */
export function shortPeerId (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-4)}` : peerId
}

/**
 * The status block of a running node: a summary line and one line per peer (up to `maxPeers`)
 * with its choke state and rates, busiest first, then `… and N more`.
 *
 * @example
 * ```ts
 * const [summary, ...perPeer] = statusLines(node.peerStats(), 3)
 * summary // '2 peers  ↑ 1.2 MiB/s  ↓ 0 B/s  sent 40.0 MiB  received 0 B  3 contents stored'
 * ```
 */
export function statusLines (stats: readonly PeerStats[], contents: number, maxPeers = 8): string[] {
  const sum = totals(stats)
  const lines = [`${sum.peers} peer${sum.peers === 1 ? '' : 's'}  ↑ ${formatRate(sum.uploadRate)}  ↓ ${formatRate(sum.downloadRate)}  sent ${formatBytes(sum.bytesSent)}  received ${formatBytes(sum.bytesReceived)}  ${contents} content${contents === 1 ? '' : 's'} stored`]
  const shown = [...stats].sort((a, b) => (b.uploadRate + b.downloadRate) - (a.uploadRate + a.downloadRate)).slice(0, maxPeers)
  for (const s of shown) {
    const slot = s.choked ? 'choked    ' : s.optimistic ? 'optimistic' : 'unchoked  '
    const state = `${slot} ${s.interested ? 'interested' : '          '}${s.snubbed ? ' snubbed' : ''}`
    lines.push(`  ${shortPeerId(s.peerId)} ${s.address.padEnd(22)} ${state} ↑ ${formatRate(s.uploadRate).padStart(11)} ↓ ${formatRate(s.downloadRate).padStart(11)}`)
  }
  if (stats.length > shown.length) lines.push(`  … and ${stats.length - shown.length} more`)
  return lines
}
