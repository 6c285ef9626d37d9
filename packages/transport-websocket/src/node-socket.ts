import type { WebSocket } from 'ws'
import type { MessageSocket, SocketEvents } from './message-socket.js'

/**
 * A {@link MessageSocket} over a `ws` WebSocket (Node.js): send callbacks tell when bytes have
 * left, and reading can be paused.
 */
export function nodeSocket (ws: WebSocket): MessageSocket {
  return {
    get bufferedAmount (): number {
      return ws.bufferedAmount
    },
    sendCallbacks: true,
    send (bytes: Uint8Array, done?: () => void): void {
      if (done === undefined) ws.send(bytes, { binary: true })
      else ws.send(bytes, { binary: true }, () => { done() })
    },
    close (code: number, reason: string): void {
      ws.close(code, reason)
    },
    terminate (): void {
      ws.terminate()
    },
    pause (): void {
      ws.pause()
    },
    resume (): void {
      ws.resume()
    },
    attach (events: SocketEvents): void {
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        if (!isBinary) {
          events.text()
          return
        }
        events.message(data instanceof ArrayBuffer ? new Uint8Array(data) : Array.isArray(data) ? Buffer.concat(data) : data)
      })
      ws.on('close', (code: number, reason: Buffer) => { events.close(code, reason.toString('utf8')) })
      ws.on('error', (err: Error) => { events.error(err) })
    }
  }
}
