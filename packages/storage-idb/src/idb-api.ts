/**
 * The parts of the IndexedDB API this package uses, typed here because the project compiles
 * without the DOM library that declares them.
 */

/** A key of the chunk store: `[content id, chunk index]`. */
export type IdbKey = string | number | Array<string | number>

/** An `IDBRequest`. */
export interface IdbRequest<T = unknown> {
  readonly result: T
  readonly error: Error | null
  onsuccess: ((event: unknown) => void) | null
  onerror: ((event: { preventDefault?: () => void, stopPropagation?: () => void }) => void) | null
}

/** An `IDBOpenDBRequest`. */
export interface IdbOpenRequest extends IdbRequest<IdbDatabase> {
  onupgradeneeded: ((event: unknown) => void) | null
  onblocked: ((event: unknown) => void) | null
}

/** An `IDBKeyRange`. */
export type IdbKeyRange = object

/** The `IDBKeyRange` constructor's static side. */
export interface IdbKeyRangeStatic {
  bound(lower: IdbKey, upper: IdbKey, lowerOpen?: boolean, upperOpen?: boolean): IdbKeyRange
}

/** An `IDBObjectStore`. */
export interface IdbObjectStore {
  get(key: IdbKey): IdbRequest<unknown>
  getAllKeys(query?: IdbKeyRange): IdbRequest<IdbKey[]>
  put(value: unknown, key: IdbKey): IdbRequest<IdbKey>
  delete(key: IdbKey | IdbKeyRange): IdbRequest<undefined>
}

/** An `IDBTransaction`. */
export interface IdbTransaction {
  readonly error: Error | null
  objectStore(name: string): IdbObjectStore
  abort(): void
  oncomplete: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
  onabort: ((event: unknown) => void) | null
}

/** An `IDBDatabase`. */
export interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean }
  createObjectStore(name: string): IdbObjectStore
  transaction(stores: string | string[], mode: 'readonly' | 'readwrite', options?: { durability?: 'default' | 'strict' | 'relaxed' }): IdbTransaction
  close(): void
  onversionchange: ((event: unknown) => void) | null
}

/** The `indexedDB` factory. */
export interface IdbFactory {
  open(name: string, version?: number): IdbOpenRequest
  deleteDatabase(name: string): IdbRequest<undefined>
}

/** The runtime's `indexedDB` and `IDBKeyRange`, or undefined where there are none. */
export function runtimeIndexedDb (): { indexedDB: IdbFactory, IDBKeyRange: IdbKeyRangeStatic } | undefined {
  const g = globalThis as unknown as { indexedDB?: IdbFactory, IDBKeyRange?: IdbKeyRangeStatic }
  if (g.indexedDB === undefined || g.IDBKeyRange === undefined) return undefined
  return { indexedDB: g.indexedDB, IDBKeyRange: g.IDBKeyRange }
}
