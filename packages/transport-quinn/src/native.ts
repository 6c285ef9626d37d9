import { createRequire } from 'node:module'
import { CodioChunkError } from '@codio-chunk/interface'

/**
 * The quinn native binding is not available on this machine (no prebuilt binary for the platform,
 * or it failed to load). Code `ERR_QUINN_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { QuinnUnavailableError, quinnTransport } from '@codio-chunk/transport-quinn'
 * try { quinnTransport() } catch (err) { if (err instanceof QuinnUnavailableError) console.error(err.message) }
 * ```
 */
export class QuinnUnavailableError extends CodioChunkError {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, 'ERR_QUINN_UNAVAILABLE', options)
    this.name = 'QuinnUnavailableError'
  }
}

/**
 * The native quinn binding of `@chainsafe/libp2p-quic` (Rust's quinn, rustls and libp2p-tls,
 * driven by tokio threads), as its N-API classes are declared by the prebuilt binary. Only the
 * members this package uses are listed.
 */
export interface NativeBinding {
  QuinnConfig: new (config: NativeConfig) => NativeQuinnConfig
  Server: new (config: NativeQuinnConfig, ip: string, port: number) => NativeServer
  Client: new (config: NativeQuinnConfig, family: SocketFamily) => NativeClient
}

/** The binding's configuration object (durations in milliseconds, sizes in bytes). */
export interface NativeConfig {
  /** The libp2p identity, protobuf encoded (`PrivateKey { Type: Ed25519, Data: seed ‖ public key }`). */
  privateKeyProto: Uint8Array
  /** Unused by the binding (the idle timeout bounds handshakes); kept for its shape. */
  handshakeTimeout: number
  /** How long a closing server endpoint drains. */
  shutdownTimeout: number
  maxIdleTimeout: number
  keepAliveInterval: number
  /** Bidirectional streams the peer may have open at once. */
  maxConcurrentStreamLimit: number
  /** Flow-control window of one stream. */
  maxStreamData: number
  /** Flow-control window of a connection. */
  maxConnectionData: number
  receiveBufferSize: number
  sendBufferSize: number
}

/** An opaque, immutable configuration (certificate, TLS and transport settings). */
export interface NativeQuinnConfig {
  readonly __brand?: 'QuinnConfig'
}

/** IPv4 = 0, IPv6 = 1: the address family a client endpoint binds (`0.0.0.0:0` or `[::]:0`). */
export type SocketFamily = 0 | 1

/** A listening endpoint (one UDP socket). */
export interface NativeServer {
  /** The bound UDP port. */
  port: () => number
  /** The next connection whose handshake completed; rejects once the endpoint is closed. */
  inboundConnection: () => Promise<NativeConnection>
  /** Closes the endpoint and every connection on it, then unbinds the socket. */
  abort: () => Promise<void>
}

/** A dialling endpoint (one UDP socket). */
export interface NativeClient {
  /** Connects and completes the TLS handshake (the peer's libp2p certificate is verified). */
  outboundConnection: (ip: string, port: number) => Promise<NativeConnection>
  /** Closes the endpoint and every connection on it. */
  abort: () => void
}

/** One QUIC connection. */
export interface NativeConnection {
  /** The next bidirectional stream the peer opened (seen once its first byte arrived). */
  inboundStream: () => Promise<NativeStream>
  /** Opens a bidirectional stream; waits while the peer's stream limit is reached. */
  outboundStream: () => Promise<NativeStream>
  /** Closes the connection at once (unsent stream data is dropped). */
  abort: () => void
  /** `/ip4/<ip>/udp/<port>/quic-v1/p2p/<peer id>`: the peer's address and proven peer id. */
  remoteMultiaddr: () => string
  /** Resolves when the connection is closed, by either side or by a timeout. */
  closed: () => Promise<void>
}

/** One bidirectional stream. Calls on one stream must not overlap (one read and one write at a time). */
export interface NativeStream {
  /** Up to `max` bytes, in a new buffer; null at the end of the stream. */
  read: (max: number) => Promise<Uint8Array | null>
  /** Writes all of `data`. The buffer must stay untouched until the promise settles. */
  write: (data: Uint8Array) => Promise<void>
  /** Ends the sending half (FIN). */
  finishWrite: () => Promise<void>
  /** Abandons the sending half (RESET_STREAM). */
  resetWrite: () => Promise<void>
  /** Asks the peer to stop sending (STOP_SENDING). */
  stopRead: () => Promise<void>
}

/**
 * Prebuilt binding packages by `platform-arch`; these are the ones the registry serves. The Linux
 * one is built for glibc: on musl its loading fails, with the error below.
 */
const PACKAGES: Record<string, string> = {
  'linux-x64': '@chainsafe/libp2p-quic-linux-x64-gnu'
}

let loaded: NativeBinding | undefined

/**
 * Loads the native binding for this platform once. Throws a {@link QuinnUnavailableError}
 * (`ERR_QUINN_UNAVAILABLE`) that says what to do when there is no prebuilt binary for it.
 *
 * @example
 * ```ts
 * import { loadNativeBinding } from '@codio-chunk/transport-quinn'
 * const native = loadNativeBinding()   // throws on a platform without a prebuilt binary
 * ```
 */
export function loadNativeBinding (): NativeBinding {
  if (loaded !== undefined) return loaded
  const key = `${process.platform}-${process.arch}`
  const name = PACKAGES[key]
  if (name === undefined) {
    throw new QuinnUnavailableError(`The quinn transport has no prebuilt native binding for ${key} (it has one for ${Object.keys(PACKAGES).join(', ')}). Use the tcp or quic transport on this machine`)
  }
  try {
    loaded = createRequire(import.meta.url)(name) as NativeBinding
  } catch (err) {
    throw new QuinnUnavailableError(`The quinn transport's native binding ${name} could not be loaded: ${(err as Error)?.message ?? String(err)}. It needs glibc; reinstall dependencies if it is missing (it is an optional dependency, skipped on other platforms)`, { cause: err })
  }
  return loaded
}
