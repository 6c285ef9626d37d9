import { describe, expect, it } from 'vitest'
import { formatAddress, parseAddress } from '../src/address.js'
import { DialError, InvalidAddressError, PeerIdMismatchError } from '@codio-chunk/interface'
import { PeerIdentity } from '../src/identity.js'

describe('parseAddress', () => {
  it('parses IPv4, bracketed IPv6 and host names', () => {
    expect(parseAddress('tcp://127.0.0.1:4001')).toEqual({ scheme: 'tcp', host: '127.0.0.1', port: 4001 })
    expect(parseAddress('tcp://[::1]:4001')).toEqual({ scheme: 'tcp', host: '::1', port: 4001 })
    expect(parseAddress('quic://[2001:db8::8a2e:370:7334]:0')).toEqual({ scheme: 'quic', host: '2001:db8::8a2e:370:7334', port: 0 })
    expect(parseAddress('tcp://[::ffff:10.0.0.1]:65535')).toEqual({ scheme: 'tcp', host: '::ffff:10.0.0.1', port: 65535 })
    expect(parseAddress('tcp://[fe80::1%eth0]:80').host).toBe('fe80::1%eth0')
    expect(parseAddress('tcp://[1:2:3:4:5:6:7:8]:1').host).toBe('1:2:3:4:5:6:7:8')
    expect(parseAddress('TCP://Example.COM:443')).toEqual({ scheme: 'tcp', host: 'Example.COM', port: 443 })
    expect(parseAddress('tcp://localhost:1').host).toBe('localhost')
    expect(parseAddress('tcp://0.0.0.0:4001').host).toBe('0.0.0.0')
    expect(parseAddress('tcp://[::]:4001').host).toBe('::')
  })

  it('rejects malformed addresses with InvalidAddressError showing the expected form', () => {
    const bad = [
      '127.0.0.1:4001', '://1.2.3.4:1', 'tcp://1.2.3.4', 'tcp://1.2.3.4:', 'tcp://1.2.3.4:65536',
      'tcp://1.2.3.4:-1', 'tcp://1.2.3.4:12a', 'tcp://::1:4001', 'tcp://[::1]4001', 'tcp://[::1:4001',
      'tcp://[1.2.3.4]:1', 'tcp://[1::2::3]:1', 'tcp://[:::1]:1', 'tcp://[1:2:3:4:5:6:7]:1', 'tcp://[1:2:3:4:5:6:7:8:9]:1',
      'tcp://[12345::]:1', 'tcp://256.1.1.1:1', 'tcp://1.2.3:1', 'tcp://:4001', 'tcp://bad_host!:1',
      'tcp://-a.com:1', 'tcp://1.2.3.4:1/path', '1tcp://1.2.3.4:1', 'tcp://' + 'a'.repeat(2000) + ':1'
    ]
    for (const address of bad) {
      expect(() => parseAddress(address), address).toThrow(InvalidAddressError)
      expect(() => parseAddress(address), address).toThrow(/Expected scheme:\/\/host:port/)
    }
    expect(() => parseAddress('tcp://::1:4001')).toThrow(/must be written in brackets/)
    expect(() => parseAddress(42 as unknown as string)).toThrow(InvalidAddressError)
  })
})

describe('formatAddress', () => {
  it('brackets IPv6 and round-trips through parseAddress', () => {
    expect(formatAddress('tcp', '::1', 4001)).toBe('tcp://[::1]:4001')
    expect(formatAddress('tcp', '127.0.0.1', 0)).toBe('tcp://127.0.0.1:0')
    expect(formatAddress('quic', 'example.com', 443)).toBe('quic://example.com:443')
    const parsed = parseAddress(formatAddress('tcp', 'fe80::1', 9))
    expect(parsed).toEqual({ scheme: 'tcp', host: 'fe80::1', port: 9 })
  })

  it('rejects ports outside 0..65535 and invalid hosts', () => {
    expect(() => formatAddress('tcp', '127.0.0.1', 65536)).toThrow(InvalidAddressError)
    expect(() => formatAddress('tcp', '127.0.0.1', 1.5)).toThrow(InvalidAddressError)
    expect(() => formatAddress('tcp', 'bad host', 1)).toThrow(InvalidAddressError)
  })
})

describe('addresses naming a peer id', () => {
  const peerId = PeerIdentity.generate().peerId

  it('parses and formats a /p2p/<peer id> suffix, with IPv4, IPv6 and host names', () => {
    expect(parseAddress(`quic://127.0.0.1:4001/p2p/${peerId}`)).toEqual({ scheme: 'quic', host: '127.0.0.1', port: 4001, peerId })
    expect(parseAddress(`quic://[::1]:4001/p2p/${peerId}`)).toEqual({ scheme: 'quic', host: '::1', port: 4001, peerId })
    expect(parseAddress(`tcp://example.com:1/p2p/${peerId}`).peerId).toBe(peerId)
    expect('peerId' in parseAddress('quic://127.0.0.1:4001')).toBe(false)
    expect(formatAddress('quic', '::1', 4001, peerId)).toBe(`quic://[::1]:4001/p2p/${peerId}`)
    expect(parseAddress(formatAddress('quic', '10.0.0.1', 9, peerId))).toEqual({ scheme: 'quic', host: '10.0.0.1', port: 9, peerId })
  })

  it('rejects a suffix that is not an Ed25519 peer id', () => {
    for (const bad of ['quic://127.0.0.1:1/p2p/', 'quic://127.0.0.1:1/p2p/QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o', `quic://127.0.0.1:1/p2p/${peerId}x`, `quic://127.0.0.1:1/p2p/${peerId}/p2p/${peerId}`, 'quic://127.0.0.1:1/ipfs/x']) {
      expect(() => parseAddress(bad), bad).toThrow(InvalidAddressError)
    }
    expect(() => formatAddress('quic', '127.0.0.1', 1, 'nope')).toThrow(/not a peer id/)
  })
})

describe('PeerIdMismatchError', () => {
  it('is a DialError with its own name and code', () => {
    const err = new PeerIdMismatchError('another peer answered', { cause: new Error('tls') })
    expect(err).toBeInstanceOf(DialError)
    expect(err.name).toBe('PeerIdMismatchError')
    expect(err.code).toBe('ERR_PEER_ID_MISMATCH')
    expect((err.cause as Error).message).toBe('tls')
  })
})
