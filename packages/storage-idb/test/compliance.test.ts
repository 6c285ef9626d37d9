// The storage compliance suite on fake-indexeddb (an IndexedDB in JavaScript) under Node.js; the
// same suite runs against the real IndexedDB in Chromium in tests/browser.
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb'
import { storageComplianceSuite } from '@codio-chunk/interface-tests/storage'
import { idbStorage } from '../src/index.js'
import type { IdbFactory, IdbKeyRangeStatic } from '../src/index.js'

storageComplianceSuite('idb (fake-indexeddb)', async () => ({
  storage: idbStorage({ indexedDB: new IDBFactory() as unknown as IdbFactory, IDBKeyRange: IDBKeyRange as unknown as IdbKeyRangeStatic })
}))
