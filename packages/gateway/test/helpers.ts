// Loopback fixtures: a seeder node, a gateway node that fetches from it over TCP, a gateway on port 0,
// and HTTP clients (Node's fetch, curl, raw sockets) whose every wait has a deadline.
import { createHash, randomBytes } from 'node:crypto'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { ChunkConfig, ChunkDistributor, memoryStorage, type ChunkConfigOptions } from '@codio-chunk/engine'
import type { DiscoveryFactory, LoggerFactory } from '@codio-chunk/interface'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { createGateway, type Gateway, type GatewayOptions } from '../src/index.js'
import type { CID } from 'multiformats/cid'

export const CURL = '/usr/bin/curl'
export const hasCurl = existsSync(CURL)
if (!hasCurl) console.warn(`${CURL} was not found: the tests that run curl are skipped (Node's fetch still covers the same answers)`)

/** Every wait in these tests ends within this. */
export const DEADLINE = 30_000

export async function startNode (config: Partial<ChunkConfigOptions> = {}, extra: { listen?: boolean, discovery?: DiscoveryFactory[], logger?: LoggerFactory } = {}): Promise<ChunkDistributor> {
  return await ChunkDistributor.create(ChunkConfig.from(config), {
    transports: [tcpTransport()],
    verifier: sha256Verifier(),
    storage: memoryStorage(),
    listen: extra.listen === false ? [] : ['tcp://127.0.0.1:0'],
    discovery: extra.discovery,
    logger: extra.logger
  })
}

export interface Fixture {
  seeder: ChunkDistributor
  node: ChunkDistributor
  gateway: Gateway
  url: string
  stop: () => Promise<void>
}

/** A seeder (chunks of `chunkSize`, uploads capped at `uploadLimit` if given) and a gateway node told the seeder's address. */
export async function startFixture (options: { chunkSize?: number, uploadLimit?: number, gateway?: GatewayOptions, nodeConfig?: Partial<ChunkConfigOptions>, logger?: LoggerFactory } = {}): Promise<Fixture> {
  const seeder = await startNode({ chunkSize: options.chunkSize ?? 64 * 1024, uploadLimit: options.uploadLimit ?? 0 })
  const node = await startNode(options.nodeConfig ?? {}, { listen: true, logger: options.logger })
  const gateway = createGateway(node, { providers: seeder.addresses, ...options.gateway })
  const { url } = await gateway.listen('127.0.0.1', 0)
  return {
    seeder,
    node,
    gateway,
    url,
    stop: async () => {
      await gateway.close()
      await Promise.allSettled([node.stop(), seeder.stop()])
    }
  }
}

export function randomContent (size: number): Uint8Array {
  return new Uint8Array(randomBytes(size))
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

/** True if `bytes` hash (SHA-256) to the digest in `cid`. */
export function verifiesAgainst (cid: CID, bytes: Uint8Array): boolean {
  if (cid.multihash.code !== 0x12) return false
  return equalBytes(new Uint8Array(createHash('sha256').update(bytes).digest()), cid.multihash.digest)
}

/** A fetch with a deadline, returning status, headers and the whole body. */
export async function get (url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number, headers: Headers, body: Uint8Array }> {
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(DEADLINE) })
  return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) }
}

export interface CurlResult {
  status: number
  headers: Map<string, string>
  body: Uint8Array
}

/** Runs curl (`-s -i`, with a deadline) and splits its answer into status, headers (lower-case names) and body. */
export async function curl (args: string[]): Promise<CurlResult> {
  const stdout = await new Promise<Buffer>((resolve, reject) => {
    execFile(CURL, ['-s', '-i', '--max-time', String(DEADLINE / 1000), ...args], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, out) => {
      if (err !== null && (out === undefined || out.length === 0)) reject(err)
      else resolve(out)
    })
  })
  const split = stdout.indexOf('\r\n\r\n')
  const head = stdout.subarray(0, split).toString('latin1').split('\r\n')
  const status = Number(head[0].split(' ')[1])
  const headers = new Map<string, string>()
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':')
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return { status, headers, body: new Uint8Array(stdout.subarray(split + 4)) }
}

/** Sends raw bytes on a new connection and resolves with everything the server sent back before closing (or the deadline). */
export async function rawRequest (url: string, request: string | Uint8Array, options: { deadline?: number } = {}): Promise<string> {
  const { hostname, port } = new URL(url)
  return await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')) }, options.deadline ?? DEADLINE)
    socket.on('data', (d) => chunks.push(d))
    socket.on('error', (err) => { clearTimeout(timer); if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1')); else reject(err) })
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')) })
    socket.write(request)
  })
}

/** Resolves when `predicate` holds, checking every 10 ms; rejects after `timeout` ms. */
export async function waitFor (predicate: () => boolean, timeout = DEADLINE, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 10))
  }
}
