// Node.js nodes for the browser page to download from: each listens on ws://127.0.0.1:0; the first
// publishes a content, the others fetch it from it and serve it too; a "liar" serves every chunk
// with one byte flipped, so the page must catch it and ban it. Used by demo.mjs and tests/browser.
import { ChunkConfig, ChunkDistributor, memoryStorage } from '@codio-chunk/core'
import { webSocketTransport } from '@codio-chunk/transport-websocket'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'

/** Wraps a storage factory: every chunk read comes back with one byte flipped. */
export function corruptingStorage (factory) {
  return (components) => {
    const inner = factory(components)
    return {
      name: 'corrupting',
      putManifest: inner.putManifest.bind(inner),
      getManifest: inner.getManifest.bind(inner),
      putChunk: inner.putChunk.bind(inner),
      completed: inner.completed.bind(inner),
      list: inner.list.bind(inner),
      delete: inner.delete.bind(inner),
      close: inner.close.bind(inner),
      async getChunk (root, index, options) {
        const copy = new Uint8Array(await inner.getChunk(root, index, options))
        if (copy.length > 0) copy[copy.length >> 1] ^= 0xff
        return copy
      }
    }
  }
}

/**
 * A playable WAV file of exactly `size` bytes (16-bit stereo, 44.1 kHz): a slow arpeggio with a
 * little noise, so no two chunks are alike. Deterministic.
 */
export function generateWav (size) {
  const bytes = new Uint8Array(Math.max(size, 44))
  const view = new DataView(bytes.buffer)
  const data = bytes.length - 44
  const ascii = (offset, text) => { for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i) }
  ascii(0, 'RIFF'); view.setUint32(4, bytes.length - 8, true); ascii(8, 'WAVE')
  ascii(12, 'fmt '); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 2, true)
  view.setUint32(24, 44100, true); view.setUint32(28, 44100 * 4, true); view.setUint16(32, 4, true); view.setUint16(34, 16, true)
  ascii(36, 'data'); view.setUint32(40, data - (data % 4), true)
  const notes = [220, 277.18, 329.63, 440, 329.63, 277.18]
  let noise = 0x2545f491
  for (let frame = 0; frame * 4 + 3 < data; frame++) {
    const t = frame / 44100
    const note = notes[Math.floor(t * 2) % notes.length]
    noise ^= noise << 13; noise ^= noise >>> 17; noise ^= noise << 5
    const sample = Math.round(6000 * Math.sin(2 * Math.PI * note * t) + (noise & 0x3f) - 32)
    view.setInt16(44 + frame * 4, sample, true)
    view.setInt16(44 + frame * 4 + 2, sample, true)
  }
  return bytes
}

/**
 * Starts `nodes` nodes on `ws://host:0`. The first stores `bytes` (a generated WAV of `size`
 * bytes by default); the others download it from the first; the last `liars` of them then serve
 * corrupted chunks. Resolves with the content id, the nodes (address, peer id, whether it lies)
 * and `stop()`.
 */
export async function startSwarm ({ size = 32 * 1024 * 1024, bytes, nodes = 3, liars = 1, host = '127.0.0.1', onNode } = {}) {
  const content = bytes ?? generateWav(size)
  const config = ChunkConfig.default()
  const started = []
  const stop = async () => { await Promise.all(started.map(async (n) => await n.node.stop())) }
  try {
    for (let i = 0; i < nodes; i++) {
      const liar = i >= nodes - liars && i > 0
      const storage = liar ? corruptingStorage(memoryStorage()) : memoryStorage()
      const node = await ChunkDistributor.create(config, {
        transports: [webSocketTransport()],
        verifier: sha256Verifier(),
        storage,
        listen: [`ws://${host}:0`]
      })
      const entry = { node, address: node.addresses[0], peerId: node.peerId, liar, index: i + 1 }
      started.push(entry)
      if (i === 0) entry.cid = await node.storeContent(content)
      else await node.download(started[0].cid, [started[0].address])
      onNode?.(entry)
    }
  } catch (err) {
    await stop()
    throw err
  }
  return { cid: started[0].cid, bytes: content, nodes: started, stop }
}
