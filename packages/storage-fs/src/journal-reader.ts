import type { FileHandle } from 'node:fs/promises'
import { Bitfield } from '@codio-chunk/interface'
import { HEADER_SIZE, JournalCodec, RECORD_SIZE, RecordKind } from './journal-format.js'

/** Bytes per record of the earlier journal format: one big-endian u32 chunk index, no header. */
export const LEGACY_RECORD_SIZE = 4
const READ_BLOCK = 64 * 1024

/** What a journal holds. */
export interface JournalContents {
  /**
   * `'current'`: this format, whose header was intact; `'legacy'`: the earlier format (bare chunk
   * indices, from storage-fs 0.1); `'none'`: an empty file, or one whose header is damaged (nothing
   * in it can be trusted). Anything but `'current'` must be rewritten before records are appended.
   */
  format: 'current' | 'legacy' | 'none'
  /** Chunks recorded as complete. */
  have: Bitfield
  /**
   * Chunks of `have` with a record after the point the last checkpoint covers (every chunk of a
   * legacy journal): their data may not have reached the disk, so they must be checked before
   * they are trusted after an unclean shutdown. Ascending.
   */
  unconfirmed: number[]
  /** The last intact record is a close record: the storage shut down cleanly after writing it. */
  closedCleanly: boolean
  /** The codec of a `'current'` journal (its salt), for appending to it. */
  codec?: JournalCodec
  /** Intact records (of a `'current'` journal): the number the next record gets. */
  records: number
  /** Bytes of header and intact records; anything past it is torn or damaged and must be cut off. */
  validLength: number
  /** The file's size as found. */
  fileLength: number
}

/**
 * Reads a completion journal in bounded blocks. Records are read up to the first one that is torn
 * (a crash in the middle of an append) or fails its CRC; nothing after it is trusted. Records
 * naming a chunk past the end of the content are ignored. A journal of the earlier format is read
 * as that format was (a torn last record cut off), with every chunk unconfirmed.
 *
 * @example
 * ```ts
 * const { have, unconfirmed, validLength } = await readJournal(handle, manifest.chunkCount)
 * ```
 */
export async function readJournal (handle: FileHandle, chunkCount: number): Promise<JournalContents> {
  const { size } = await handle.stat()
  const head = new Uint8Array(Math.min(size, HEADER_SIZE))
  const got = await readAt(handle, head, 0)
  if (got === 0) return empty(chunkCount, 'none', size)
  if (head[0] < 0x80) return await readLegacy(handle, chunkCount, size)
  const codec = JournalCodec.fromHeader(head.subarray(0, got))
  if (codec === undefined) return empty(chunkCount, 'none', size)

  const have = new Bitfield(chunkCount)
  /** Chunk records not covered by a checkpoint yet: their numbers and chunks, in file order. */
  const pendingSeq: number[] = []
  const pendingChunk: number[] = []
  let coveredFrom = 0 // first pending entry not covered yet
  let seq = 0
  let lastKind = 0
  let position = HEADER_SIZE
  const block = new Uint8Array(Math.max(RECORD_SIZE, READ_BLOCK - (READ_BLOCK % RECORD_SIZE)))
  scan: while (position + RECORD_SIZE <= size) {
    const want = Math.min(block.length, size - position)
    const read = await readAt(handle, block.subarray(0, want), position)
    const whole = read - (read % RECORD_SIZE)
    for (let p = 0; p < whole; p += RECORD_SIZE) {
      const record = codec.decode(block, p, seq)
      if (record === undefined) break scan
      if (record.kind === RecordKind.chunk) {
        if (record.value < chunkCount) {
          have.set(record.value)
          pendingSeq.push(seq)
          pendingChunk.push(record.value)
        }
      } else if (record.kind === RecordKind.checkpoint || record.kind === RecordKind.close) {
        if (record.value > seq) break scan // a checkpoint cannot cover records after it
        while (coveredFrom < pendingSeq.length && pendingSeq[coveredFrom] < record.value) coveredFrom++
      }
      // Other kinds (from a later version) carry nothing this version needs.
      lastKind = record.kind
      seq++
      position += RECORD_SIZE
    }
    if (read < want) break
  }
  const unconfirmed = new Set<number>()
  for (let i = coveredFrom; i < pendingChunk.length; i++) unconfirmed.add(pendingChunk[i])
  return {
    format: 'current',
    have,
    unconfirmed: [...unconfirmed].sort((a, b) => a - b),
    closedCleanly: lastKind === RecordKind.close,
    codec,
    records: seq,
    validLength: position,
    fileLength: size
  }
}

/** A journal of the earlier format: bare u32 chunk indices; a torn last record is cut off. */
async function readLegacy (handle: FileHandle, chunkCount: number, size: number): Promise<JournalContents> {
  const validLength = size - (size % LEGACY_RECORD_SIZE)
  const have = new Bitfield(chunkCount)
  const block = new Uint8Array(Math.min(READ_BLOCK, Math.max(validLength, LEGACY_RECORD_SIZE)))
  const view = new DataView(block.buffer)
  let position = 0
  while (position < validLength) {
    const want = Math.min(block.length, validLength - position)
    const got = await readAt(handle, block.subarray(0, want), position)
    const whole = got - (got % LEGACY_RECORD_SIZE)
    for (let p = 0; p < whole; p += LEGACY_RECORD_SIZE) {
      const index = view.getUint32(p)
      if (index < chunkCount) have.set(index)
    }
    position += whole
    if (got < want) break
  }
  return { format: 'legacy', have, unconfirmed: [...have], closedCleanly: false, records: 0, validLength: position, fileLength: size }
}

function empty (chunkCount: number, format: 'none', size: number): JournalContents {
  return { format, have: new Bitfield(chunkCount), unconfirmed: [], closedCleanly: false, records: 0, validLength: 0, fileLength: size }
}

/** Reads into `target` from `position` until it is full or the file ends; resolves with the bytes read. */
async function readAt (handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let got = 0
  while (got < target.byteLength) {
    const { bytesRead } = await handle.read(target, got, target.byteLength - got, position + got)
    if (bytesRead === 0) break
    got += bytesRead
  }
  return got
}
