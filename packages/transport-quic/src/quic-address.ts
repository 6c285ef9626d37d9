import { socketAddress } from '@codio-chunk/protocol'

/** Formats a socket endpoint as a `quic://` address (IPv6 in brackets), naming `peerId` if given. */
export function quicAddress (host: string | undefined, port: number | undefined, peerId?: string): string {
  return socketAddress('quic', host, port, peerId)
}
