import { tcpTransport } from '@codio-chunk/transport-tcp'
import { quicTransport } from '@codio-chunk/transport-quic'
import { quinnTransport } from '@codio-chunk/transport-quinn'
import type { TransportFactory } from '@codio-chunk/core'

/** A transport the swarm tests run over. */
export interface TransportUnderTest {
  /** Its name in test titles. */
  name: string
  /** The transport factory a node takes (QUIC and quinn prove the node's identity in their TLS handshakes). */
  create: () => TransportFactory
  /** A loopback address with port 0. */
  listenAddress: string
  /**
   * Memory a process running this transport grows by whatever it moves (bytes): buffers and
   * young-generation heap that do not scale with the content size. Memory checks allow it on top
   * of their content-proportional bound.
   */
  workingSet: number
}

export const tcp: TransportUnderTest = {
  name: 'TCP',
  create: () => tcpTransport(),
  listenAddress: 'tcp://127.0.0.1:0',
  workingSet: 0
}

export const quic: TransportUnderTest = {
  name: 'QUIC',
  create: () => quicTransport(),
  listenAddress: 'quic://127.0.0.1:0',
  // Measured: one QUIC connection pair in one process grows RSS by 37, 58 and 69 MB moving 32, 128
  // and 512 MiB (V8's young generation sized up by @matrixai/quic's allocation rate, and quiche's
  // buffers); JavaScript buffers stay under 10 MB. Six connections (three seeders) reach ~85 MB.
  workingSet: 64 * 1024 * 1024
}

export const quinn: TransportUnderTest = {
  name: 'quinn',
  create: () => quinnTransport(),
  listenAddress: 'quinn://127.0.0.1:0',
  // Measured: the 64 MiB download from three peers grows RSS by 38, 45, 51 and 72 MB (runs of the
  // same test): every answer is read out of the binding into new buffers, and quinn's flow-control
  // windows (8 MiB a stream, 32 MiB a connection) and socket buffers live in Rust, outside V8's heap.
  workingSet: 64 * 1024 * 1024
}

/**
 * Every transport the parametrised swarm tests run over, as `[name, transport]` rows:
 * `describe.each(TRANSPORTS)('downloading over %s', (_name, transport) => …)`.
 */
export const TRANSPORTS: Array<[string, TransportUnderTest]> = [[tcp.name, tcp], [quic.name, quic], [quinn.name, quinn]]
