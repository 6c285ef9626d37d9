import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { crc32 } from 'node:zlib'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { ChunkDistributor, Manifest } from '@codio-chunk/core'
import { DATA_FILE, JOURNAL_FILE } from '@codio-chunk/storage-fs'
import type { RecoveryReport } from '@codio-chunk/storage-fs'
import { startNode, stopAll, storedBytes } from './swarm-helpers.js'

// A downloader process using storage-fs in its default fsync mode (checkpoint) is killed with
// SIGKILL at 20 moments drawn from a seeded generator (by bytes stored, or by time since its
// download started); on some rounds the test then also plays the power cut that could follow:
// writes not yet made durable are lost (the journal cut back to a point no earlier than the last
// checkpoint known durable, its last record torn or its tail zeroed, the data of chunks no
// checkpoint covered zeroed in whole or in part, the data file cut short when no checkpoint ever
// ran). A fresh process then resumes the download. Every round: what the resumed node's storage
// holds before downloading reads back as exactly the content's chunks, the chunks hashed when the
// content is opened are exactly those recorded after the surviving journal's last checkpoint and
// the ones dropped are exactly those whose bytes were lost, the finished copy is byte-identical,
// and a peer downloading from the resumed node gets byte-identical content with no chunk refused.
// The children run the built packages (the test target builds them first).

const SCRIPT = fileURLToPath(new URL('./crash-downloader.mjs', import.meta.url))
const BUILT = fileURLToPath(new URL('../node_modules/@codio-chunk/storage-fs/dist/index.js', import.meta.url))
const MiB = 1024 * 1024
const SIZE = 16 * MiB // 64 chunks of 256 KiB
const ROUNDS = 20
const SEED = 0x5eed_c0d1
/** The children's checkpoint thresholds, scaled down from 1 GiB / 5 s to this content. */
const CHECKPOINT = { checkpointBytes: 2 * MiB, checkpointInterval: 25 }
/** The victim's download rate cap, so that a kill by time lands mid-download (16 MiB in about 250 ms). */
const VICTIM_LIMIT = 64 * MiB

