import type { Bitfield, Manifest } from '@codio-chunk/core'
import { DAG_PB_CODE } from '@codio-chunk/core'
import { parseCidArgument } from '../cid-arg.js'
import { CommandError } from '../errors.js'
import { lockDataDir } from '../data-dir.js'
import { openStore } from '../node.js'
import { runningServe } from '../control/control-file.js'
import { ControlClient } from '../control/control-client.js'
import { formatBytes } from '../units.js'
import type { CommandContext } from './context.js'

const HASH_NAMES: Record<number, string> = { 0x12: 'sha2-256', 0x1e: 'blake3' }

/** What `stat` (and each row of `ls`) reports about a content in the store. */
export interface ContentStat {
  cid: string
  cidVersion: 0 | 1
  hash: string
  leaves: 'raw' | 'dag-pb'
  size: number
  chunkSize: number
  chunks: number
  completeChunks: number
  complete: boolean
  /** Interior (manifest) blocks of the DAG. */
  manifestBlocks: number
}

function describe (manifest: Manifest, done: Bitfield | undefined): ContentStat {
  const completeChunks = done?.count ?? 0
  return {
    cid: manifest.root.toString(),
    cidVersion: manifest.root.version,
    hash: HASH_NAMES[manifest.hashCode] ?? `0x${manifest.hashCode.toString(16)}`,
    leaves: manifest.leafCodec === DAG_PB_CODE ? 'dag-pb' : 'raw',
    size: manifest.totalSize,
    chunkSize: manifest.chunkSize,
    chunks: manifest.chunkCount,
    completeChunks,
    complete: completeChunks === manifest.chunkCount,
    manifestBlocks: manifest.blocks.length
  }
}

function percent (s: ContentStat): string {
  return s.chunks === 0 ? '100%' : `${Math.floor((100 * s.completeChunks) / s.chunks)}%`
}

/** `codio-chunk ls`: every content in the store with its size and completeness. */
export async function lsCommand (ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const storage = await openStore(settings.dataDir)
  try {
    const rows: ContentStat[] = []
    for (const cid of await storage.list({ signal: io.signal })) {
      const manifest = await storage.getManifest(cid, { signal: io.signal })
      if (manifest !== undefined) rows.push(describe(manifest, await storage.completed(cid, { signal: io.signal })))
    }
    out.data({ contents: rows })
    if (rows.length === 0) out.note(`the store in ${settings.dataDir} is empty; add content with codio-chunk add <file>`)
    for (const row of rows) out.result(`${row.cid}  ${formatBytes(row.size).padStart(10)}  ${String(row.chunks).padStart(7)} chunks  ${percent(row).padStart(4)}`)
  } finally {
    await storage.close()
  }
}

/** `codio-chunk stat <cid>`: the manifest and completeness of one content. */
export async function statCommand (cidText: string, ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const cid = parseCidArgument(cidText)
  const storage = await openStore(settings.dataDir)
  try {
    const manifest = await storage.getManifest(cid, { signal: io.signal })
    if (manifest === undefined) throw new CommandError(`${cid.toString()} is not in the store; fetch it with codio-chunk get ${cid.toString()} --peer <address>`)
    const s = describe(manifest, await storage.completed(cid, { signal: io.signal }))
    out.data(s)
    out.result(`cid         ${s.cid} (CIDv${s.cidVersion}, ${s.hash}, ${s.leaves} leaves)`)
    out.result(`size        ${formatBytes(s.size)} (${s.size} bytes)`)
    out.result(`chunks      ${s.chunks} of ${formatBytes(s.chunkSize)}`)
    out.result(`manifest    ${s.manifestBlocks} block${s.manifestBlocks === 1 ? '' : 's'}`)
    out.result(`complete    ${s.completeChunks} of ${s.chunks} chunks (${percent(s)})`)
  } finally {
    await storage.close()
  }
}

/** `codio-chunk rm <cid>`: deletes a content (manifest, chunks, journal) from the store. */
export async function rmCommand (cidTexts: string[], ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const cids = cidTexts.map(parseCidArgument)
  const running = await runningServe(settings.dataDir)
  if (running !== undefined) {
    // The running node stops serving each one, aborts its download if one runs, and deletes it.
    const client = new ControlClient(running)
    for (const cid of cids) {
      await client.remove(cid.toString(), { signal: io.signal })
      out.result(`removed ${cid.toString()}`)
    }
    out.data({ removed: cids.map(c => c.toString()), servedBy: running.pid })
    return
  }
  const lock = await lockDataDir(settings.dataDir, 'rm')
  try {
    const storage = await openStore(settings.dataDir)
    try {
      for (const cid of cids) {
        if (await storage.getManifest(cid, { signal: io.signal }) === undefined) throw new CommandError(`${cid.toString()} is not in the store (see codio-chunk ls)`)
        await storage.delete(cid, { signal: io.signal })
        out.result(`removed ${cid.toString()}`)
      }
      out.data({ removed: cids.map(c => c.toString()) })
    } finally {
      await storage.close()
    }
  } finally {
    await lock.release()
  }
}
