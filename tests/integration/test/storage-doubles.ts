import type { Storage } from '@codio-chunk/core'

/**
 * Wraps a storage so that every chunk read comes back with one byte flipped: a node using it
 * behaves like a peer that lies about chunk contents (everything else is honest).
 */
export function corruptingStorage (inner: Storage): Storage {
  return {
    ...bind(inner),
    name: 'corrupting',
    async getChunk (root, index, options) {
      const data = await inner.getChunk(root, index, options)
      const copy = new Uint8Array(data)
      if (copy.length > 0) copy[copy.length >> 1] ^= 0xff
      return copy
    }
  }
}

/** Wraps a storage so that chunk reads never finish: a node using it never answers chunk requests. */
export function stallingStorage (inner: Storage): Storage {
  return {
    ...bind(inner),
    name: 'stalling',
    async getChunk () {
      return await new Promise<Uint8Array>(() => {})
    }
  }
}

function bind (inner: Storage): Storage {
  return {
    name: inner.name,
    putManifest: inner.putManifest.bind(inner),
    getManifest: inner.getManifest.bind(inner),
    putChunk: inner.putChunk.bind(inner),
    getChunk: inner.getChunk.bind(inner),
    completed: inner.completed.bind(inner),
    list: inner.list.bind(inner),
    delete: inner.delete.bind(inner),
    close: inner.close.bind(inner)
  }
}
