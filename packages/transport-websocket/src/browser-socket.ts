import type { MessageSocket, SocketEvents } from './message-socket.js'

/**
 * The parts of the browser's `WebSocket` this package uses, typed here because the project
 * compiles without the DOM library.
 */
export interface NativeWebSocket {
  binaryType: string
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: NativeWebSocketEvent) => void): void
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: NativeWebSocketEvent) => void): void
}

/** The fields of the events a {@link NativeWebSocket} fires that this package reads. */
export interface NativeWebSocketEvent {
  data?: unknown
  code?: number
  reason?: string
}

/** The constructor of {@link NativeWebSocket} (`globalThis.WebSocket` in browsers, Deno, Bun and Node.js 22+). */
export type NativeWebSocketConstructor = new (url: string) => NativeWebSocket

/** The runtime's WebSocket constructor, or undefined. */
export function nativeWebSocket (): NativeWebSocketConstructor | undefined {
  const ctor = (globalThis as unknown as { WebSocket?: NativeWebSocketConstructor }).WebSocket
  return typeof ctor === 'function' ? ctor : undefined
}

/**
 * A {@link MessageSocket} over a native WebSocket: no send callbacks (`bufferedAmount` is polled)
 * and no pausing (messages that arrive before `start()` are queued by the connection).
 */
export function browserSocket (ws: NativeWebSocket): MessageSocket {
  ws.binaryType = 'arraybuffer'
  return {
    get bufferedAmount (): number {
      return ws.bufferedAmount
    },
    sendCallbacks: false,
    send (bytes: Uint8Array): void {
      ws.send(bytes)
    },
    close (code: number, reason: string): void {
      ws.close(code, reason)
    },
    terminate (): void {
      ws.close()
    },
    pause (): void {},
    resume (): void {},
    attach (events: SocketEvents): void {
      ws.addEventListener('message', (event) => {
        const data = event.data
        if (data instanceof ArrayBuffer) events.message(new Uint8Array(data))
        else events.text()
      })
      ws.addEventListener('close', (event) => { events.close(event.code ?? 1006, event.reason ?? '') })
      ws.addEventListener('error', () => { events.error(new Error('WebSocket error')) })
    }
  }
}
