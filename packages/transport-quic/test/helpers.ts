import { createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { bitString, explicit, oid, sequence, smallInteger, time, tlv, unsignedInteger, utf8String, Tag } from '../src/der.js'
import { createComponents } from '@codio-chunk/protocol'
import { quicTransport } from '../src/index.js'
import type { Connection, ConnectionHandler, Identity, Listener, WireMessage } from '@codio-chunk/interface'
import type { QuicTransport, QuicTransportInit } from '../src/index.js'

export const WAIT = 10_000

/** A QUIC transport of a node of its own: `identity` (default: a new one) and a frame limit. */
export function quicNode (init: QuicTransportInit = {}, identity?: Identity, maxFrameSize?: number): QuicTransport {
  return quicTransport(init)(createComponents({ identity, maxFrameSize }))
}

/** Resolves with `promise`, or rejects after `ms` naming what it waited for. */
export async function within<T> (promise: Promise<T>, what: string, ms = WAIT): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** What `promise` rejects with (fails if it resolves). */
export async function rejection (promise: Promise<unknown>, what: string): Promise<Error> {
  return await within(promise.then(() => { throw new Error(`${what} should have failed`) }, (err: Error) => err), what)
}

/** Polls `condition` every few milliseconds until it holds (bounded by `ms`). */
export async function until (condition: () => boolean, what: string, ms = WAIT): Promise<void> {
  await within(new Promise<void>((resolve) => {
    const check = (): void => {
      if (condition()) resolve()
      else setTimeout(check, 5)
    }
    check()
  }), what, ms)
}

/** A handler recording messages and the close. */
export class Inbox implements ConnectionHandler {
  readonly messages: WireMessage[] = []
  closeError: Error | undefined
  closedCount = 0

  onMessage (message: WireMessage): void {
    this.messages.push(message)
  }

  onClose (error?: Error): void {
    this.closedCount++
    this.closeError = error
  }

  async received (count: number): Promise<WireMessage[]> {
    await until(() => this.messages.length >= count, `${count} messages`)
    return this.messages
  }

  async closed (ms = WAIT): Promise<Error | undefined> {
    await until(() => this.closedCount > 0, 'onClose', ms)
    return this.closeError
  }
}

/** Closes connections and listeners a test opened. */
export class Cleanup {
  private readonly connections: Connection[] = []
  private readonly listeners: Listener[] = []
  private readonly others: Array<() => unknown> = []

  connection<T extends Connection> (connection: T): T {
    this.connections.push(connection)
    return connection
  }

  listener<T extends Listener> (listener: T): T {
    this.listeners.push(listener)
    return listener
  }

  add (close: () => unknown): void {
    this.others.push(close)
  }

  async run (): Promise<void> {
    for (const connection of this.connections.splice(0)) connection.close()
    for (const listener of this.listeners.splice(0)) await listener.close()
    for (const close of this.others.splice(0)) await close()
  }
}

/**
 * A self-signed ECDSA P-256 certificate and key (PEM): what an ordinary TLS server presents, and not
 * a codio-chunk node identity.
 */
export function ecdsaCertificate (): { cert: string, key: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))
  const algorithm = sequence(oid('1.2.840.10045.4.3.2'))
  const name = sequence(tlv(Tag.set, sequence(oid('2.5.4.3'), utf8String('not a codio-chunk node'))))
  const tbs = sequence(
    explicit(0, smallInteger(2)),
    unsignedInteger(randomBytes(8)),
    algorithm,
    name,
    sequence(time(new Date(Date.now() - 3600_000)), time(new Date(Date.now() + 3600_000))),
    name,
    spki
  )
  const signature = new Uint8Array(sign('sha256', tbs, privateKey))
  const der = sequence(tbs, algorithm, bitString(signature))
  const base64 = Buffer.from(der).toString('base64').match(/.{1,64}/g)?.join('\n') ?? ''
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
  }
}
