import type { PeerSession } from './peer-session.js'

/** Statistics of one connected peer, as returned by `peerStats()`. */
export interface PeerStats {
  peerId: string
  address: string
  direction: 'inbound' | 'outbound'
  /** Payload bytes we sent to the peer. */
  bytesSent: number
  /** Payload bytes the peer sent us. */
  bytesReceived: number
  /** Bytes per second we send to the peer, over the last few seconds. */
  uploadRate: number
  /** Bytes per second the peer sends us, over the last few seconds. */
  downloadRate: number
  /**
   * What the peer gave us per byte we gave it: bytesReceived / bytesSent (Infinity if we sent
   * nothing but received something, 0 if neither). While this node downloads, the choker
   * prefers peers at or above `minUploadRatio` for upload slots.
   */
  ratio: number
  /** We are choking the peer (its chunk requests are rejected). */
  choked: boolean
  /** The peer holds our optimistic unchoke slot (the one rotated every `optimisticUnchokeInterval`). */
  optimistic: boolean
  /**
   * The peer snubs us: we have been interested in it and it sent us nothing for `snubTimeout`.
   * It gets no regular upload slot from us while it does, only the optimistic one.
   */
  snubbed: boolean
  /** The peer is choking us. */
  chokedBy: boolean
  /** The peer is interested in at least one of our contents. */
  interested: boolean
  /** We are interested in the peer: it holds chunks we lack. */
  wanted: boolean
  /** Chunks from this peer that failed verification. */
  badChunks: number
  /** Requests to this peer that timed out. */
  timeouts: number
  /** Requests we have in flight to this peer. */
  requestsOut: number
  /** Requests of the peer's we are serving. */
  requestsIn: number
  /** Bytes queued for sending to the peer, not yet taken by the operating system. */
  bytesQueued: number
}

/** What only the upload manager knows about a peer. */
export interface PeerSlotStats {
  optimistic: boolean
  snubbed: boolean
}

/** The statistics of one session. */
export function statsOf (session: PeerSession, slot: PeerSlotStats): PeerStats {
  const sent = session.bytesSent
  const received = session.bytesReceived
  return {
    peerId: session.peerId,
    address: session.connection.remoteAddress,
    direction: session.connection.direction,
    bytesSent: sent,
    bytesReceived: received,
    uploadRate: session.sendRate(),
    downloadRate: session.receiveRate(),
    ratio: sent === 0 ? (received > 0 ? Number.POSITIVE_INFINITY : 0) : received / sent,
    choked: session.amChoking,
    optimistic: slot.optimistic,
    snubbed: slot.snubbed,
    chokedBy: session.peerChoking,
    interested: session.peerInterested,
    wanted: session.interestedInPeer,
    badChunks: session.badChunks,
    timeouts: session.timeouts,
    requestsOut: session.requestsOut,
    requestsIn: session.requestsIn,
    bytesQueued: session.connection.bufferedBytes
  }
}

/** The statistics of every open session. */
export function collectPeerStats (sessions: Iterable<PeerSession>, slotOf: (session: PeerSession) => PeerSlotStats): PeerStats[] {
  const out: PeerStats[] = []
  for (const session of sessions) if (!session.closed) out.push(statsOf(session, slotOf(session)))
  return out
}
