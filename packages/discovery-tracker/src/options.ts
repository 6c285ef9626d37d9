import { InvalidConfigError } from '@codio-chunk/interface'
import { InvalidTrackerUrlError } from './errors.js'

/** Options of `trackerDiscovery()`. Only `announce` is required. */
export interface TrackerDiscoveryInit {
  /**
   * The trackers' announce URLs: `http://host:port/announce`, `https://host/announce` (BEP 3) or
   * `udp://host:port` (BEP 15). At least one, at most {@link MAX_TRACKERS}.
   */
  announce: readonly string[]
  /** Milliseconds one request to one tracker may take (connect, send, answer). Default 10 000. */
  timeout?: number
  /** Peers asked of each tracker per lookup (`numwant`), 1..{@link MAX_PEERS_PER_LOOKUP}. Default 50. */
  numWant?: number
  /**
   * The port announced to trackers, when peers must dial another port than the node listens on
   * (port forwarding, NAT). Default: the port of the node's first `tcp://` listen address.
   */
  port?: number
  /** Milliseconds `stop()` spends telling trackers this node leaves (`stopped`). Default 2000. */
  stopTimeout?: number
}

/** Most trackers one discovery announces to. */
export const MAX_TRACKERS = 32
/** Most provider records one `findProviders` yields, over all trackers; more are dropped. */
export const MAX_PEERS_PER_LOOKUP = 200
/** Largest HTTP tracker answer read (body); a longer one is aborted. */
export const MAX_RESPONSE_BYTES = 1024 * 1024
/** Default `timeout`: 10 s per tracker request. */
export const DEFAULT_TRACKER_TIMEOUT = 10_000
/** Default `numWant`. */
export const DEFAULT_NUM_WANT = 50
/** Default `stopTimeout`. */
export const DEFAULT_STOP_TIMEOUT = 2000
/** The reprovide interval before any tracker has told its own: 15 minutes. */
export const DEFAULT_REPROVIDE_INTERVAL = 15 * 60_000
/** A tracker's `interval` is raised to at least this (1 minute), so a tracker cannot make the node announce in a loop. */
export const MIN_REPROVIDE_INTERVAL = 60_000
/** A tracker's `interval` is lowered to at most this (1 hour), so an announcement is refreshed at least hourly. */
export const MAX_REPROVIDE_INTERVAL = 60 * 60_000
/** Longest accepted announce URL. */
const MAX_URL_LENGTH = 2048
/** Longest `timeout` / `stopTimeout`: 5 minutes. */
const MAX_TIMEOUT = 5 * 60_000

/** A checked announce URL. */
export interface TrackerUrl {
  /** The URL as given (for logs and errors). */
  readonly href: string
  readonly protocol: 'http' | 'https' | 'udp'
  /** Host name or IP address (IPv6 without brackets). */
  readonly host: string
  readonly port: number
  /** For HTTP: the URL to which the announce parameters are appended. */
  readonly url: URL
}

/** The checked options. */
export interface TrackerSettings {
  readonly trackers: readonly TrackerUrl[]
  readonly timeout: number
  readonly numWant: number
  readonly port: number | undefined
  readonly stopTimeout: number
}

const FORMS = 'http://host:port/announce, https://host/announce or udp://host:port'

/** Checks `init`; throws `InvalidConfigError` (`InvalidTrackerUrlError` for an announce URL). */
export function checkInit (init: TrackerDiscoveryInit): TrackerSettings {
  if (init === null || typeof init !== 'object') throw new InvalidConfigError(`trackerDiscovery() takes an options object with announce URLs (${FORMS})`)
  const announce = init.announce
  if (!Array.isArray(announce) || announce.length === 0) {
    throw new InvalidConfigError(`trackerDiscovery() needs at least one announce URL in announce, e.g. ['udp://tracker.example:6969'] (${FORMS})`)
  }
  if (announce.length > MAX_TRACKERS) throw new InvalidConfigError(`trackerDiscovery() takes at most ${MAX_TRACKERS} announce URLs, got ${announce.length}`)
  const trackers: TrackerUrl[] = []
  for (const href of announce) {
    const tracker = parseTrackerUrl(href)
    if (!trackers.some(t => t.href === tracker.href)) trackers.push(tracker)
  }
  return {
    trackers,
    timeout: checkInteger(init.timeout ?? DEFAULT_TRACKER_TIMEOUT, 'timeout', 1, MAX_TIMEOUT),
    numWant: checkInteger(init.numWant ?? DEFAULT_NUM_WANT, 'numWant', 1, MAX_PEERS_PER_LOOKUP),
    port: init.port === undefined ? undefined : checkInteger(init.port, 'port', 1, 65535),
    stopTimeout: checkInteger(init.stopTimeout ?? DEFAULT_STOP_TIMEOUT, 'stopTimeout', 1, MAX_TIMEOUT)
  }
}

/**
 * Checks one announce URL. Throws `InvalidTrackerUrlError` saying what is wrong and which forms
 * are accepted.
 */
export function parseTrackerUrl (href: unknown): TrackerUrl {
  if (typeof href !== 'string') throw invalid(String(href), 'it is not a string')
  const shown = href.length > 100 ? `${href.slice(0, 100)}…` : href
  if (href.length > MAX_URL_LENGTH) throw invalid(shown, `it is longer than ${MAX_URL_LENGTH} characters`)
  let url: URL
  try {
    url = new URL(href)
  } catch (err) {
    throw invalid(shown, 'it is not a URL', err)
  }
  const protocol = url.protocol.slice(0, -1)
  if (protocol === 'ws' || protocol === 'wss') throw invalid(shown, 'WebSocket (WebTorrent) trackers are not supported')
  if (protocol !== 'http' && protocol !== 'https' && protocol !== 'udp') throw invalid(shown, `"${protocol}:" is not a tracker protocol`)
  if (url.hostname === '') throw invalid(shown, 'it names no host')
  if (url.username !== '' || url.password !== '') throw invalid(shown, 'it carries credentials; put a passkey in the path or query instead')
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  if (url.port === '0') throw invalid(shown, 'port 0 is not a tracker\'s port')
  if (protocol === 'udp') {
    if (url.port === '') throw invalid(shown, 'a UDP tracker needs a port (udp://host:port)')
    return { href, protocol, host, port: Number(url.port), url }
  }
  if (url.pathname === '/' || url.pathname === '') throw invalid(shown, 'an HTTP tracker URL names its announce path (…/announce)')
  url.hash = ''
  const port = url.port !== '' ? Number(url.port) : protocol === 'https' ? 443 : 80
  return { href, protocol, host, port, url }
}

function invalid (href: string, why: string, cause?: unknown): InvalidTrackerUrlError {
  return new InvalidTrackerUrlError(`Invalid tracker announce URL "${href}": ${why}. Expected ${FORMS}`, { cause })
}

function checkInteger (value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(`trackerDiscovery() option ${name} must be a whole number from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}
