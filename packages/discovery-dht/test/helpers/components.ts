import { createHash } from 'node:crypto'
import { ContentId } from '@codio-chunk/interface'
import { createComponents, PeerIdentity } from '@codio-chunk/protocol'
import type { Components, Logger, LoggerFactory } from '@codio-chunk/interface'

/** A logger factory that keeps every line, formatted, for assertions. */
export function captureLogs (): { logger: LoggerFactory, lines: string[] } {
  const lines: string[] = []
  const format = (formatter: string, args: unknown[]): string => {
    let i = 0
    return formatter.replace(/%[sdoOj%]/g, (token) => token === '%%' ? '%' : String(args[i++]))
  }
  const logger: LoggerFactory = () => {
    const log = ((formatter: string, ...args: unknown[]) => { lines.push(format(formatter, args)) }) as Logger
    return Object.assign(log, { error: (formatter: string, ...args: unknown[]) => { lines.push(`error: ${format(formatter, args)}`) }, enabled: true })
  }
  return { logger, lines }
}

/** Components of a node with a fresh identity that listens on `addresses` (a function so tests can change them). */
export function nodeComponents (addresses: (identity: PeerIdentity) => readonly string[], logger?: LoggerFactory): Components & { identity: PeerIdentity } {
  const identity = PeerIdentity.generate()
  const list = addresses(identity)
  return createComponents({ identity, addresses: () => list, logger }) as Components & { identity: PeerIdentity }
}

/** A CIDv1 (raw leaves, SHA-256) of `text`, made without any CID library. */
export function testCid (text: string): ContentId {
  const digest = createHash('sha256').update(text).digest()
  return ContentId.fromBytes(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]))
}
