import { ChunkConfig, ChunkDistributor, ContentId } from '@codio-chunk/core'
import { idbStorage } from '@codio-chunk/storage-idb'
import { webSocketTransport } from '@codio-chunk/transport-websocket'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import type { Storage, StorageComponents } from '@codio-chunk/core'
import { sniffMedia } from './media.js'
import { providersFromGateway } from './providers.js'

/** Everything the page knows, for its view and for tests (`window.codioState`). */
export interface CodioState {
  status: 'idle' | 'starting' | 'finding providers' | 'downloading' | 'reading' | 'done' | 'error'
  cid?: string
  /** Chunks in the content, once its manifest is known. */
  totalChunks: number
  /** Chunks found in IndexedDB when this page started the download (not fetched again). */
  resumedChunks: number
  /** Their indices. */
  resumedIndices: number[]
  /** Chunks this page fetched and verified. */
  fetchedChunks: number
  fetchedBytes: number
  /** Chunks that failed verification (each counted against its sender). */
  invalidChunks: number
  progress: number
  /** Bytes per second, over the last few seconds. */
  rate: number
  providers: string[]
  peers: Array<{ peerId: string, address: string, bytesReceived: number, downloadRate: number }>
  banned: Array<{ peerId: string, address: string, reason: string }>
  /** The SHA-256 backend the verifier picked, and the speeds it measured to pick it. */
  backend?: string
  measured: Array<{ backend: string, mbPerSecond: number }>
  /** SHA-256 of the whole downloaded file (hex), computed in the page. */
  sha256?: string
  size?: number
  mime?: string
  /** An object URL of the downloaded file. */
  url?: string
  /** Seconds from dialling the providers to the last chunk stored. */
  downloadSeconds?: number
  /** Seconds from the start to the file ready (read back and hashed). */
  seconds?: number
  error?: string
}

/** What a download is given. */
export interface DownloadRequest {
  cid: string
  /** `ws://` / `wss://` addresses of nodes that have the content. */
  addresses: string[]
  /** A gateway whose `/routing/v1/providers/{cid}` is asked when no address is given. */
  gateway?: string
  /** Bytes per second to download at most (0: no limit). */
  downloadLimit?: number
}

/** A fresh state. */
export function initialState (): CodioState {
  return { status: 'idle', totalChunks: 0, resumedChunks: 0, resumedIndices: [], fetchedChunks: 0, fetchedBytes: 0, invalidChunks: 0, progress: 0, rate: 0, providers: [], peers: [], banned: [], measured: [] }
}

/**
 * One browser node and its downloads: WebSocket transport, IndexedDB storage, the SHA-256
 * verifier the browser build picks by measurement. `onChange` runs whenever `state` changed.
 */
export class BrowserNode {
  readonly state: CodioState = initialState()
  private readonly verifier = sha256Verifier()
  private storage: Storage | undefined
  private node: ChunkDistributor | undefined
  private nodeLimit: number | undefined

  constructor (private readonly dbName: string, private readonly onChange: () => void) {}

  /** Measures the hashing backends (a few MiB each) and reports the one picked. */
  async chooseBackend (): Promise<void> {
    const { backend, measured } = await this.verifier.selection()
    this.state.backend = backend
    this.state.measured = measured.map(m => ({ backend: m.backend, mbPerSecond: Math.round(m.mbPerSecond) }))
    this.onChange()
  }

