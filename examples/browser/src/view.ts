import type { CodioState } from './download.js'

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement

function size (bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

function short (peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-4)}` : peerId
}

let shownUrl: string | undefined

/** Draws the state: status line, progress bar, hashing backend, peer list, the file once done. */
export function render (state: CodioState): void {
  const percent = (state.progress * 100).toFixed(1)
  $('bar').style.width = `${percent}%`
  $('status').textContent = state.status === 'error'
    ? `error: ${state.error ?? ''}`
    : `${state.status}${state.status === 'idle' ? '' : ` — ${percent}%, ${size(state.rate)}/s`}`
  $('counts').textContent = state.status === 'idle'
    ? ''
    : `${state.fetchedChunks} chunks fetched and verified (${size(state.fetchedBytes)}), ${state.resumedChunks} already stored from an earlier visit${state.totalChunks > 0 ? `, ${state.totalChunks} in all` : ''}, ${state.invalidChunks} failed verification`
  $('backend').textContent = state.backend === undefined
    ? 'measuring the hashing backends…'
    : `hashing with ${state.backend} (${state.measured.map(m => `${m.backend} ${m.mbPerSecond} MB/s`).join(', ')})`
  const rows = state.peers.map(p => {
    const banned = state.banned.some(b => b.peerId === p.peerId)
    return `<tr class="${banned ? 'banned' : ''}"><td title="${p.peerId}">${short(p.peerId)}</td><td>${p.address}</td><td>${size(p.bytesReceived)}</td><td>${size(p.downloadRate)}/s</td><td>${banned ? 'banned' : ''}</td></tr>`
  })
  for (const b of state.banned) {
    if (!state.peers.some(p => p.peerId === b.peerId)) rows.push(`<tr class="banned"><td title="${b.peerId}">${short(b.peerId)}</td><td>${b.address}</td><td></td><td></td><td>banned: ${b.reason}</td></tr>`)
  }
  $('peers-body').innerHTML = rows.join('')
  const result = $('result')
  if (state.status === 'done' && state.url !== undefined && state.url !== shownUrl) {
    shownUrl = state.url
    const kind = state.mime?.split('/')[0]
    const player = kind === 'video' ? `<video controls src="${state.url}"></video>` : kind === 'audio' ? `<audio controls src="${state.url}"></audio>` : kind === 'image' ? `<img alt="downloaded image" src="${state.url}">` : ''
    result.innerHTML = `<p>${size(state.size ?? 0)} in ${(state.seconds ?? 0).toFixed(1)} s, SHA-256 ${state.sha256 ?? ''}</p>${player}<p><a download="${state.cid ?? 'content'}" href="${state.url}">Save the file</a></p>`
  } else if (state.status !== 'done') {
    shownUrl = undefined
    result.innerHTML = ''
  }
}
