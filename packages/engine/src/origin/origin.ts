import { InvalidConfigError } from '@codio-chunk/interface'

/** Contents an origin is remembered to lack, at most (the oldest is forgotten first). */
const MAX_MISSING = 256
/** Failures in a row after which an origin no longer counts as able to supply (it is still tried after its back-off). */
export const MAX_FAILURE_STREAK = 6
/** Longest back-off after failures, in milliseconds. */
const MAX_BACKOFF = 60_000

/** One origin's figures, as `ChunkDistributor.originStats()` reports them. */
export interface OriginStat {
  /** The origin's base URL. */
  url: string
  /** Block requests sent (each redirect chain counts once). */
  requests: number
  /** Requests that failed: HTTP errors, timeouts, unreachable, misbehaviour. */
  failures: number
  /** Manifest blocks it supplied (verified). */
  blocks: number
  /** Chunks it supplied (verified and stored). */
  chunks: number
  /** Bytes of those blocks and chunks. */
  bytes: number
  /** Requests in flight now. */
  inflight: number
  /** Why it was banned, or null while it is in use. */
  banned: string | null
}

/**
 * One origin (a trustless gateway) and what the node knows of it: requests in flight, back-off
 * after failures, contents it answered 404 for, a ban for misbehaviour, and its figures. A chunk
 * source like a peer session: chunks it supplied carry it through verification, so a bad one is
 * blamed on it.
 */
export class Origin {
  inflight = 0
  requests = 0
  failures = 0
  blocks = 0
  chunks = 0
  bytes = 0
  /** Set once it misbehaved: the reason. Never cleared. */
  banned?: string
  /** Not asked again before this time (clock milliseconds). */
  retryAt = 0
  /** Failures in a row (0 after a success). */
  streak = 0
  private readonly missing = new Map<string, number>()

  constructor (readonly url: string) {}

  /** False while banned, backing off, or known to lack `content`. */
  mayAsk (content: string, now: number): boolean {
    return this.banned === undefined && now >= this.retryAt && !this.lacks(content, now)
  }

  /** True while it is remembered to lack `content` (it answered 404 recently). */
  lacks (content: string, now: number): boolean {
    const until = this.missing.get(content)
    if (until === undefined) return false
    if (now < until) return true
    this.missing.delete(content)
    return false
  }

  /** It answered 404 for a block of `content`: not asked for that content again until `until`. */
  markMissing (content: string, until: number): void {
    this.missing.delete(content)
    this.missing.set(content, until)
    if (this.missing.size > MAX_MISSING) this.missing.delete(this.missing.keys().next().value as string)
  }

  /** A failure: backs off for `retryAfter` if it said, else 1 s doubling with every failure in a row up to a minute. */
  failed (now: number, retryAfter?: number): void {
    this.failures++
    this.streak++
    this.retryAt = now + (retryAfter ?? Math.min(MAX_BACKOFF, 1000 * 2 ** Math.min(this.streak - 1, 16)))
  }

  succeeded (): void {
    this.streak = 0
  }

  stat (): OriginStat {
    return { url: this.url, requests: this.requests, failures: this.failures, blocks: this.blocks, chunks: this.chunks, bytes: this.bytes, inflight: this.inflight, banned: this.banned ?? null }
  }
}

/**
 * Checks origin URLs and returns them as base URLs without a trailing slash: http or https,
 * no credentials, no query or fragment (the node appends `/ipfs/{cid}?format=raw`). Duplicates
 * are dropped. Throws InvalidConfigError naming the bad one.
 *
 * @example
 * ```ts
 * parseOrigins(['https://trustless-gateway.link/', 'http://10.0.0.5:8080']) // ['https://trustless-gateway.link', 'http://10.0.0.5:8080']
 * parseOrigins(['ftp://example.com'])                                       // throws InvalidConfigError
 * ```
 */
export function parseOrigins (urls: readonly string[]): string[] {
  if (!Array.isArray(urls)) throw new InvalidConfigError('origins must be an array of URLs such as https://trustless-gateway.link')
  const out: string[] = []
  for (const text of urls) {
    if (typeof text !== 'string') throw new InvalidConfigError(`origins takes URLs, got ${typeof text}`)
    let url: URL
    try {
      url = new URL(text)
    } catch {
      throw new InvalidConfigError(`origin "${text.slice(0, 100)}" is not a URL; give a trustless gateway such as https://trustless-gateway.link or http://127.0.0.1:8080`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidConfigError(`origin "${text.slice(0, 100)}" must be an http:// or https:// URL`)
    if (url.username !== '' || url.password !== '') throw new InvalidConfigError(`origin "${url.host}" must not carry credentials in its URL`)
    if (url.search !== '' || url.hash !== '') throw new InvalidConfigError(`origin "${text.slice(0, 100)}" must not have a query or fragment: the node appends /ipfs/{cid}?format=raw`)
    const base = url.href.replace(/\/+$/, '')
    if (!out.includes(base)) out.push(base)
  }
  return out
}
