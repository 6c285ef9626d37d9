import { describe, expect, it } from 'vitest'
import { PROTOCOL_VERSION, ProtocolError } from '@codio-chunk/interface'
import { PeerIdentity, WIRE_LIMITS } from '@codio-chunk/protocol'
import { checkHello } from '../src/peers/hello-check.js'
import type { Connection, HelloMessage, WireMessage } from '@codio-chunk/interface'

const peerId = PeerIdentity.generate().peerId

function connection (remotePeerId?: string): Connection {
  return { remoteAddress: 'tcp://10.0.0.1:4001', localAddress: 'tcp://10.0.0.2:4001', direction: 'inbound', bufferedBytes: 0, closed: false, remotePeerId } as unknown as Connection
}

function hello (fields: Partial<HelloMessage> = {}): HelloMessage {
  return { type: 'hello', version: PROTOCOL_VERSION, peerId, maxFrameSize: 4 * 1024 * 1024 + 4096, maxRequests: 64, addresses: [], agent: 'test', ...fields }
}

function refusal (message: WireMessage, conn = connection()): string | undefined {
  const checked = checkHello(message, conn)
  if (!('error' in checked)) return undefined
  expect(checked.error).toBeInstanceOf(ProtocolError)
  return checked.reason
}

describe('checkHello', () => {
  it('accepts a hello of this version from an Ed25519 peer id, at the documented minimums', () => {
    expect(checkHello(hello(), connection())).toEqual(hello())
    expect(checkHello(hello(), connection(peerId))).toEqual(hello())
    const smallest = hello({ maxFrameSize: WIRE_LIMITS.minMaxFrameSize, maxRequests: 1 })
    expect(checkHello(smallest, connection())).toBe(smallest)
    expect(WIRE_LIMITS.minMaxFrameSize).toBe(65536)
    expect(checkHello(hello({ maxFrameSize: 0xffffffff, maxRequests: 0xffff }), connection())).not.toHaveProperty('error')
  })

  it('refuses a maxFrameSize below 64 KiB, 0 and 1 included', () => {
    for (const maxFrameSize of [0, 1, 4096, WIRE_LIMITS.minMaxFrameSize - 1]) {
      expect(refusal(hello({ maxFrameSize })), String(maxFrameSize)).toMatch(/maxFrameSize/)
    }
  })

  it('refuses a maxRequests of 0', () => {
    expect(refusal(hello({ maxRequests: 0 }))).toMatch(/maxRequests/)
  })

  it('refuses peer ids that are not libp2p Ed25519 peer ids', () => {
    const notEd25519 = [
      '',
      'peer-a',
      '12D3KooWAbc',
      peerId.slice(0, -1),
      `${peerId}1`,
      'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', // a sha2-256 multihash, as RSA peer ids are
      'x'.repeat(256)
    ]
    for (const id of notEd25519) expect(refusal(hello({ peerId: id })), id).toBe('invalid peer id')
  })

  it('refuses another version, a message other than hello and a peer id other than the authenticated one', () => {
    expect(refusal(hello({ version: 2 }))).toBe('unsupported version 2')
    expect(refusal({ type: 'choke' })).toBe('expected hello')
    expect(refusal(hello(), connection(PeerIdentity.generate().peerId))).toBe('peer id mismatch')
  })
})
