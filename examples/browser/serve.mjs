// A static file server for the built page, on loopback by default (node:http, no dependencies).
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json', '.css': 'text/css', '.json': 'application/json' }

/** Serves the files of `dir` on `http://host:port/` (port 0: any free one). Resolves with the URL and `close()`. */
export async function serveStatic (dir, { host = '127.0.0.1', port = 0 } = {}) {
  const root = normalize(dir + sep)
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path))
    if (!file.startsWith(root) || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404).end()
      return
    }
    try {
      const body = await readFile(file)
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' })
      response.end(request.method === 'HEAD' ? undefined : body)
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  })
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve) })
  const bound = server.address()
  const hostPart = bound.address.includes(':') ? `[${bound.address}]` : bound.address
  return {
    url: `http://${hostPart}:${bound.port}/`,
    close: async () => { server.closeAllConnections(); await new Promise(resolve => server.close(resolve)) }
  }
}

/** The page's URL for a content and its providers; `auto` starts the download at once. */
export function pageUrl (base, { cid, peers, auto = true, downloadLimit, db } = {}) {
  const params = new URLSearchParams()
  if (cid !== undefined) params.set('cid', String(cid))
  if (peers !== undefined) params.set('peers', peers.join(','))
  if (auto) params.set('auto', '1')
  if (downloadLimit !== undefined) params.set('downloadLimit', String(downloadLimit))
  if (db !== undefined) params.set('db', db)
  return `${base}?${params}`
}
