import { createReadStream, createWriteStream } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { CommandError } from '../errors.js'
import { ensureDataDir } from '../data-dir.js'
import { openNode, openStore } from '../node.js'
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
