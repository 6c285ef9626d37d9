// The transports a benchmark node can run on, by the name used in `--transports`. QUIC and quinn
// are imported only when asked for, so a TCP run does not depend on them.
import { PeerIdentity } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'

/** Transport names `--transports` accepts. */
export const TRANSPORTS = ['tcp', 'quic', 'quinn']

/**
 * What a node needs to run on `kind` (`tcp`, `quic` or `quinn`): `{ transports, identity }` to spread into
 * `ChunkDistributor.create`'s init. QUIC and quinn prove the peer id in their TLS handshake, so the
 * transport and the node share one key pair.
 */
export async function transportInit (kind) {
  const identity = PeerIdentity.generate()
  if (kind === 'tcp') return { transports: [tcpTransport()], identity }
  if (kind === 'quic') {
    const { quicTransport } = await import('@codio-chunk/transport-quic')
    return { transports: [quicTransport({ privateKey: identity })], identity }
  }
  if (kind === 'quinn') {
    const { quinnTransport } = await import('@codio-chunk/transport-quinn')
    return { transports: [quinnTransport({ privateKey: identity })], identity }
  }
  throw new Error(`Unknown transport "${kind}"; use one of ${TRANSPORTS.join(', ')}`)
}

/** The loopback address a node of `kind` listens on (port chosen by the system). */
export function listenAddress (kind) {
  return `${kind}://127.0.0.1:0`
}
