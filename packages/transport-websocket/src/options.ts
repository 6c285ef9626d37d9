import { InvalidAddressError } from '@codio-chunk/interface'
import { checkPositiveInteger, expectedPeerId, parseAddress } from '@codio-chunk/protocol'

/** Options of `webSocketTransport`, in Node.js and in browsers. */
export interface WebSocketTransportInit {
  /** Bytes a connection may queue for sending before `drain()` waits. Default 1 MiB. */
  highWaterMark?: number
  /** Milliseconds the authentication handshake (after the WebSocket opened) may take. Default 5000. */
  handshakeTimeout?: number
  /**
   * Milliseconds a peer may stop sending in the middle of a frame before the connection is closed
   * (a half-sent frame holds its buffer). Default 30 000.
   */
  frameTimeout?: number
  /** Milliseconds a closing connection waits for the peer's close before dropping the socket. Default 2000. */
  closeTimeout?: number
}

/** The settings every connection uses, validated. */
export type WebSocketSettings = Required<WebSocketTransportInit>

/** Validates the options shared by both builds, with their defaults. */
export function webSocketSettings (init: WebSocketTransportInit): WebSocketSettings {
  return {
    highWaterMark: checkPositiveInteger(init.highWaterMark ?? 1024 * 1024, 'highWaterMark'),
    handshakeTimeout: checkPositiveInteger(init.handshakeTimeout ?? 5000, 'handshakeTimeout'),
    frameTimeout: checkPositiveInteger(init.frameTimeout ?? 30_000, 'frameTimeout'),
    closeTimeout: checkPositiveInteger(init.closeTimeout ?? 2000, 'closeTimeout')
  }
}

/** The schemes this transport handles. */
export const WEBSOCKET_SCHEMES = ['ws', 'wss'] as const

/** A parsed `ws://` or `wss://` address. */
export interface WebSocketEndpoint {
  scheme: 'ws' | 'wss'
  host: string
  port: number
  /** The peer id the address names (`/p2p/<id>`), if any. */
  peerId?: string
}

/**
 * Parses a `ws://host:port[/p2p/<peer id>]` or `wss://…` address, refusing other schemes with an
 * `InvalidAddressError`.
 *
 * @example
 * ```ts
 * parseWebSocketAddress('ws://127.0.0.1:4003') // { scheme: 'ws', host: '127.0.0.1', port: 4003 }
 * ```
 */
export function parseWebSocketAddress (address: string): WebSocketEndpoint {
  const parsed = parseAddress(address)
  if (parsed.scheme !== 'ws' && parsed.scheme !== 'wss') {
    throw new InvalidAddressError(`The WebSocket transport cannot use "${address}": it handles ws:// and wss:// addresses only, e.g. ws://127.0.0.1:4003 or wss://example.com:443`)
  }
  const { host, port, peerId } = parsed
  return peerId === undefined ? { scheme: parsed.scheme, host, port } : { scheme: parsed.scheme, host, port, peerId }
}

/** The URL a WebSocket client opens for an endpoint: `ws://host:port/` (IPv6 in brackets). */
export function webSocketUrl (endpoint: WebSocketEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host
  return `${endpoint.scheme}://${host}:${endpoint.port}/`
}

/** What a dial starts with: the endpoint and the peer id it expects (address or options). */
export function dialTarget (address: string, givenPeerId: string | undefined): { endpoint: WebSocketEndpoint, expected?: string } {
  const endpoint = parseWebSocketAddress(address)
  const expected = expectedPeerId(address, endpoint.peerId, givenPeerId)
  return expected === undefined ? { endpoint } : { endpoint, expected }
}
