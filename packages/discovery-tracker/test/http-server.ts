import http from 'node:http'
import { within } from './helpers.js'
import type { AddressInfo } from 'node:net'

/** What a hand-written tracker saw of one request. */
export interface SeenRequest {
  readonly path: string
  /** Query parameters, values as the raw bytes they percent-encode. */
  readonly params: Map<string, Buffer>
  /** Resolves when the client's connection closed. */
  readonly closed: Promise<void>
}

/** A hand-written HTTP "tracker" on loopback, port 0, answering every request with `handler`. */
export async function startHttpTracker (handler: (req: http.IncomingMessage, res: http.ServerResponse, seen: SeenRequest) => void): Promise<{
  announce: string
  requests: SeenRequest[]
  close: () => Promise<void>
}> {
  const requests: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '').split('?')
    const params = new Map<string, Buffer>()
    for (const pair of query.split('&').filter(p => p !== '')) {
      const [k, v = ''] = pair.split('=')
      params.set(k, Buffer.from(v.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1'))
    }
    const closed = new Promise<void>((resolve) => req.socket.once('close', () => resolve()))
    const seen = { path, params, closed }
    requests.push(seen)
    res.on('error', () => {})
    handler(req, res, seen)
  })
  await within(new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)), 'the http tracker to listen')
  const port = (server.address() as AddressInfo).port
  return {
    announce: `http://127.0.0.1:${port}/announce`,
    requests,
    close: async () => {
      if (!server.listening) return
      server.closeAllConnections()
      await within(new Promise<void>((resolve) => server.close(() => resolve())), 'the http tracker to close')
    }
  }
}
