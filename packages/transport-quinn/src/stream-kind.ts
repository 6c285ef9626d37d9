/**
 * The first byte of every stream names what it carries. A stream is only seen by the peer once
 * its first byte arrives, so the dialler opens its control stream by writing this byte.
 */
export const StreamKind = {
  /** The control stream: opened by the dialler; both directions carry frames in order. */
  control: 0x01,
  /** A response stream: opened by the side answering a request; carries one `data` or `reject` frame. */
  response: 0x02
} as const

/** The listener's first byte on the control stream: it took the connection (a closed listener drops it instead). */
export const ACCEPTED = 0x01
