import { createHmac, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto'
import Logger, { LogLevel } from '@matrixai/logger'
import type { QUICConfig, QUICClientCrypto, QUICServerCrypto } from '@matrixai/quic'
import type { CryptoError } from '@matrixai/quic/native/types.js'
import { checkPeerCertificate, type TlsCredentials } from './certificate.js'

/** ALPN protocol id of codio-chunk over QUIC. */
export const ALPN = 'codio-chunk/1'

/**
 * UDP payload size: 1350 bytes fits the usual 1500-byte Ethernet MTU with IPv6, UDP and
 * tunnel headers to spare (the size quinn and most QUIC stacks default to).
 */
export const DEFAULT_DATAGRAM_SIZE = 1350

/** TLS alert sent when a peer's certificate is refused (`bad_certificate`). */
const BAD_CERTIFICATE = 298 as CryptoError

/** Flow-control and buffering settings of a QUIC connection. */
export interface QuicTuning {
  datagramSize: number
  idleTimeout: number
  /** Bytes one response stream may have in flight before the receiver opens its window further. */
  streamWindow: number
  /** Bytes all streams of a connection may have in flight. */
  connectionWindow: number
  /** Response streams the peer may have open at once. */
  maxStreams: number
}

/** Why a peer's certificate was refused: the reason, and the peer id it proved if it was a mismatch. */
export interface PeerRefusal {
  reason: string
  peerId?: string
}

/** How a connection checks the peer's certificate. */
export interface PeerCheckOptions {
  /** Refuse a peer whose key gives another peer id. */
  expectedPeerId?: string
  /** Told why a peer was refused (the TLS alert itself carries no text). */
  onRefused?: (refusal: PeerRefusal) => void
}

/** Socket buffer size asked for (the kernel caps it at net.core.rmem_max / wmem_max). */
export const SOCKET_BUFFER_SIZE = 4 * 1024 * 1024

/**
 * Enlarges a QUIC socket's UDP buffers: the default (about 208 KiB) overflows while the event loop
 * is busy, and every datagram the kernel drops is a retransmission and a congestion-window cut.
 */
export function tuneSocket (quicSocket: unknown): void {
  const socket = (quicSocket as { socket?: { setRecvBufferSize: (n: number) => void, setSendBufferSize: (n: number) => void } }).socket
  try {
    socket?.setRecvBufferSize(SOCKET_BUFFER_SIZE)
    socket?.setSendBufferSize(SOCKET_BUFFER_SIZE)
  } catch {
    // Not allowed here: keep the defaults.
  }
}

/** A logger that drops everything (the library logs at INFO by default). */
export function silentQuicLogger (): Logger {
  return new Logger('codio-chunk-quic', LogLevel.SILENT)
}

/**
 * The @matrixai/quic configuration codio-chunk uses: mutual TLS with self-signed Ed25519
 * certificates checked by `checkPeerCertificate` (not by certificate authorities), unidirectional
 * streams only, and windows sized for chunk transfers.
 */
export function quicConfig (credentials: TlsCredentials, tuning: QuicTuning, check: PeerCheckOptions = {}): Partial<QUICConfig> & { key: string, cert: string } {
  const { expectedPeerId, onRefused } = check
  return {
    key: credentials.privateKeyPem,
    cert: credentials.certificatePem,
    verifyPeer: true,
    verifyCallback: async (certs: Uint8Array[]) => {
      const result = checkPeerCertificate(certs[0])
      if (!result.ok) {
        onRefused?.({ reason: result.reason })
        return BAD_CERTIFICATE
      }
      if (expectedPeerId !== undefined && result.peerId !== expectedPeerId) {
        onRefused?.({ reason: `it proved peer id ${result.peerId}`, peerId: result.peerId })
        return BAD_CERTIFICATE
      }
      return undefined
    },
    applicationProtos: [ALPN],
    enableEarlyData: false,
    maxIdleTimeout: tuning.idleTimeout,
    keepAliveIntervalTime: Math.max(1, Math.floor(tuning.idleTimeout / 3)),
    maxSendUdpPayloadSize: tuning.datagramSize,
    maxRecvUdpPayloadSize: 65527,
    initialMaxData: tuning.connectionWindow,
    initialMaxStreamDataBidiLocal: 0,
    initialMaxStreamDataBidiRemote: 0,
    initialMaxStreamDataUni: tuning.streamWindow,
    initialMaxStreamsBidi: 0,
    initialMaxStreamsUni: tuning.maxStreams,
    maxConnectionWindow: tuning.connectionWindow,
    maxStreamWindow: tuning.streamWindow,
    readableChunkSize: 64 * 1024
  }
}

/** Random connection ids for dialling. */
export const clientCrypto: QUICClientCrypto = {
  ops: {
    randomBytes: async (data: ArrayBuffer) => { randomFillSync(new Uint8Array(data)) }
  }
}

/** HMAC-SHA256 under a fresh random key, for the server's connection ids and retry tokens. */
export function serverCrypto (): QUICServerCrypto {
  const key = randomBytes(32)
  return {
    key: key.buffer.slice(key.byteOffset, key.byteOffset + key.byteLength),
    ops: {
      sign: async (k: ArrayBuffer, data: ArrayBuffer) => hmac(k, data),
      verify: async (k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer) => {
        const expected = new Uint8Array(hmac(k, data))
        const given = new Uint8Array(sig)
        return given.length === expected.length && timingSafeEqual(given, expected)
      }
    }
  }
}

function hmac (key: ArrayBuffer, data: ArrayBuffer): ArrayBuffer {
  const digest = createHmac('sha256', Buffer.from(key)).update(Buffer.from(data)).digest()
  return digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.byteLength)
}
