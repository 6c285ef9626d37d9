// Runs in Chromium: storage-idb on the browser's own IndexedDB, driven from Node.js through
// `window.idbHarness.call` (see idb-remote.ts). Values cross as JSON: CIDs as strings, bytes and
// manifests as base64.
import { Bitfield, ContentId, Manifest } from '@codio-chunk/core'
import type { Storage } from '@codio-chunk/core'
import { idbStorage } from '@codio-chunk/storage-idb'

/** A value as it crosses between Node.js and the page. */
export type Wire =
  | { t: 'cid', v: string }
  | { t: 'bytes', v: string }
  | { t: 'manifest', v: string }
  | { t: 'bitfield', length: number, v: string }
  | { t: 'opts', aborted: boolean }
  | { t: 'list', v: Wire[] }
  | { t: 'undefined' }
  | { t: 'number', v: number }

export type Outcome = { ok: Wire } | { error: { name: string, message: string } }

const toBase64 = (bytes: Uint8Array): string => {
  let text = ''
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(text)
}
const fromBase64 = (text: string): Uint8Array => Uint8Array.from(atob(text), c => c.charCodeAt(0))

function decode (value: Wire): unknown {
  switch (value.t) {
    case 'cid': return ContentId.parse(value.v)
    case 'bytes': return fromBase64(value.v)
    case 'manifest': return Manifest.fromBytes(fromBase64(value.v))
    case 'opts': return value.aborted ? { signal: AbortSignal.abort() } : {}
    case 'number': return value.v
    default: return undefined
  }
}

function encode (value: unknown): Wire {
  if (value === undefined) return { t: 'undefined' }
  if (value instanceof Uint8Array) return { t: 'bytes', v: toBase64(value) }
  if (value instanceof Manifest) return { t: 'manifest', v: toBase64(value.toBytes()) }
  if (value instanceof Bitfield) return { t: 'bitfield', length: value.length, v: toBase64(value.toBytes()) }
  if (value instanceof ContentId) return { t: 'cid', v: value.toString() }
  if (Array.isArray(value)) return { t: 'list', v: value.map(encode) }
  if (typeof value === 'number') return { t: 'number', v: value }
  throw new Error(`cannot send ${String(value)} back`)
}

const storages = new Map<number, Storage>()

async function call (id: number, dbName: string, method: string, args: Wire[]): Promise<Outcome> {
  try {
    let storage = storages.get(id)
    if (storage === undefined) {
      storage = idbStorage({ name: dbName })()
      storages.set(id, storage)
    }
    const decoded = args.map(decode)
    if (method === 'readContent') {
      const parts: Uint8Array[] = []
      for await (const part of (storage.readContent as NonNullable<Storage['readContent']>)(...(decoded as [ContentId, object]))) parts.push(part)
      return { ok: encode(parts) }
    }
    const result = await (storage as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...decoded)
    if (method === 'close') storages.delete(id)
    return { ok: encode(result) }
  } catch (err) {
    return { error: { name: (err as Error).name, message: (err as Error).message } }
  }
}

async function deleteDatabase (name: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error)
  })
}

(window as unknown as { idbHarness: unknown }).idbHarness = { call, deleteDatabase, flags: () => { const s = idbStorage({ name: 'flags' })(); return { copiesOnPut: s.copiesOnPut, ownedReads: s.ownedReads } } }
