import { describe, expect, it } from 'vitest'
import { formatAddress, parseAddress } from '../src/wire/address.js'
import { InvalidAddressError } from '../src/errors.js'

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