  /** Downloads a content into IndexedDB (resuming what is there), then reads it back, hashes it and makes it playable. */
  async download (request: DownloadRequest, signal?: AbortSignal): Promise<void> {
    const state = this.state
    Object.assign(state, initialState(), { backend: state.backend, measured: state.measured, status: 'starting', cid: request.cid })
    if (state.url !== undefined) URL.revokeObjectURL(state.url)
    this.onChange()
    const started = performance.now()
    let timer: ReturnType<typeof setInterval> | undefined
    try {
      const cid = ContentId.parse(request.cid.trim())
      await this.chooseBackend()
      const node = await this.nodeFor(request.downloadLimit ?? 0)
      let providers = request.addresses
      if (providers.length === 0 && request.gateway !== undefined && request.gateway !== '') {
        state.status = 'finding providers'
        this.onChange()
        providers = await providersFromGateway(request.gateway, cid.toString(), signal)
        if (providers.length === 0) throw new Error(`The gateway knows no WebSocket provider of ${cid.toString()}`)
      }
      if (providers.length === 0) throw new Error('Give the addresses of nodes that have the content (ws://host:port/p2p/…), or a gateway URL')
      state.providers = providers
      const stored = await (this.storage as Storage).completed(cid)
      state.resumedChunks = stored?.count ?? 0
      state.resumedIndices = []
      for (let i = 0; i < (stored?.length ?? 0); i++) if (stored?.get(i) === true) state.resumedIndices.push(i)
      state.status = 'downloading'
      timer = setInterval(() => { this.sample(cid) }, 200)
      const verified = (event: { cid: ContentId, bytes: number }): void => {
        if (!event.cid.equals(cid)) return
        state.fetchedChunks++
        state.fetchedBytes += event.bytes
      }
      const invalid = (event: { cid: ContentId }): void => { if (event.cid.equals(cid)) state.invalidChunks++ }
      const banned = (event: { peerId: string, address: string, reason: string }): void => {
        state.banned.push({ peerId: event.peerId, address: event.address, reason: event.reason })
        this.onChange()
      }
      node.events.on('chunk:verified', verified)
      node.events.on('chunk:invalid', invalid)
      node.events.on('peer:banned', banned)
      const downloadStarted = performance.now()
      try {
        await node.download(cid, providers, { signal })
      } finally {
        node.events.off('chunk:verified', verified)
        node.events.off('chunk:invalid', invalid)
        node.events.off('peer:banned', banned)
        clearInterval(timer)
        this.sample(cid)
      }
      state.downloadSeconds = (performance.now() - downloadStarted) / 1000
      state.status = 'reading'
      this.onChange()
      const parts: Uint8Array[] = []
      for await (const part of node.readContent(cid, { signal })) parts.push(part)
      const kind = sniffMedia(parts[0] ?? new Uint8Array(0))
      const blob = new Blob(parts as BlobPart[], { type: kind.mime })
      const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer())
      state.sha256 = [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('')
      state.size = blob.size
      state.mime = kind.mime
      state.url = URL.createObjectURL(blob)
      state.progress = 1
      state.seconds = (performance.now() - started) / 1000
      state.status = 'done'
    } catch (err) {
      clearInterval(timer)
      state.status = 'error'
      state.error = (err as Error)?.message ?? String(err)
    }
    this.onChange()
  }

  /** Deletes every content this page stored. */
  async clear (): Promise<number> {
    await this.nodeFor(this.nodeLimit ?? 0)
    const storage = this.storage as Storage
    const contents = await storage.list()
    for (const cid of contents) await storage.delete(cid)
    return contents.length
  }

  private sample (cid: ContentId): void {
    const node = this.node
    if (node === undefined) return
    const progress = node.downloadProgress(cid)
    if (progress !== undefined) {
      this.state.progress = progress.progress
      this.state.rate = progress.downloadRate
    }
    if (this.state.totalChunks === 0 && this.storage !== undefined) {
      // The manifest is stored before any chunk: its chunk count is known from then on.
      void this.storage.getManifest(cid).then((manifest) => {
        if (manifest !== undefined && this.state.cid === cid.toString()) this.state.totalChunks = manifest.chunkCount
      }, () => {})
    }
    this.state.peers = node.peerStats().map(p => ({ peerId: p.peerId, address: p.address, bytesReceived: p.bytesReceived, downloadRate: p.downloadRate }))
    this.onChange()
  }

  /** The node, made on first use (again when the download limit changes). */
  private async nodeFor (downloadLimit: number): Promise<ChunkDistributor> {
    if (this.node !== undefined && this.nodeLimit === downloadLimit) return this.node
    await this.node?.stop()
    const config = ChunkConfig.builder().downloadLimit(downloadLimit).build()
    const storage = idbStorage({ name: this.dbName })
    this.node = await ChunkDistributor.create(config, {
      transports: [webSocketTransport()],
      verifier: this.verifier,
      storage: (components: StorageComponents) => (this.storage = storage(components))
    })
    this.nodeLimit = downloadLimit
    return this.node
  }
}
