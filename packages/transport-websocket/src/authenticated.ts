import { DialError, PeerIdMismatchError, abortError, throwIfAborted } from '@codio-chunk/interface'
import type { Connection } from '@codio-chunk/interface'
import type { WsConnection } from './ws-connection.js'

/**
 * Waits for a dialled connection's handshake: resolves with it once the peer proved its id; a
 * failed handshake is a `DialError` (`PeerIdMismatchError` for another peer), an abort an
 * `AbortError`. Shared by the Node.js and browser builds.
 */
export async function authenticated (connection: WsConnection, address: string, signal: AbortSignal | undefined): Promise<Connection> {
  const onAbort = (): void => { connection.close() }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await connection.ready
    throwIfAborted(signal, `dial to ${address}`)
    return connection
  } catch (err) {
    connection.close()
    if (signal?.aborted === true) throw abortError(signal, `dial to ${address}`)
    if (err instanceof PeerIdMismatchError || err instanceof DialError) throw err
    throw new DialError(`The WebSocket handshake with ${address} failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