/** A small seeded generator (mulberry32): the same moments and losses on every run. */
function seeded (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// --- The journal's on-disk format, as the storage-fs README describes it ---------------------------

const HEADER = 16
const RECORD = 12
const MAGIC = [0xc0, 0xd1, 0x0c, 0x4b, 0x4a, 0x4e, 0x4c, 0x02]

interface JournalRecord { seq: number, kind: number, value: number }

/** The intact records of a journal, up to the first torn or damaged one; undefined without an intact header. */
function parseJournal (bytes: Uint8Array): JournalRecord[] | undefined {
  if (bytes.length < HEADER || MAGIC.some((b, i) => bytes[i] !== b)) return undefined
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (crc32(bytes.subarray(0, 12)) !== view.getUint32(12)) return undefined
  const seed = crc32(bytes.subarray(8, 12))
  const out: JournalRecord[] = []
  const scratch = new DataView(new ArrayBuffer(12))
  for (let p = HEADER, seq = 0; p + RECORD <= bytes.length; p += RECORD, seq++) {
    const head = view.getUint32(p)
    const value = view.getUint32(p + 4)
    scratch.setUint32(0, seq)
    scratch.setUint32(4, head)
    scratch.setUint32(8, value)
    if ((head & 0xffffff) !== 0 || crc32(new Uint8Array(scratch.buffer), seed) !== view.getUint32(p + 8)) break
    const kind = head >>> 24
    if (kind !== 1 && value > seq) break // a checkpoint cannot cover records after it
    out.push({ seq, kind, value })
  }
  return out
}

const isCheckpoint = (r: JournalRecord): boolean => r.kind === 2 || r.kind === 3
/** The chunks a journal records after the point its last checkpoint covers. */
function unconfirmed (records: JournalRecord[]): number[] {
  const cover = Math.max(0, ...records.filter(isCheckpoint).map(r => r.value))
  return records.filter(r => r.kind === 1 && r.seq >= cover).map(r => r.value)
}

// --- Processes ---------------------------------------------------------------------------------------

interface Child { process: ChildProcess, lines: Array<Record<string, any>>, next: (key: string) => Promise<Record<string, any>>, exited: Promise<number | null> }

const children: ChildProcess[] = []

function startChild (arg: Record<string, unknown>): Child {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(arg)], { stdio: ['pipe', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)) })
  children.push(child)
  const lines: Array<Record<string, any>> = []
  const waiters: Array<() => void> = []
  createInterface({ input: child.stdout! }).on('line', line => {
    lines.push(JSON.parse(line))
    for (const wake of waiters.splice(0)) wake()
  })
  const exited = new Promise<number | null>(resolve => { child.on('exit', code => { for (const wake of waiters.splice(0)) wake(); resolve(code) }) })
  const next = async (key: string): Promise<Record<string, any>> => {
    for (;;) {
      const found = lines.find(l => key in l)
      if (found !== undefined) return found
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the downloader exited (${child.exitCode ?? child.signalCode}) before printing ${key}`)
      await new Promise<void>(resolve => waiters.push(resolve))
    }
  }
  return { process: child, lines, next, exited }
}

const nodes: ChunkDistributor[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  await stopAll(nodes)
})
afterAll(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

// --- The power cut -----------------------------------------------------------------------------------

interface Loss { journalCut: string, zeroed: number[], dataCut?: number }

/**
 * Plays the loss of every write a power cut could lose after the kill. Only the checkpoint before
 * the last one is known durable (a checkpoint's journal fsync ends before the next checkpoint
 * starts); the last one's record may be lost, but the data it covers was fdatasynced before it was
 * written. So the journal keeps at least everything up to the second-to-last checkpoint, and only
 * chunks no checkpoint covers can lose their bytes. Without any checkpoint, the data file's size
 * was never synced either.
 */
async function losePower (folder: string, manifest: Manifest, random: () => number): Promise<Loss> {
  const journalPath = join(folder, JOURNAL_FILE)
  const dataPath = join(folder, DATA_FILE)
  const bytes = new Uint8Array(await readFile(journalPath))
  const records = parseJournal(bytes) ?? []
  const checkpoints = records.filter(isCheckpoint)
  const last = checkpoints.at(-1)
  const durable = checkpoints.length >= 2 ? checkpoints[checkpoints.length - 2].seq + 1 : 0
  const keep = durable + Math.floor(random() * (records.length - durable + 1))
  const end = HEADER + keep * RECORD
  let journalCut: string
  const tear = random()
  if (keep < records.length && tear < 0.4) {
    const torn = 1 + Math.floor(random() * (RECORD - 1))
    await writeFile(journalPath, bytes.subarray(0, end + torn))
    journalCut = `${keep} of ${records.length} records, the next torn after ${torn} bytes`
  } else if (keep < records.length && tear < 0.7) {
    bytes.fill(0, end)
    await writeFile(journalPath, bytes)
    journalCut = `${keep} of ${records.length} records, the tail zeroed`
  } else {
    await truncate(journalPath, end)
    journalCut = `${keep} of ${records.length} records`
  }

  const covered = last?.value ?? 0
  const zeroed: number[] = []
  const handle = await open(dataPath, 'r+')
  try {
    for (const record of records) {
      if (record.kind !== 1 || record.seq < covered) continue
      const roll = random()
      const index = record.value
      const offset = manifest.chunkOffset(index)
      const length = manifest.chunkLength(index)
      if (roll < 0.5) {
        await handle.write(new Uint8Array(length), 0, length, offset) // the write never reached the disk
        zeroed.push(index)
      } else if (roll < 0.7) {
        const page = Math.floor(random() * (length / 4096)) * 4096
        await handle.write(new Uint8Array(4096), 0, 4096, offset + page) // one page of it did not
        zeroed.push(index)
      }
    }
  } finally {
    await handle.close()
  }
  let dataCut: number | undefined
  if (last === undefined && random() < 0.5) {
    dataCut = Math.floor(random() * (SIZE / 4096)) * 4096
    await truncate(dataPath, dataCut)
  }
  return { journalCut, zeroed, dataCut }
}

/** What opening the content must recheck and drop, read off the files as the power cut left them. */
async function expectedRecovery (folder: string, manifest: Manifest, loss: Loss | undefined): Promise<{ rechecked: number, dropped: number, truncated: number } | undefined> {
  const bytes = new Uint8Array(await readFile(join(folder, JOURNAL_FILE)))
  const records = parseJournal(bytes) ?? []
  if (records.at(-1)?.kind === 3) return undefined // closed cleanly: nothing to report
  const size = (await stat(join(folder, DATA_FILE))).size
  const fits = (index: number): boolean => manifest.chunkOffset(index) + manifest.chunkLength(index) <= size
  const recorded = records.filter(r => r.kind === 1).map(r => r.value)
  const suspect = unconfirmed(records).filter(fits)
  // A journal holding only its header (killed before any chunk was recorded) has nothing to report.
  if (records.length === 0 && bytes.length === HEADER && recorded.every(fits)) return undefined
  return {
    rechecked: suspect.length,
    dropped: suspect.filter(index => loss?.zeroed.includes(index) === true).length,
    truncated: recorded.filter(index => !fits(index)).length
  }
}

describe('crash and resume with storage-fs (fsync checkpoint)', () => {
  it(`resumes byte-identical after ${ROUNDS} SIGKILLs, some followed by the loss of unsynced writes, and never accepts or serves a corrupt chunk`, async () => {
    expect(existsSync(BUILT), `${BUILT} is missing: build the packages first (pnpm nx run-many -t build)`).toBe(true)
    const random = seeded(SEED)
    const content = new Uint8Array(SIZE)
    const words = new Uint32Array(content.buffer)
    for (let i = 0; i < words.length; i++) words[i] = (random() * 4294967296) >>> 0
    const sha256 = createHash('sha256').update(content).digest('hex')
    const seeder = await startNode()
    nodes.push(seeder)
    const cid = await seeder.storeContent(content)
    const manifest = (await seeder.storage.getManifest(cid))!
    const base = await mkdtemp(join(tmpdir(), 'codio-chunk-crash-'))
    dirs.push(base)
    const totals = { kills: 0, finishedFirst: 0, powerCuts: 0, rechecked: 0, dropped: 0, truncated: 0 }
    const log: string[] = []

    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(base, `round-${round}`)
      const folder = join(dir, cid.toString())
      const byBytes = random() < 0.5
      const killAtBytes = byBytes ? Math.floor(random() * SIZE) : undefined
      const killAfterMs = byBytes ? undefined : Math.floor(random() * 300)
      const cutPower = random() < 0.6
      const what = `round ${round} (${byBytes ? `kill at ${killAtBytes} bytes` : `kill after ${killAfterMs} ms`}${cutPower ? ', power cut' : ''})`

      const victim = startChild({ dir, cid: cid.toString(), addresses: seeder.addresses, role: 'victim', killAtBytes, downloadLimit: VICTIM_LIMIT, ...CHECKPOINT })
      await victim.next('started')
      if (killAfterMs !== undefined) setTimeout(() => { victim.process.kill('SIGKILL') }, killAfterMs)
      await victim.exited
      const finished = victim.lines.some(l => 'finished' in l)
      if (finished) totals.finishedFirst++
      else totals.kills++

      let loss: Loss | undefined
      if (cutPower && !finished && existsSync(join(folder, JOURNAL_FILE))) {
        loss = await losePower(folder, manifest, random)
        totals.powerCuts++
      }
      const expected = existsSync(join(folder, JOURNAL_FILE)) ? await expectedRecovery(folder, manifest, loss) : undefined

      const resumed = startChild({ dir, cid: cid.toString(), addresses: seeder.addresses, role: 'resume', ...CHECKPOINT })
      const checked = (await resumed.next('checked')).checked as { held: number, mismatched: number, notFound: number }
      const report = resumed.lines.find(l => 'recovery' in l)?.recovery as RecoveryReport | undefined
      expect(checked.mismatched, `${what}: chunks the storage held that do not match`).toBe(0)
      expect(checked.notFound, `${what}: chunks completed() reported that could not be read`).toBe(0)
      if (expected === undefined) {
        expect(report, `${what}: a recovery after a clean close or a fresh start`).toBeUndefined()
      } else {
        expect(report, `${what}: ${loss?.journalCut ?? 'process crash only'}`).toMatchObject(expected)
        totals.rechecked += report!.rechecked
        totals.dropped += report!.dropped
        totals.truncated += report!.truncated
      }
      const stored = victim.lines.filter(l => 'bytes' in l).at(-1)?.bytes ?? 0
      log.push(`${what}: ${finished ? 'finished first' : `killed after ${stored} bytes stored`}${loss === undefined ? '' : `; journal kept ${loss.journalCut}, ${loss.zeroed.length} chunks' bytes lost${loss.dataCut === undefined ? '' : `, data file cut to ${loss.dataCut}`}`}; ${report === undefined ? 'no recovery' : `rechecked ${report.rechecked}, dropped ${report.dropped}, past the end ${report.truncated}`}`)
      const done = (await resumed.next('done')).done as { sha256: string }
      expect(done.sha256, `${what}: the resumed copy`).toBe(sha256)

      // A peer fetching from the resumed node gets the content's exact bytes, no chunk refused.
      const address = (await resumed.next('serving')).serving as string
      const peer = await startNode({ listen: false })
      nodes.push(peer)
      let invalid = 0
      peer.events.on('chunk:invalid', () => { invalid++ })
      await peer.download(cid, [address])
      expect(Buffer.compare(await storedBytes(peer, cid), content), `${what}: what the resumed node served`).toBe(0)
      expect(invalid, `${what}: corrupt chunks served`).toBe(0)
      await peer.stop()
      nodes.splice(nodes.indexOf(peer), 1)
      resumed.process.stdin!.end()
      await resumed.exited
      await rm(dir, { recursive: true, force: true })
    }
    // The rounds exercised what they are for (the kill moments are seeded; where they land is not).
    expect(totals.kills).toBeGreaterThanOrEqual(ROUNDS / 2)
    expect(totals.powerCuts).toBeGreaterThan(0)
    expect(totals.rechecked).toBeGreaterThan(0)
    expect(totals.dropped).toBeGreaterThan(0)
    console.log(`crash-resume: ${JSON.stringify(totals)}\n${log.join('\n')}`)
  }, 90_000)
})
