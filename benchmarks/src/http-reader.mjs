// An HTTP client for the gateway benchmark on node:http (no pooling: one connection per request),
// which counts a response's bytes and drops them, so 1 GiB is read without holding it.
import { request } from 'node:http'

/**
 * GETs `url` and reads the body (or, with `firstByteOnly`, its first piece, then closes the
 * connection). Resolves with `{ status, headersMs, firstByteMs, seconds, bytes }` (times from the
 * request); rejects on a network error or after `timeoutMs`.
 *
 * @example
 * const { status, firstByteMs } = await readHttp(`${url}/ipfs/${cid}`, { range: 'bytes=0-', firstByteOnly: true })
 */
export async function readHttp (url, { range, firstByteOnly = false, timeoutMs = 300_000 } = {}) {
  const started = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: range === undefined ? {} : { range } })
    const timer = setTimeout(() => { req.destroy(new Error(`no complete answer from ${url} within ${timeoutMs / 1000} s`)) }, timeoutMs)
    const done = (err, value) => {
      clearTimeout(timer)
      if (err !== undefined) reject(err)
      else resolve(value)
    }
    req.on('error', (err) => done(err))
    req.on('response', (res) => {
      const headersMs = performance.now() - started
      let firstByteMs
      let bytes = 0
      const result = () => ({ status: res.statusCode, headersMs, firstByteMs, seconds: (performance.now() - started) / 1000, bytes })
      res.on('data', (piece) => {
        firstByteMs ??= performance.now() - started
        bytes += piece.length
        if (firstByteOnly) {
          done(undefined, result())
          req.destroy()
        }
      })
      res.on('end', () => done(undefined, result()))
      res.on('error', (err) => done(err))
      res.on('aborted', () => { if (!firstByteOnly) done(new Error(`${url}: the answer was cut off after ${bytes} bytes`)) })
    })
    req.end()
  })
}
