// The transports a benchmark node can run on, by the name used in `--transports`. QUIC and quinn
// are imported only when asked for, so a TCP run does not depend on them.
import { tcpTransport } from '@codio-chunk/transport-tcp'

/** Transport names `--transports` accepts. */
export const TRANSPORTS = ['tcp', 'quic', 'quinn']

/**
 * What a node needs to run on `kind` (`tcp`, `quic` or `quinn`): `{ transports }` to spread into
 * `ChunkDistributor.create`'s init. The node gives the transport its identity (QUIC and quinn
 * prove it in their TLS handshakes).
 */
export async function transportInit (kind) {
  if (kind === 'tcp') return { transports: [tcpTransport()] }
  if (kind === 'quic') {
    const { quicTransport } = await import('@codio-chunk/transport-quic')
    return { transports: [quicTransport()] }
  }
  if (kind === 'quinn') {
    const { quinnTransport } = await import('@codio-chunk/transport-quinn')
    return { transports: [quinnTransport()] }
  }
  throw new Error(`Unknown transport "${kind}"; use one of ${TRANSPORTS.join(', ')}`)
}

/** The loopback address a node of `kind` listens on (port chosen by the system). */
export function listenAddress (kind) {
  return `${kind}://127.0.0.1:0`
}
