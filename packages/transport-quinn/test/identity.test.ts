import { afterEach, describe, expect, it } from 'vitest'
import { DialError, InvalidAddressError, InvalidConfigError, ListenError, PeerIdMismatchError } from '@codio-chunk/interface'
import { PeerIdentity } from '@codio-chunk/protocol'
import { libp2pKey } from '../src/index.js'
import { parseQuinnAddress } from '../src/quinn-address.js'
import { Inbox, quinnNode } from './helpers.js'
import type { Connection, Listener } from '@codio-chunk/interface'

describe('quinn identity and addresses', () => {
  let listeners: Listener[] = []
  let connections: Connection[] = []

  afterEach(async () => {
    for (const connection of connections) connection.close()
    for (const listener of listeners) await listener.close()
    connections = []
    listeners = []
  })

  async function listen (identity: PeerIdentity, onConnection: (conn: Connection) => void = (conn) => conn.start(new Inbox())): Promise<Listener> {
    const listener = await quinnNode({  }, identity).listen('quinn://127.0.0.1:0', { onConnection: (conn) => { connections.push(conn); onConnection(conn) } })
    listeners.push(listener)
    return listener
  }

  it('encodes the node key as libp2p does, with the peer id PeerIdentity gives', () => {
    const identity = PeerIdentity.generate()
    const key = libp2pKey(identity)
    expect(key.peerId).toBe(identity.peerId)
    expect(Array.from(key.privateKeyProto.subarray(0, 4))).toEqual([0x08, 0x01, 0x12, 0x40])
    expect(Buffer.from(key.privateKeyProto.subarray(4, 36)).equals(Buffer.from(identity.privateKeySeed()))).toBe(true)
    expect(Buffer.from(key.privateKeyProto.subarray(36)).equals(Buffer.from(identity.publicKey))).toBe(true)
    // An identity whose public key does not give the id it names, or that has no seed, is refused.
    const other = PeerIdentity.generate()
    expect(() => libp2pKey({ peerId: other.peerId, publicKey: identity.publicKey, privateKeySeed: () => identity.privateKeySeed(), sign: (d) => identity.sign(d) })).toThrow(InvalidConfigError)
    expect(() => libp2pKey({ ...identity, peerId: identity.peerId, publicKey: identity.publicKey, privateKeySeed: () => new Uint8Array(0), sign: (d) => identity.sign(d) })).toThrow(/needs the node identity/)
    expect(quinnNode({}, identity).peerId).toBe(identity.peerId)
  })

  it('proves each side\'s node identity to the other through libp2p TLS', async () => {
    const server = PeerIdentity.generate()
    const client = PeerIdentity.generate()
    let inbound!: (conn: Connection) => void
    const accepted = new Promise<Connection>((resolve) => { inbound = resolve })
    const listener = await listen(server, (conn) => { conn.start(new Inbox()); inbound(conn) })
    expect(listener.addresses[0]).toMatch(new RegExp(`^quinn://127\\.0\\.0\\.1:\\d+/p2p/${server.peerId}$`))
    const conn = await quinnNode({  }, client).dial(listener.addresses[0], { signal: AbortSignal.timeout(10_000) })
    connections.push(conn)
    expect(conn.remotePeerId).toBe(server.peerId)
    expect((await accepted).remotePeerId).toBe(client.peerId)
  })

  it('refuses a peer proving another id with PeerIdMismatchError', async () => {
    const listener = await listen(PeerIdentity.generate())
    const other = PeerIdentity.generate().peerId
    const address = listener.addresses[0].replace(/\/p2p\/.*$/, '')
    const viaAddress = await quinnNode().dial(`${address}/p2p/${other}`, { signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => err)
    expect(viaAddress).toBeInstanceOf(PeerIdMismatchError)
    expect(viaAddress).toBeInstanceOf(DialError)
    const viaOptions = await quinnNode().dial(address, { peerId: other, signal: AbortSignal.timeout(10_000) }).catch((err: unknown) => err)
    expect(viaOptions).toBeInstanceOf(PeerIdMismatchError)
    await expect(quinnNode().dial(listener.addresses[0], { peerId: other })).rejects.toThrow(InvalidAddressError)
  })

  it('takes IP addresses only, and listens only as its own peer id', async () => {
    expect(parseQuinnAddress('quinn://[::1]:4001')).toEqual({ host: '::1', port: 4001, family: 6 })
    expect(() => parseQuinnAddress('quinn://localhost:4001')).toThrow(InvalidAddressError)
    expect(() => parseQuinnAddress('quic://127.0.0.1:4001')).toThrow(InvalidAddressError)
    const transport = quinnNode()
    const someoneElse = PeerIdentity.generate().peerId
    await expect(transport.listen(`quinn://127.0.0.1:0/p2p/${someoneElse}`, { onConnection: () => {} })).rejects.toThrow(InvalidAddressError)
  })

  it('fails to listen on a UDP port in use with ListenError', async () => {
    const listener = await listen(PeerIdentity.generate())
    const taken = listener.addresses[0].replace(/\/p2p\/.*$/, '')
    const error = await quinnNode().listen(taken, { onConnection: () => {} }).catch((err: unknown) => err)
    expect(error).toBeInstanceOf(ListenError)
    expect((error as Error).message).toMatch(/already in use/)
  })
})
