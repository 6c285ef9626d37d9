/** What an announce tells the tracker about this node (BEP 3 `event`; absent = a regular announce). */
export type AnnounceEvent = 'started' | 'completed' | 'stopped'

/** One announce of one info hash, as both the HTTP and the UDP client send it. */
export interface AnnounceRequest {
  /** 20 bytes. */
  readonly infoHash: Uint8Array
  /** 20 bytes. */
  readonly peerId: Uint8Array
  /** The TCP port peers dial. */
  readonly port: number
  /** Bytes still to download: 0 for a seeder (a provider), 1 for a node looking for providers. */
  readonly left: 0 | 1
  readonly event?: AnnounceEvent
  /** Peers wanted back. */
  readonly numWant: number
  /** A random 32-bit number the tracker may use to recognise this node across IP changes. */
  readonly key: number
}

/** A peer as a tracker lists it. */
export interface TrackerPeer {
  /** An IPv4 or IPv6 address (canonical text, no brackets). */
  readonly host: string
  readonly port: number
  /** The peer's 20-byte id, when the tracker sent the dictionary form. */
  readonly peerId?: Uint8Array
}

/** The useful part of a tracker's answer to an announce. */
export interface AnnounceReply {
  /** Seconds until the tracker wants the next announce. */
  readonly interval?: number
  /** Seconds the tracker wants at least between announces. */
  readonly minInterval?: number
  /** At most the caller's limit of peers, in the tracker's order. */
  readonly peers: readonly TrackerPeer[]
  /** A `warning message` the tracker sent beside a successful answer. */
  readonly warning?: string
  /** This node's address as the tracker sees it (BEP 24 `external ip`). */
  readonly externalIp?: string
}

/** What a tracker client does: one announce, bounded in time by `signal`. */
export interface TrackerClient {
  /** The announce URL. */
  readonly href: string
  /** Announces; rejects with a `TrackerError` (or the signal's `AbortError`). */
  announce (request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceReply>
  /** Releases sockets; pending announces reject. */
  close (): void
}
