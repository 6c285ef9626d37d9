import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { CommandError } from '../errors.js'
import { ensureDataDir } from '../data-dir.js'
import { openNode } from '../node.js'
import { runningServe } from '../control/control-file.js'
import { ControlClient } from '../control/control-client.js'
import type { ControlRecord } from '../control/control-file.js'
import type { CommandContext } from './context.js'

/** What `add` reports for each file. */
export interface AddedFile {
  file: string
  cid: string
  size: number
  chunks: number
}

async function checkFile (path: string, shown: string): Promise<number> {
  try {
    const info = await stat(path)
    if (info.isDirectory()) throw new CommandError(`${shown} is a directory: add the files in it one by one`)
    if (!info.isFile()) throw new CommandError(`${shown} is not a regular file`)
    return info.size
  } catch (err) {
    if (err instanceof CommandError) throw err
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new CommandError(`file not found: ${shown}`)
    if (code === 'EACCES') throw new CommandError(`cannot read ${shown}: permission denied`)
    throw new CommandError(`cannot read ${shown}: ${(err as Error).message}`)
  }
}

/**
 * `codio-chunk add <file>…`: chunks each file, computes its CID exactly as `ipfs add` would with the
 * same chunk size and CID version, and stores it in the data dir's store. `-` reads stdin.
 */
export async function addCommand (files: string[], ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  // Fail on a missing file before anything is written.
  const sizes = new Map<string, number>()
  for (const file of files) if (file !== '-') sizes.set(file, await checkFile(resolve(io.cwd, file), file))
  const running = await runningServe(settings.dataDir)
  if (running !== undefined) {
    await addThroughServe(running, files, ctx)
    return
  }

  const node = await openNode(settings, io)
  const storage = node.storage
  const added: AddedFile[] = []
  try {
    for (const file of files) {
      let path = resolve(io.cwd, file)
      let spooled: string | undefined
      if (file === '-') {
        // The importer reads its input twice (once to hash, once to store): keep stdin in a file.
        if (io.stdin === undefined) throw new CommandError('no stdin to read from')
        await ensureDataDir(settings.dataDir)
        spooled = join(settings.dataDir, `stdin-${process.pid}.tmp`)
        await pipeline(io.stdin, createWriteStream(spooled, { mode: 0o600 }), { signal: io.signal })
        path = spooled
      }
      try {
        const cid = await node.importContent(() => createReadStream(path), { signal: io.signal })
        const manifest = await storage.getManifest(cid, { signal: io.signal })
        const entry = { file: file === '-' ? '-' : file, cid: cid.toString(), size: manifest?.totalSize ?? sizes.get(file) ?? 0, chunks: manifest?.chunkCount ?? 0 }
        added.push(entry)
        out.result(`added ${entry.cid} ${file === '-' ? '-' : basename(file)}`)
      } finally {
        if (spooled !== undefined) await rm(spooled, { force: true })
      }
    }
  } finally {
    await node.stop()
  }
  out.data({ added })
}

/**
 * `add` while `serve` runs on the data dir: each file is sent to the running node, which stores
 * it (with its own chunk size, CID version and verifier) and serves it at once.
 */
async function addThroughServe (running: ControlRecord, files: string[], ctx: CommandContext): Promise<void> {
  const { io, out, settings } = ctx
  const client = new ControlClient(running)
  // Chunked and addressed as this command's settings say, so the CID is the one a plain add gives.
  const how = { chunkSize: settings.values.chunkSize as number, cidVersion: settings.values.cidVersion as 0 | 1, verifier: settings.values.verifier as string }
  const added: AddedFile[] = []
  for (const file of files) {
    let body: Readable
    if (file === '-') {
      if (io.stdin === undefined) throw new CommandError('no stdin to read from')
      body = io.stdin as Readable
    } else {
      body = createReadStream(resolve(io.cwd, file))
    }
    const stored = await client.add(body, how, { signal: io.signal })
    added.push({ file, ...stored })
    out.result(`added ${stored.cid} ${file === '-' ? '-' : basename(file)}`)
  }
  out.note(`added through the running \`codio-chunk serve\` (pid ${running.pid}), which serves ${added.length === 1 ? 'it' : 'them'} now`)
  out.data({ added, servedBy: running.pid })
}
