import dgram from 'node:dgram'
import { lookup } from 'node:dns/promises'
import { randomInt } from 'node:crypto'
import { abortError } from '@codio-chunk/interface'
import { TrackerError, TrackerFailureError, TrackerTimeoutError } from './errors.js'
import { reason } from './http-reply.js'
import { COMPACT_IPV4, COMPACT_IPV6, readCompactPeers } from './peers.js'
import { announcePacket, connectPacket, readUdpReply } from './udp-packets.js'
import type { AnnounceReply, AnnounceRequest, TrackerClient, TrackerPeer } from './announce.js'
import type { TrackerUrl } from './options.js'
import type { UdpReply } from './udp-packets.js'
import type { Logger } from '@codio-chunk/interface'

/** First retransmission after this many ms, then twice as long each time, until the request's timeout. */
export const UDP_RETRANSMIT_MS = 1000
/**
 * How long a connection id is used (BEP 15 allows one minute after it arrived; the margin covers
 * a slow network and a tracker whose clock runs fast).
 */
export const CONNECTION_ID_TTL_MS = 50_000

interface Pending {
  readonly expect: 'connect' | 'announce'
  readonly settle: (err: Error | undefined, reply?: UdpReply) => void
}

interface OpenSocket {
  readonly socket: dgram.Socket
  readonly entrySize: typeof COMPACT_IPV4 | typeof COMPACT_IPV6
}

/**
 * Announces to a UDP tracker (BEP 15): a connect exchange (its connection id kept for
 * {@link CONNECTION_ID_TTL_MS}), then an announce exchange, each retransmitted after 1, 2, 4…
 * seconds until the timeout. One connected socket per tracker, so only the tracker's address can
 * answer; packets with an unknown transaction id, an unexpected action or too short for their
 * action are logged and ignored (a valid answer may still come).
 */
export class UdpTrackerClient implements TrackerClient {
  readonly href: string
  private opening: Promise<OpenSocket> | undefined
  private readonly pending = new Map<number, Pending>()
  private connection: { id: Uint8Array, expires: number } | undefined

  constructor (private readonly tracker: TrackerUrl, private readonly timeout: number, private readonly maxPeers: number, private readonly log: Logger) {
    this.href = tracker.href
  }

  async announce (request: AnnounceRequest, signal: AbortSignal): Promise<AnnounceReply> {
    const deadline = withDeadline(signal, this.timeout, this.href)
    try {
      const open = await raceSignal(this.open(), deadline.signal)
      const connectionId = await this.connectionId(open, deadline.signal)
      let reply: UdpReply
      try {
        reply = await this.exchange(open, (id) => announcePacket(connectionId, id, request), 'announce', deadline.signal)
      } catch (err) {
        this.connection = undefined // the id may be what the tracker refused
        throw err
      }
      if (reply.action !== 'announce') throw new Error('unreachable')
      const peers: TrackerPeer[] = []
      if (reply.peers.length % open.entrySize !== 0) this.log('udp tracker %s: %d bytes after the last whole peer ignored', this.href, reply.peers.length % open.entrySize)
      readCompactPeers(reply.peers, open.entrySize, this.maxPeers, peers)
      return { interval: reply.interval > 0 ? reply.interval : undefined, peers }
    } finally {
      deadline.clear()
    }
  }

  close (): void {
    const opening = this.opening
    this.opening = undefined
    this.connection = undefined
    for (const pending of [...this.pending.values()]) pending.settle(new TrackerError(this.href, 'The tracker discovery stopped'))
    this.pending.clear()
    opening?.then(({ socket }) => { socket.close() }, () => {})
  }

  private async connectionId (open: OpenSocket, signal: AbortSignal): Promise<Uint8Array> {
    const cached = this.connection
    if (cached !== undefined && cached.expires > Date.now()) return cached.id
    const reply = await this.exchange(open, connectPacket, 'connect', signal)
    if (reply.action !== 'connect') throw new Error('unreachable')
    this.connection = { id: reply.connectionId, expires: Date.now() + CONNECTION_ID_TTL_MS }
    return reply.connectionId
  }

