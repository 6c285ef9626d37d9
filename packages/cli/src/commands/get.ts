import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ChunkDistributor, ContentId, Storage } from '@codio-chunk/core'
import { parseCidArgument } from '../cid-arg.js'
import { CommandError, UsageError } from '../errors.js'
import { lockDataDir } from '../data-dir.js'
import { openNode, openStore } from '../node.js'
import { discoveriesFor } from '../discovery.js'
import { providersFrom } from '../providers.js'
import { progressLine } from '../ui/progress.js'
import { formatBytes, formatDuration, formatRate } from '../units.js'
import { writeAtomically } from '../write-atomically.js'
import { writeParts } from '../stdout.js'
import { runningServe } from '../control/control-file.js'
import { announceNode, showStatusUntilAborted } from './serve.js'
import { getThroughServe } from './through-serve.js'
import type { CommandContext } from './context.js'

/** Where `get --seed` listens when neither `--listen` nor the config file says: any free port. */
export const DEFAULT_SEED_LISTEN = ['tcp://0.0.0.0:0']

/** What `get` reports when it is done. */
export interface GetResult {
  event: 'done'
  cid: string
  output: string
  size: number
  chunks: number
  /** Chunks already verified in the store before this run (resumed). */
  resumedChunks: number
  /** Chunks fetched and verified in this run. */
  fetchedChunks: number
  /** Bytes of those chunks. */
  fetchedBytes: number
  /** Peers that delivered at least one chunk. */
  peers: number
  /** Bytes of chunks fetched from `--origin`s in this run (included in `fetchedBytes`). */
  originBytes: number
  /** Share of the fetched bytes that came from peers rather than origins (1 when nothing was fetched). */
  offload: number
  seconds: number
  /** Fetched bytes per second over the download. */
  rate: number
}

async function outputPath (cid: ContentId, output: string | undefined, cwd: string): Promise<string> {
  if (output === '-') return '-'
  const path = resolve(cwd, output ?? cid.toString())
  try {
    if ((await stat(path)).isDirectory()) return join(path, cid.toString())
  } catch {}
  try {
    if (!(await stat(resolve(path, '..'))).isDirectory()) throw new Error('not a directory')
  } catch {
    throw new UsageError(`cannot write ${path}: its directory does not exist`)
  }
  return path
}

async function * contentOf (storage: Storage, cid: ContentId, chunks: number, signal: AbortSignal): AsyncIterable<Uint8Array> {
  if (storage.readContent !== undefined) {
    yield * storage.readContent(cid, { signal })
    return
  }
  for (let i = 0; i < chunks; i++) yield await storage.getChunk(cid, i, { signal })
}

/** Draws progress until the returned function is called: a bar on a terminal, JSON lines in `--json` mode. */
function trackProgress (node: ChunkDistributor, cid: ContentId, ctx: CommandContext): () => void {
  const { out } = ctx
  let last = ''
  const tick = (): void => {
    const p = node.downloadProgress(cid)
    if (p === undefined) return
    if (out.json) {
      const line = { event: 'progress', cid: cid.toString(), progress: p.progress, downloadedBytes: p.downloadedBytes, totalBytes: p.totalBytes, downloadRate: p.downloadRate, peers: p.peers, eta: p.eta ?? null, discovery: p.discovery ?? null, origin: p.origin ?? null }
      const key = `${p.downloadedBytes}/${p.peers}`
      if (key !== last) out.data(line)
      last = key
    } else {
      out.live.render([progressLine(p)])
    }
  }
  const timer = out.json || out.live.enabled ? setInterval(tick, out.json ? 500 : 150) : undefined
  return () => {
    if (timer !== undefined) clearInterval(timer)
    out.live.clear()
  }
}

/** How {@link getCommand} was called: as `get`, or as `cat` (the content to stdout, nothing else). */
export type GetMode = 'get' | 'cat'

/**
 * `codio-chunk get <cid>`: downloads content from the providers the DHT and trackers find, any
 * given ones (and the peers they lead to), and the `--origin`s when no peer delivers, into the
 * store, verifying every chunk, then writes it to the output atomically. Chunks verified by an
 * earlier, interrupted run are kept: the download resumes. With `-o -` (and as `cat`) the content
 * streams to stdout in order while it downloads. While `serve` runs on the data dir, the content
 * is fetched through it (see `getThroughServe`).
 */
