import { CarWriter } from '@ipld/car'
import { leafBlock, walkDag } from '@codio-chunk/content'
import { rechunk } from '@codio-chunk/engine'
import { throwIfAborted } from '@codio-chunk/interface'
import type { DagStep } from '@codio-chunk/content'
import type { Manifest } from '@codio-chunk/interface'
import type { CID } from 'multiformats/cid'

/** A block for the CAR. */
export interface CarBlock {
  readonly cid: CID
  readonly bytes: Uint8Array
}

/** Pieces smaller than this are gathered before they are yielded (CarWriter emits a block as three pieces). */
const GATHER_BYTES = 64 * 1024

/**
 * The bytes of a CARv1 with `roots` and `blocks`, written by `@ipld/car`'s CarWriter. The writer
 * hands over each block only once the previous one was taken, so the consumer's pace (the HTTP
 * client's) sets the pace of `blocks`, and at most one block waits here. If `blocks` fails, the
 * CAR ends early and the generator throws that error (the client sees a cut-off response, as the
 * spec expects for a block missing mid-stream). If the consumer stops early, `stop` is aborted (the
 * block source sees it at its next step) and the rest is drained in the background so the writer
 * settles.
 *
 * @example
 * ```ts
 * const stop = new AbortController()
 * for await (const bytes of carBytes([root], blocks(stop.signal), stop)) res.write(bytes)
 * ```
 */
export async function * carBytes (roots: CID[], blocks: AsyncIterable<CarBlock>, stop: AbortController): AsyncGenerator<Uint8Array> {
  const { writer, out } = CarWriter.create(roots)
  let failure: { error: unknown } | undefined
  const producer = (async () => {
    try {
      for await (const block of blocks) await writer.put(block)
    } catch (error) {
      failure = { error }
    } finally {
      await writer.close().catch(() => {})
    }
  })()
  const iterator = out[Symbol.asyncIterator]()
  let finished = false
  try {
    let gathered: Uint8Array[] = []
    let gatheredBytes = 0
    const flush = (): Uint8Array => {
      const bytes = gathered.length === 1 ? gathered[0] : new Uint8Array(Buffer.concat(gathered))
      gathered = []
      gatheredBytes = 0
      return bytes
    }
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) {
      const piece = next.value
      if (piece.length >= GATHER_BYTES) {
        if (gatheredBytes > 0) yield flush()
        yield piece
        continue
      }
      gathered.push(piece)
      gatheredBytes += piece.length
      if (gatheredBytes >= GATHER_BYTES) yield flush()
    }
    await producer
    if (failure !== undefined) throw failure.error
    if (gatheredBytes > 0) yield flush()
    finished = true
  } finally {
    if (!finished) {
      stop.abort()
      void (async () => { while ((await iterator.next()).done !== true); })().catch(() => {})
    }
  }
}

/** What {@link dagBlocks} needs to produce a content's blocks. */
export interface DagBlocksInit {
  manifest: Manifest
  /** The DAG steps to send, in order (`walkDag`, or the root alone). */
  steps: Iterable<DagStep>
  /** Bytes `start`..`end` of the content, in order (the leaves' data comes from here). */
  read: (start: number, end: number) => AsyncIterable<Uint8Array>
  /** `n` sends each block once. */
  dups: 'y' | 'n'
  signal: AbortSignal
}

/**
 * The blocks of `steps` in order: interior blocks from the manifest, leaves rebuilt from the
 * content's bytes (`leafBlock`), which are read once, in order, over the leaves the steps name
 * (a contiguous run, since depth-first order visits leaves in file order). With `dups: 'n'`,
 * a block already sent is skipped; the CIDs sent are kept for that (about 100 bytes a block).
 *
 * @example
 * ```ts
 * const blocks = dagBlocks({ manifest, steps: walkDag(manifest), read: (s, e) => node.streamContent(cid, { start: s, end: e }), dups: 'n', signal })
 * ```
 */
export async function * dagBlocks (init: DagBlocksInit): AsyncGenerator<CarBlock> {
  const { manifest, dups, signal } = init
  const steps = [...init.steps]
  const leafIndices = steps.flatMap(s => s.kind === 'leaf' ? [s.index] : [])
  const first = leafIndices.length > 0 ? leafIndices[0] : 0
  const last = leafIndices.length > 0 ? leafIndices[leafIndices.length - 1] : -1
  const seen = dups === 'n' ? new Set<string>() : undefined
  let chunks: AsyncIterator<Uint8Array> | undefined
  let nextChunk = first
  try {
    for (const step of steps) {
      throwIfAborted(signal, 'CAR')
      const key = step.cid.toString()
      if (step.kind === 'interior') {
        if (seen?.has(key) === true) continue
        seen?.add(key)
        yield { cid: step.cid, bytes: step.bytes }
        continue
      }
      if (chunks === undefined) {
        const start = manifest.chunkOffset(first)
        const end = manifest.chunkOffset(last) + manifest.chunkLength(last) - 1
        chunks = rechunk(end >= start ? init.read(start, end) : [], (i) => first + i <= last ? manifest.chunkLength(first + i) : 0)[Symbol.asyncIterator]()
      }
      let data: Uint8Array | undefined
      while (nextChunk <= step.index) {
        const next = await chunks.next()
        if (next.done === true) throw new Error(`The content ended before chunk ${step.index}`)
        if (nextChunk === step.index) data = next.value
        nextChunk++
      }
      if (data === undefined) throw new Error(`Chunk ${step.index} is out of order in the DAG walk`)
      if (seen?.has(key) === true) continue
      seen?.add(key)
      yield { cid: step.cid, bytes: leafBlock(manifest, step.index, data) }
    }
  } finally {
    await chunks?.return?.(undefined)
  }
}

/** The steps of `dag-scope=block`: the root alone. */
export function rootStep (manifest: Manifest): DagStep[] {
  const first = walkDag(manifest).next()
  return first.done === true ? [] : [first.value]
}