  /** Sends `build(transactionId)` until an answer with that id and action arrives or `signal` fires. */
  private async exchange (open: OpenSocket, build: (transactionId: number) => Uint8Array, expect: Pending['expect'], signal: AbortSignal): Promise<UdpReply> {
    let transactionId: number
    do transactionId = randomInt(0, 2 ** 32 - 1); while (this.pending.has(transactionId))
    const id = transactionId
    const packet = build(id)
    return await new Promise<UdpReply>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      let wait = UDP_RETRANSMIT_MS
      const settle = (err: Error | undefined, reply?: UdpReply): void => {
        if (this.pending.get(id)?.settle !== settle) return
        this.pending.delete(id)
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
        if (err === undefined) resolve(reply as UdpReply)
        else reject(err)
      }
      const send = (): void => {
        open.socket.send(packet, (err) => {
          if (err !== null && err !== undefined) settle(new TrackerError(this.href, `Could not send to the tracker ${this.href}: ${err.message}`, { cause: err }))
        })
        timer = setTimeout(send, wait)
        wait *= 2
      }
      const onAbort = (): void => settle(signal.reason as Error)
      if (signal.aborted) {
        reject(signal.reason as Error)
        return
      }
      this.pending.set(id, { expect, settle })
      signal.addEventListener('abort', onAbort, { once: true })
      send()
    })
  }

  private async open (): Promise<OpenSocket> {
    this.opening ??= this.createSocket()
    const opening = this.opening
    try {
      return await opening
    } catch (err) {
      if (this.opening === opening) this.opening = undefined
      throw err
    }
  }

  private async createSocket (): Promise<OpenSocket> {
    let address: { address: string, family: number }
    try {
      address = await lookup(this.tracker.host)
    } catch (err) {
      throw new TrackerError(this.href, `Could not resolve the tracker host ${this.tracker.host}: ${(err as Error).message}`, { cause: err })
    }
    const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4')
    socket.unref()
    socket.on('message', (packet: Buffer) => this.onPacket(packet))
    const opened = { socket, entrySize: address.family === 6 ? COMPACT_IPV6 : COMPACT_IPV4 } as const
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.connect(this.tracker.port, address.address, () => {
        socket.off('error', reject)
        resolve()
      })
    }).catch((err: Error) => {
      socket.close()
      throw new TrackerError(this.href, `Could not open a UDP socket to the tracker ${this.href}: ${err.message}`, { cause: err })
    })
    socket.on('error', (err) => this.onSocketError(opened, err))
    return opened
  }

  private onPacket (packet: Uint8Array): void {
    const reply = readUdpReply(packet)
    if (typeof reply === 'string') {
      this.log('udp tracker %s sent %s; ignored', this.href, reply)
      return
    }
    const pending = this.pending.get(reply.transactionId)
    if (pending === undefined) {
      this.log('udp tracker %s answered unknown transaction %d; ignored', this.href, reply.transactionId)
      return
    }
    if (reply.action === 'error') pending.settle(new TrackerFailureError(this.href, reason(reply.message)))
    else if (reply.action === pending.expect) pending.settle(undefined, reply)
    else this.log('udp tracker %s answered a %s request with a %s answer; ignored', this.href, pending.expect, reply.action)
  }

  /** A socket error (an ICMP port unreachable, say) fails what waits on that socket; the next announce opens a new one. */
  private onSocketError (opened: OpenSocket, err: Error): void {
    this.log('udp tracker %s: socket error %s', this.href, err.message)
    void this.opening?.then((current) => {
      if (current !== opened) return
      this.opening = undefined
      this.connection = undefined
      for (const pending of [...this.pending.values()]) pending.settle(new TrackerError(this.href, `The tracker ${this.href} cannot be reached: ${err.message}`, { cause: err }))
      opened.socket.close()
    }, () => {})
  }
}

/** A signal that fires when `parent` does (reason: an AbortError) or after `timeout` ms (reason: a TrackerTimeoutError). */
export function withDeadline (parent: AbortSignal, timeout: number, tracker: string): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(abortError(parent, 'tracker announce'))
  const timer = setTimeout(() => controller.abort(new TrackerTimeoutError(tracker, timeout)), timeout)
  if (parent.aborted) onAbort()
  else parent.addEventListener('abort', onAbort, { once: true })
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      parent.removeEventListener('abort', onAbort)
    }
  }
}

/** `promise`, or the signal's reason as soon as it fires. */
async function raceSignal<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw signal.reason
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
