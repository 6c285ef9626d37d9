import dgram from 'node:dgram'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { quiche } from '@matrixai/quic/native/index.js'
import { ALPN } from '../src/quic-config.js'
import { within } from './helpers.js'

/**
 * Starts a QUIC handshake with a server and abandons it half way: sends the Initial, answers the
 * server's Retry with a second Initial carrying the token (so the server commits state to the
 * connection), then goes silent. What a handshake flood from a real address looks like.
 * Resolves once the second Initial is sent (or once the server stops answering).
 */
export async function abandonHandshake (port: number): Promise<void> {
  const socket = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  try {
    const config = quiche.Config.withBoringSslCtx(false, false, null, null, null, null)
    config.setApplicationProtos([ALPN])
    config.setMaxIdleTimeout(5000)
    const local = { host: '127.0.0.1', port: socket.address().port }
    const remote = { host: '127.0.0.1', port }
    const conn = quiche.Connection.connect(null, randomBytes(quiche.MAX_CONN_ID_LEN), local, remote, config)
    const flush = async (): Promise<void> => {
      const sent: Array<Promise<void>> = []
      for (;;) {
        const out = Buffer.allocUnsafe(1350)
        const result = conn.send(out)
        if (result === null) break
        sent.push(new Promise<void>((resolve) => socket.send(out.subarray(0, result[0]), port, '127.0.0.1', () => resolve())))
      }
      await Promise.all(sent)
    }
    await flush()
    // The server's stateless Retry; a server that drops us (handshake limit reached) never answers.
    const answer = once(socket, 'message') as Promise<[Buffer]>
    let retry: Buffer
    try {
      [retry] = await within(answer, 'the Retry', 200)
    } catch {
      return
    }
    conn.recv(retry, { to: local, from: remote })
    await flush()
  } finally {
    socket.close()
  }
}
