import { generateKeyPairSync, randomFillSync } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { QUICClient, QUICServer } from '@matrixai/quic'
import { DialError, InvalidAddressError, InvalidConfigError, PeerIdMismatchError } from '@codio-chunk/interface'
import { PeerIdentity, parseAddress } from '@codio-chunk/protocol'
import { serverCrypto, silentQuicLogger } from '../src/quic-config.js'
import { Cleanup, Inbox, WAIT, ecdsaCertificate, quicNode, rejection, until, within } from './helpers.js'
import type { Connection } from '@codio-chunk/interface'

const cleanup = new Cleanup()
afterEach(async () => { await cleanup.run() })

/** A listener whose accepted connections are collected. */
async function serve (identity = PeerIdentity.generate()): Promise<{ address: string, accepted: Connection[], identity: PeerIdentity }> {
  const accepted: Connection[] = []
  const listener = cleanup.listener(await quicNode({ handshakeTimeout: 2000 }, identity).listen('quic://127.0.0.1:0', {
    onConnection: (connection) => { accepted.push(cleanup.connection(connection)); connection.start(new Inbox()) }
  }))
  return { address: listener.addresses[0], accepted, identity }
}

describe('QUIC peer authentication', () => {
  it('proves each side\'s peer id to the other and names it in the listen address', async () => {
    const server = await serve()
    expect(parseAddress(server.address).peerId).toBe(server.identity.peerId)
    const client = PeerIdentity.generate()
    const connection = cleanup.connection(await quicNode({}, client).dial(server.address, { signal: AbortSignal.timeout(WAIT) }))
    expect(connection.remotePeerId).toBe(server.identity.peerId)
    expect(connection.remoteAddress).toBe(server.address)
    await until(() => server.accepted.length === 1, 'the inbound connection')
    expect(server.accepted[0].remotePeerId).toBe(client.peerId)
  })

  it('proves the identity of the node whose components made it, and refuses a key that does not match its id', async () => {
    const identity = PeerIdentity.generate()
    const transport = quicNode({}, identity)
    expect(transport.peerId).toBe(identity.peerId)
    const server = await serve()
    cleanup.connection(await transport.dial(server.address, { signal: AbortSignal.timeout(WAIT) }))
    await until(() => server.accepted.length === 1, 'the inbound connection')
    expect(server.accepted[0].remotePeerId).toBe(identity.peerId)
    // An identity whose key does not give the id it names is a configuration error.
    const liar = { peerId: PeerIdentity.generate().peerId, publicKey: identity.publicKey, privateKeySeed: () => identity.privateKeySeed(), sign: (d: Uint8Array) => identity.sign(d) }
    expect(() => quicNode({}, liar)).toThrow(InvalidConfigError)
    expect(() => quicNode({}, { ...liar, privateKeySeed: () => new Uint8Array(3) })).toThrow(/needs the node identity/)
  })

  it('fails a dial with PeerIdMismatchError when another peer answers (address form)', async () => {
    const server = await serve()
    const expected = PeerIdentity.generate().peerId
    const { host, port } = parseAddress(server.address)
    const err = await rejection(quicNode().dial(`quic://${host}:${port}/p2p/${expected}`, { signal: AbortSignal.timeout(WAIT) }), 'a dial to the wrong peer')
    expect(err).toBeInstanceOf(PeerIdMismatchError)
    expect(err).toBeInstanceOf(DialError)
    expect((err as PeerIdMismatchError).code).toBe('ERR_PEER_ID_MISMATCH')
    expect(err.message).toContain(server.identity.peerId)
    expect(err.message).toContain(expected)
    // The server may have finished its side of the handshake; the refusal closes that connection.
    await until(() => server.accepted.every(c => c.closed), 'the server side of the refused connection to close')
  })

  it('fails a dial with PeerIdMismatchError when another peer answers (dial option)', async () => {
    const server = await serve()
    const { host, port } = parseAddress(server.address)
    const plain = `quic://${host}:${port}`
    const err = await rejection(quicNode().dial(plain, { peerId: PeerIdentity.generate().peerId, signal: AbortSignal.timeout(WAIT) }), 'a dial to the wrong peer')
    expect(err).toBeInstanceOf(PeerIdMismatchError)
    const ok = cleanup.connection(await quicNode().dial(plain, { peerId: server.identity.peerId, signal: AbortSignal.timeout(WAIT) }))
    expect(ok.remotePeerId).toBe(server.identity.peerId)
  })

  it('rejects conflicting or malformed expected peer ids with InvalidAddressError', async () => {
    const server = await serve()
    const other = PeerIdentity.generate().peerId
    expect(await rejection(quicNode().dial(server.address, { peerId: other }), 'conflicting ids')).toBeInstanceOf(InvalidAddressError)
    expect(await rejection(quicNode().dial(server.address.replace(/\/p2p\/.*/, ''), { peerId: 'not-a-peer-id' }), 'a bad id')).toBeInstanceOf(InvalidAddressError)
    expect(await rejection(quicNode().dial('quic://127.0.0.1:1/p2p/QmNotAnEd25519Key'), 'a bad address')).toBeInstanceOf(InvalidAddressError)
  })

  it('refuses a server whose certificate is not a codio-chunk identity, with a clear DialError', async () => {
    const { cert, key } = ecdsaCertificate()
    const server = new QUICServer({ crypto: serverCrypto(), config: { cert, key, verifyPeer: false, applicationProtos: ['codio-chunk/1'] }, logger: silentQuicLogger() })
    await server.start({ host: '127.0.0.1', port: 0 })
    cleanup.add(async () => { await server.stop({ force: true }) })
    const err = await rejection(quicNode().dial(`quic://127.0.0.1:${server.port}`, { signal: AbortSignal.timeout(WAIT) }), 'a dial to an ECDSA server')
    expect(err).toBeInstanceOf(DialError)
    expect(err).not.toBeInstanceOf(PeerIdMismatchError)
    expect(err.message).toMatch(/not the Ed25519 node key/)
  })

  it('refuses a client whose certificate is not a codio-chunk identity before the application sees it', async () => {
    const server = await serve()
    const { port } = parseAddress(server.address)
    const { cert, key } = ecdsaCertificate()
    let client: QUICClient | undefined
    try {
      client = await QUICClient.createQUICClient({
        host: '127.0.0.1',
        port,
        localHost: '127.0.0.1',
        crypto: { ops: { randomBytes: async (data: ArrayBuffer) => { randomFillSync(new Uint8Array(data)) } } },
        config: { cert, key, verifyPeer: false, applicationProtos: ['codio-chunk/1'] },
        logger: silentQuicLogger()
      }, { timer: WAIT })
    } catch {
      // Refused during the handshake: also fine.
    }
    if (client !== undefined) {
      const closed = client.closedP
      cleanup.add(async () => { await client?.destroy({ force: true }) })
      await within(closed, 'the refused client connection to close')
    }
    expect(server.accepted).toHaveLength(0)
  })
})
