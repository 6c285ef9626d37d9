import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { quicLibraryPatchPath, quicLibraryPatched, quicTransport } from '@codio-chunk/transport-quic'
import { quinnTransport } from '@codio-chunk/transport-quinn'
import { webSocketTransport } from '@codio-chunk/transport-websocket'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'
import { blake3Verifier } from '@codio-chunk/verifier-blake3'
import { rarestFirst } from '@codio-chunk/strategy-rarest-first'
import { sequential } from '@codio-chunk/strategy-sequential'
import { randomOrder } from '@codio-chunk/strategy-random'
import type { Strategy, TransportFactory, Verifier } from '@codio-chunk/core'
import { UsageError } from './errors.js'

/**
 * Transports the CLI can run, by `--transport` name, as the factories a node takes. The node gives
 * each its identity: QUIC and quinn prove it to peers in their TLS handshakes, WebSocket (`ws`,
 * for `ws://` addresses, which browsers dial) in a signed challenge; TCP only claims it in the
 * hello.
 */
export const TRANSPORTS: Record<string, () => TransportFactory> = {
  tcp: () => tcpTransport(),
  quic: () => quicTransport(),
  quinn: () => quinnTransport(),
  ws: () => webSocketTransport()
}

/**
 * Verifiers by `--verifier` name. `sha256` uses node:crypto (OpenSSL, with the CPU's SHA
 * instructions where it has them); `sha256-wasm` uses hash-wasm's WebAssembly: both give the same
 * digests, so nodes using either interoperate. `blake3` (native, @napi-rs/blake-hash) gives
 * content different CIDs (multihash 0x1e).
 */
export const VERIFIERS: Record<string, () => Verifier> = {
  sha256: () => sha256Verifier({ backend: 'node' }),
  'sha256-wasm': () => sha256Verifier({ backend: 'hash-wasm' }),
  blake3: () => blake3Verifier()
}

/** Built-in strategies by `--strategy` name. */
export const STRATEGIES: Record<string, () => Strategy> = {
  'rarest-first': () => rarestFirst(),
  sequential: () => sequential(),
  random: () => randomOrder()
}

/** The table's entry for `name`: never one of Object.prototype's (`constructor`, `__proto__`, `toString`). */
function ownEntry<T> (table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined
}

/**
 * The transport factories named by `--transport` (each name once), for `ChunkDistributor.create`.
 *
 * @example
 * ```ts
 * const [tcp, quic] = transportsFor(['tcp', 'quic'])
 * ```
 */
export function transportsFor (names: readonly string[]): TransportFactory[] {
  return [...new Set(names)].map(name => {
    const make = ownEntry(TRANSPORTS, name)
    if (make === undefined) throw new UsageError(`unknown transport "${name}": use one of ${Object.keys(TRANSPORTS).join(', ')}`)
    return make()
  })
}

/**
 * Warnings about the transports named by `--transport`, for stderr: `quic` on an unpatched
 * `@matrixai/quic` runs, but at a few MB/s (`patched` says whether the loaded library has the patch).
 *
 * @example
 * ```ts
 * for (const line of transportWarnings(['tcp', 'quic'])) process.stderr.write(line + '\n')
 * ```
 */
export function transportWarnings (names: readonly string[], patched?: boolean): string[] {
  if (!names.includes('quic') || (patched ?? quicLibraryPatched())) return []
  return [`warning: @matrixai/quic is not patched, so the quic transport moves only a few MB/s; apply ${quicLibraryPatchPath()} (see the @codio-chunk/transport-quic README, "Applying the patch"), or use --transport tcp or quinn`]
}

/**
 * The verifier named by `--verifier`.
 *
 * @example
 * ```ts
 * const verifier = verifierFor('sha256')
 * ```
 */
export function verifierFor (name: string): Verifier {
  const make = ownEntry(VERIFIERS, name)
  if (make === undefined) throw new UsageError(`unknown verifier "${name}": use one of ${Object.keys(VERIFIERS).join(', ')}`)
  return make()
}

/**
 * The verifiers of a node: the one named by `--verifier` first (it hashes content the node adds),
 * then one for each other hash the CLI knows, so the node can fetch and serve content of any of
 * them.
 *
 * @example
 * ```ts
 * verifiersFor('blake3').map(v => v.code) // [0x1e, 0x12]
 * ```
 */
export function verifiersFor (name: string): Verifier[] {
  const chosen = verifierFor(name)
  const others = chosen.code === 0x12 ? [VERIFIERS.blake3()] : [VERIFIERS.sha256()]
  return [chosen, ...others.filter(v => v.code !== chosen.code)]
}

/** The first line of what was thrown, whatever it is (modules may throw anything). */
function messageOf (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.split('\n')[0]
}

function isStrategy (value: unknown): value is Strategy {
  return typeof value === 'object' && value !== null && typeof (value as Strategy).pick === 'function' && typeof (value as Strategy).name === 'string'
}

/**
 * The strategy named by `--strategy`: a built-in name, or the path of a module whose default
 * export (or `strategy` export) is a Strategy or a function returning one. Anything else is a
 * `UsageError` that says what the module must export.
 *
 * @example
 * ```ts
 * const strategy = await strategyFor('./my-strategy.js', process.cwd())
 * ```
 */
export async function strategyFor (nameOrPath: string, cwd: string): Promise<Strategy> {
  const builtIn = ownEntry(STRATEGIES, nameOrPath)
  if (builtIn !== undefined) return builtIn()
  const looksLikePath = /[\\/]|\.[cm]?js$/.test(nameOrPath)
  if (!looksLikePath) {
    throw new UsageError(`unknown strategy "${nameOrPath}": use ${Object.keys(STRATEGIES).join(', ')} or the path of a strategy module such as ./my-strategy.js`)
  }
  const path = resolve(cwd, nameOrPath)
  let isFile: boolean
  try {
    isFile = (await stat(path)).isFile()
  } catch {
    throw new UsageError(`strategy module ${path} does not exist: check the --strategy path`)
  }
  if (!isFile) throw new UsageError(`strategy module ${path} is not a file: give the path of a JavaScript module`)
  let module: Record<string, unknown>
  try {
    module = await import(pathToFileURL(path).href) as Record<string, unknown>
  } catch (err) {
    throw new UsageError(`strategy module ${path} failed to load: ${messageOf(err)}`, { cause: err })
  }
  for (const exported of [module.default, module.strategy]) {
    if (isStrategy(exported)) return exported
    if (typeof exported === 'function') {
      let made: unknown
      try {
        made = await (exported as () => unknown)()
      } catch (err) {
        throw new UsageError(`strategy module ${path}: its factory threw: ${messageOf(err)}`, { cause: err })
      }
      if (isStrategy(made)) return made
      throw new UsageError(`strategy module ${path}: its factory must return a Strategy (an object with a name and a pick function)`)
    }
  }
  throw new UsageError(`strategy module ${path} must export a Strategy, or a function returning one, as its default export or as "strategy"`)
}