export async function getCommand (cidText: string, ctx: CommandContext, mode: GetMode = 'get'): Promise<void> {
  const { io, out, settings } = ctx
  const values = settings.values
  const cid = parseCidArgument(cidText)
  const providers = await providersFrom(values.peer as string[] | undefined, values.peersFile as string | undefined, io.cwd)
  const output = mode === 'cat' ? '-' : await outputPath(cid, values.output as string | undefined, io.cwd)
  if (mode === 'cat' && out.json) throw new UsageError('cat writes the content to stdout, where --json writes its results: use get --json -o <file> instead')
  if (output === '-' && out.json) throw new UsageError('-o - writes the content to stdout, where --json writes its results: use one or the other')
  const seed = values.seed === true
  const listen = (values.listen as string[] | undefined) ?? (seed ? DEFAULT_SEED_LISTEN : undefined)
  const origins = (values.origin as string[] | undefined) ?? []

  const running = await runningServe(settings.dataDir)
  if (running !== undefined) {
    if (seed) throw new UsageError(`--seed: the data dir is served by \`codio-chunk serve\` (pid ${running.pid}), which seeds what it fetches; drop --seed`)
    await getThroughServe(running, cid, { providers, output, mode }, ctx)
    return
  }

  const lock = await lockDataDir(settings.dataDir, mode)
  let node: ChunkDistributor | undefined
  try {
    const store = await openStore(settings.dataDir)
    const before = await store.completed(cid, { signal: io.signal }).finally(async () => { await store.close() })
    const resumedChunks = before?.count ?? 0
    const discovery = discoveriesFor(settings, io.env)
    if (before?.complete !== true && providers.length === 0 && discovery.length === 0 && origins.length === 0) {
      throw new UsageError('no providers: pass --peer <address> (repeatable), --peers-file <file> or --origin <url>, or let the node find them (drop --no-dht, or add --tracker <url>)')
    }
    node = await openNode(settings, io, { listen, discovery, origins })
    const storage = node.storage
    if (seed) announceNode(node, out, (await node.listContent()).length)

    let fetchedChunks = 0
    let fetchedBytes = 0
    let originBytes = 0
    const senders = new Set<string>()
    const key = cid.toString()
    node.events.on('chunk:verified', (e) => {
      if (e.cid.toString() !== key) return
      fetchedChunks++
      fetchedBytes += e.bytes
      senders.add(e.peerId)
    })
    node.events.on('origin:chunk', (e) => {
      if (e.cid.toString() !== key) return
      fetchedChunks++
      fetchedBytes += e.bytes
      originBytes += e.bytes
    })
    if (resumedChunks > 0 && before?.complete !== true) out.note(`resuming: ${resumedChunks} of ${before?.length ?? '?'} chunks are already here`)

    const started = performance.now()
    const stopProgress = mode === 'cat' ? () => {} : trackProgress(node, cid, ctx)
    try {
      if (output === '-') {
        // In order, each chunk as soon as it is verified: a player can start while the rest downloads.
        await writeParts(node.streamContent(cid, { providers, signal: io.signal }), io.stdout, io.signal)
      } else if (before?.complete !== true) {
        await node.download(cid, providers, { signal: io.signal })
      }
    } catch (err) {
      if (io.signal.aborted) {
        const now = await storage.completed(cid).catch(() => undefined)
        throw new CommandError(`interrupted with ${now?.count ?? resumedChunks} of ${now?.length ?? '?'} chunks stored; run the same command again to resume`, { cause: err })
      }
      throw err
    } finally {
      stopProgress()
    }
    const seconds = (performance.now() - started) / 1000
    const manifest = await storage.getManifest(cid)
    if (manifest === undefined) throw new CommandError(`the store lost the manifest of ${key} during the download`)
    if (output !== '-') await writeAtomically(output, contentOf(storage, cid, manifest.chunkCount, io.signal), { signal: io.signal })

    const result: GetResult = {
      event: 'done',
      cid: key,
      output,
      size: manifest.totalSize,
      chunks: manifest.chunkCount,
      resumedChunks,
      fetchedChunks,
      fetchedBytes,
      peers: senders.size,
      originBytes,
      offload: fetchedBytes === 0 ? 1 : (fetchedBytes - originBytes) / fetchedBytes,
      seconds,
      rate: seconds > 0 ? fetchedBytes / seconds : 0
    }
    out.data(result)
    if (mode === 'get') {
      const where = output === '-' ? 'stdout' : output
      const resumed = resumedChunks > 0 ? `, ${resumedChunks} chunks were already here` : ''
      const fromOrigins = originBytes > 0 ? `, ${formatBytes(originBytes)} of it from origins (offload ${(result.offload * 100).toFixed(1)}%)` : ''
      const fetched = fetchedChunks === 0 ? 'nothing to fetch' : `fetched ${formatBytes(fetchedBytes)} from ${senders.size} peer${senders.size === 1 ? '' : 's'} in ${formatDuration(seconds * 1000)} (${formatRate(result.rate)})${fromOrigins}`
      const summary = `saved ${key} (${formatBytes(manifest.totalSize)}) to ${where}: ${fetched}${resumed}`
      // With the content on stdout, the summary goes to stderr.
      if (output === '-') out.note(summary)
      else out.result(summary)
    }

    if (seed) await showStatusUntilAborted(node, out, io.signal, () => 1)
  } finally {
    try {
      await node?.stop()
    } finally {
      await lock.release()
    }
  }
}
