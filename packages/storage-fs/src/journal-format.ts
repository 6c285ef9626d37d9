import { randomBytes } from 'node:crypto'
import { crc32 } from 'node:zlib'

/** Bytes of the journal's header: magic (8), salt (u32), CRC-32 of the first 12 bytes (u32). */
export const HEADER_SIZE = 16
/** Bytes per journal record: kind (u8), three zero bytes, value (u32), CRC-32 (u32). */
export const RECORD_SIZE = 12

/**
 * The journal's first eight bytes. The first is above 0x7f, so no journal of the earlier format
 * (bare big-endian u32 chunk indices, all below 2^31) starts like one of this format.
 */
export const JOURNAL_MAGIC = Uint8Array.of(0xc0, 0xd1, 0x0c, 0x4b, 0x4a, 0x4e, 0x4c, 0x02)

/** What a record says. */
export const RecordKind = {
  /** Chunk `value` was written to the data file (its data write had completed). */
  chunk: 1,
  /**
   * Every record numbered below `value` is durable with its chunk's data: the data file was
   * fdatasynced after those records were written and before this one was.
   */
  checkpoint: 2,
  /** A checkpoint written by `close()`: the storage shut down cleanly after it. */
  close: 3
} as const

export type RecordKindCode = typeof RecordKind[keyof typeof RecordKind]

/** One decoded record. */
export interface JournalRecord {
  readonly kind: number
  readonly value: number
}

/**
 * Encodes and checks the records of one journal file. Each file has a random salt, written in its
 * header; a record's CRC-32 covers the salt, the record's number (its position, counted from 0
 * after the header: a sequence the record carries without storing it) and its kind and value. So
 * a torn record, a record from another journal file (stale blocks a power cut can expose past the
 * end of a file) and a record out of place all fail the check.
 *
 * @example
 * ```ts
 * const codec = JournalCodec.create()
 * const bytes = new Uint8Array(HEADER_SIZE + RECORD_SIZE)
 * bytes.set(codec.header())
 * codec.encodeInto(bytes, HEADER_SIZE, 0, RecordKind.chunk, 7)
 * codec.decode(bytes, HEADER_SIZE, 0) // { kind: 1, value: 7 }
 * ```
 */
export class JournalCodec {
  readonly salt: number
  /** CRC-32 of the salt: where every record's CRC starts. */
  private readonly seed: number
  private readonly scratch = new Uint8Array(12)
  private readonly scratchView = new DataView(this.scratch.buffer)

  constructor (salt: number) {
    this.salt = salt >>> 0
    const bytes = new Uint8Array(4)
    new DataView(bytes.buffer).setUint32(0, this.salt)
    this.seed = crc32(bytes)
  }

  /** A codec with a fresh random salt, for a new journal file. */
  static create (): JournalCodec {
    return new JournalCodec(randomBytes(4).readUInt32BE(0))
  }

  /**
   * The codec of a journal whose file starts with `bytes` (at least {@link HEADER_SIZE} of them),
   * or undefined when they are not an intact header of this format.
   */
  static fromHeader (bytes: Uint8Array): JournalCodec | undefined {
    if (bytes.byteLength < HEADER_SIZE) return undefined
    for (let i = 0; i < JOURNAL_MAGIC.length; i++) if (bytes[i] !== JOURNAL_MAGIC[i]) return undefined
    const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_SIZE)
    if (crc32(bytes.subarray(0, 12)) !== view.getUint32(12)) return undefined
    return new JournalCodec(view.getUint32(8))
  }

  /** The header of a journal file written with this codec. */
  header (): Uint8Array {
    const bytes = new Uint8Array(HEADER_SIZE)
    bytes.set(JOURNAL_MAGIC)
    const view = new DataView(bytes.buffer)
    view.setUint32(8, this.salt)
    view.setUint32(12, crc32(bytes.subarray(0, 12)))
    return bytes
  }

  /** Writes record number `seq` (`kind`, `value`) into `target` at `offset`. */
  encodeInto (target: Uint8Array, offset: number, seq: number, kind: RecordKindCode, value: number): void {
    const view = new DataView(target.buffer, target.byteOffset + offset, RECORD_SIZE)
    view.setUint32(0, kind << 24)
    view.setUint32(4, value)
    view.setUint32(8, this.checksum(seq, kind << 24, value))
  }

  /**
   * The record at `offset` of `source` if it is intact as record number `seq` of this journal,
   * else undefined.
   */
  decode (source: Uint8Array, offset: number, seq: number): JournalRecord | undefined {
    const view = new DataView(source.buffer, source.byteOffset + offset, RECORD_SIZE)
    const head = view.getUint32(0)
    const value = view.getUint32(4)
    if ((head & 0x00ffffff) !== 0) return undefined
    if (this.checksum(seq, head, value) !== view.getUint32(8)) return undefined
    return { kind: head >>> 24, value }
  }

  private checksum (seq: number, head: number, value: number): number {
    this.scratchView.setUint32(0, seq)
    this.scratchView.setUint32(4, head)
    this.scratchView.setUint32(8, value)
    return crc32(this.scratch, this.seed)
  }
}

/** One record to encode. */
export interface RecordToWrite {
  readonly kind: RecordKindCode
  readonly value: number
}

/** `records` encoded with `codec`, numbered from `firstSeq`. */
export function encodeRecords (codec: JournalCodec, firstSeq: number, records: readonly RecordToWrite[]): Uint8Array {
  const bytes = new Uint8Array(records.length * RECORD_SIZE)
  for (let i = 0; i < records.length; i++) codec.encodeInto(bytes, i * RECORD_SIZE, firstSeq + i, records[i].kind, records[i].value)
  return bytes
}

/** A whole journal file: header, a record per chunk of `chunks`, then a checkpoint covering them when `covered`. */
export function encodeJournal (codec: JournalCodec, chunks: Iterable<number>, covered: boolean): Uint8Array {
  const records: RecordToWrite[] = []
  for (const index of chunks) records.push({ kind: RecordKind.chunk, value: index })
  if (covered) records.push({ kind: RecordKind.checkpoint, value: records.length })
  const bytes = new Uint8Array(HEADER_SIZE + records.length * RECORD_SIZE)
  bytes.set(codec.header())
  bytes.set(encodeRecords(codec, 0, records), HEADER_SIZE)
  return bytes
}
