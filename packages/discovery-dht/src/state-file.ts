import { randomBytes } from 'node:crypto'
import { mkdir, open, rename, rm } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isIP } from 'node:net'

/**
 * The routing table kept across restarts, as JSON:
 * `{ "version": 1, "key": "<hex public key>", "seq": 1718000000, "nodes": [{ "id": "<40 hex>", "host": "1.2.3.4", "port": 6881 }] }`.
 * `seq` is the last sequence number the node signed its record with, so a restarted node never
 * publishes a record the DHT would refuse as older.
 */
export interface RoutingState {
  /** Hex of the public key the `seq` belongs to. */
  key?: string
  seq?: number
  nodes: Array<{ id: Uint8Array, host: string, port: number }>
}

/** Largest state file read, in bytes; a larger one is ignored. */
export const MAX_STATE_BYTES = 1024 * 1024
/** Most nodes read from or written to a state file. */
export const MAX_STATE_NODES = 2000

const VERSION = 1

/** Why a state file was not used; the file is then ignored. */
export class StateFileError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StateFileError'
  }
}

/**
 * Reads a state file. Resolves undefined if there is none; rejects with {@link StateFileError} if
 * it is larger than {@link MAX_STATE_BYTES}, not JSON, or not a state (the caller logs and goes
 * on without it). Entries that are not valid nodes are skipped.
 *
 * @example
 * ```ts
 * import { loadState } from './state-file.js'
 * const state = await loadState('/var/lib/codio-chunk/dht.json')
 * state?.nodes.length // nodes to seed the routing table with
 * ```
 */
export async function loadState (file: string): Promise<RoutingState | undefined> {
  let text: string
  let handle: FileHandle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new StateFileError(`cannot open ${file}: ${(err as Error).message}`, { cause: err })
  }
  try {
    const { size } = await handle.stat()
    if (size > MAX_STATE_BYTES) throw new StateFileError(`${file} is ${size} bytes, over the ${MAX_STATE_BYTES} a state file may have`)
    const buffer = Buffer.alloc(size)
    const { bytesRead } = await handle.read(buffer, 0, size, 0)
    text = buffer.subarray(0, bytesRead).toString('utf8')
  } finally {
    await handle.close()
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new StateFileError(`${file} is not JSON`, { cause: err })
  }
  if (json === null || typeof json !== 'object' || (json as { version?: unknown }).version !== VERSION || !Array.isArray((json as { nodes?: unknown }).nodes)) {
    throw new StateFileError(`${file} is not a DHT state file (version ${VERSION} with a nodes list)`)
  }
  const { key, seq, nodes } = json as { key?: unknown, seq?: unknown, nodes: unknown[] }
  const state: RoutingState = { nodes: [] }
  if (typeof key === 'string' && /^[0-9a-f]{64}$/.test(key) && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) {
    state.key = key
    state.seq = seq
  }
  for (const entry of nodes.slice(0, MAX_STATE_NODES)) {
    const node = readNode(entry)
    if (node !== undefined) state.nodes.push(node)
  }
  return state
}

function readNode (entry: unknown): RoutingState['nodes'][number] | undefined {
  if (entry === null || typeof entry !== 'object') return undefined
  const { id, host, port } = entry as { id?: unknown, host?: unknown, port?: unknown }
  if (typeof id !== 'string' || !/^[0-9a-f]{40}$/.test(id)) return undefined
  if (typeof host !== 'string' || isIP(host) !== 4) return undefined
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined
  return { id: new Uint8Array(Buffer.from(id, 'hex')), host, port }
}

/**
 * Writes a state file atomically: into a temporary file beside it, synced, then renamed over it, so a
 * crash leaves the old file or the new one, never half of one. Creates the directory if needed.
 *
 * @example
 * ```ts
 * import { saveState } from './state-file.js'
 * await saveState('/var/lib/codio-chunk/dht.json', { nodes: [{ id, host: '1.2.3.4', port: 6881 }] })
 * ```
 */
export async function saveState (file: string, state: RoutingState): Promise<void> {
  const json = JSON.stringify({
    version: VERSION,
    ...(state.key !== undefined && state.seq !== undefined ? { key: state.key, seq: state.seq } : {}),
    nodes: state.nodes.slice(0, MAX_STATE_NODES).map(node => ({ id: Buffer.from(node.id).toString('hex'), host: node.host, port: node.port }))
  })
  await mkdir(dirname(file), { recursive: true })
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const handle = await open(temporary, 'w', 0o600)
    try {
      await handle.writeFile(json + '\n')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, file)
  } catch (err) {
    await rm(temporary, { force: true })
    throw err
  }
}
