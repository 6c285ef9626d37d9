import { readFile } from 'node:fs/promises'
import { HEADER_SIZE, JournalCodec, RECORD_SIZE, RecordKind } from '../src/journal-format.js'

/** A journal record as the tests name it. */
export interface NamedRecord { kind: 'chunk' | 'checkpoint' | 'close' | number, value: number }

const NAMES: Record<number, NamedRecord['kind']> = { [RecordKind.chunk]: 'chunk', [RecordKind.checkpoint]: 'checkpoint', [RecordKind.close]: 'close' }

/** The intact records of the journal at `path`, in file order (stops at the first damaged one). */
export async function journalRecords (path: string): Promise<NamedRecord[]> {
  const bytes = new Uint8Array(await readFile(path))
  const codec = JournalCodec.fromHeader(bytes)
  if (codec === undefined) throw new Error(`${path} has no intact journal header`)
  const out: NamedRecord[] = []
  for (let p = HEADER_SIZE, seq = 0; p + RECORD_SIZE <= bytes.length; p += RECORD_SIZE, seq++) {
    const record = codec.decode(bytes, p, seq)
    if (record === undefined) break
    out.push({ kind: NAMES[record.kind] ?? record.kind, value: record.value })
  }
  return out
}

/** The chunk indices the journal at `path` records, in record order. */
export async function journalChunks (path: string): Promise<number[]> {
  return (await journalRecords(path)).filter(r => r.kind === 'chunk').map(r => r.value)
}
