// The browser build: dials with the native WebSocket; imports neither `ws` nor Node.js built-ins.
export { webSocketTransport } from './browser-transport.js'
export type { BrowserWebSocketTransportInit } from './browser-transport.js'
export type { NativeWebSocket, NativeWebSocketConstructor, NativeWebSocketEvent } from './browser-socket.js'
export { parseWebSocketAddress, WEBSOCKET_SCHEMES } from './options.js'
export type { WebSocketEndpoint, WebSocketTransportInit } from './options.js'
export { MAX_MESSAGE_BYTES } from './message-socket.js'
export { AuthHandshake, CHALLENGE_BYTES, CHALLENGE_MAGIC, CloseCode, HANDSHAKE_VERSION, HandshakeError, NONCE_BYTES, PROOF_BYTES, SIGNING_CONTEXT, signedMessage } from './handshake.js'
export type { HandshakeRole, HandshakeStep } from './handshake.js'
