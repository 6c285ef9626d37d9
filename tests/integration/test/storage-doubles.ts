import { StorageError, type Storage } from '@codio-chunk/core'

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

/**
 * Wraps a storage so that chunk reads fail while `refusing()` is true: a node using it downloads
 * normally but every chunk it is asked for is answered with an error, like a free-rider that
 * never uploads. Turn it off to read the node's own copy afterwards.
 */
export function refusingStorage (inner: Storage, refusing: () => boolean = () => true): Storage {
  return {
    ...bind(inner),
    name: 'refusing',
    async getChunk (root, index, options) {
      if (refusing()) throw new StorageError(`refusing to read chunk ${index} (free-rider test double)`)
      return await inner.getChunk(root, index, options)
    }
  }
}
