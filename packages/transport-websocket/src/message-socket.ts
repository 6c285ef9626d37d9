/**
 * The largest WebSocket message a side sends or accepts: 64 KiB. Frames longer than that (chunk
 * answers) travel in several messages, so a receiver never holds more than one message of a frame
 * before the frame decoder has looked at its head and decided whether to give it memory, as over
 * TCP (PROTOCOL.md, section 2).
 */
export const MAX_MESSAGE_BYTES = 64 * 1024

/** What a {@link MessageSocket} reports to its connection. */
export interface SocketEvents {
  /** One binary message (a buffer of its own, never reused by the socket). */
  message(bytes: Uint8Array): void
  /** A text message arrived: nothing in the protocol is text. */
  text(): void
  /** The socket closed, by either side or by failure. */
  close(code: number, reason: string): void
  /** The socket failed (it closes too). */
  error(err: Error): void
}

/**
 * The few things a connection needs of a WebSocket, whichever implementation is under it: `ws` on
 * Node.js, the native `WebSocket` in browsers.
 */
export interface MessageSocket {
  /** Bytes queued for sending and not yet handed to the network. */
  readonly bufferedAmount: number
  /** True if `send`'s `done` callback is called once the bytes have left (Node.js); false where nothing tells (browsers). */
  readonly sendCallbacks: boolean
  /** Sends one binary message. `done` (if `sendCallbacks`) runs once the socket no longer refers to `bytes`. */
  send(bytes: Uint8Array, done?: () => void): void
  /** Starts the closing handshake. */
  close(code: number, reason: string): void
  /** Drops the connection at once (browsers: same as `close`). */
  terminate(): void
  /** Stops reading (Node.js; browsers cannot, and messages are queued instead). */
  pause(): void
  /** Reads again after `pause`. */
  resume(): void
  /** Routes the socket's events to `events`; called once. */
  attach(events: SocketEvents): void
}

/** A close reason within WebSocket's 123-byte limit, cut at a character boundary. */
export function closeReason (text: string): string {
  const bytes = new TextEncoder().encode(text)
  if (bytes.length <= 123) return text
  let end = 120
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--
  return new TextDecoder().decode(bytes.subarray(0, end)) + '…'
}
