import type { NetworkInterfaceInfo } from 'node:os'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseAddress } from '@codio-chunk/core'

/** The interfaces the mocked node:os reports; `undefined` means the real ones. */
const fake: { interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>, fails?: boolean } = {}

vi.mock('node:os', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:os')>()
  const networkInterfaces = (): NodeJS.Dict<NetworkInterfaceInfo[]> => {
    if (fake.fails === true) throw new Error('uv_interface_addresses returned Unknown system error 13')
    return fake.interfaces ?? real.networkInterfaces()
  }
  return { ...real, default: { ...real, networkInterfaces }, networkInterfaces }
})

const { dialableAddresses } = await import('../src/addresses.js')

function v4 (address: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/24` }
}

function v6 (address: string, scopeid = 0, internal = false): NetworkInterfaceInfo {
  return { address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal, cidr: `${address}/64`, scopeid }
}

const MACHINE: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [v4('127.0.0.1', true), v6('::1', 0, true)],
  eth0: [v4('192.0.2.10'), v6('2001:db8::10'), v6('fe80::1', 2)],
  eth1: [v4('198.51.100.7')],
  down: undefined
}

afterEach(() => {
  delete fake.interfaces
  delete fake.fails
})

describe('dialableAddresses', () => {
  it('keeps concrete addresses as they are, in order', () => {
    fake.interfaces = MACHINE
    const concrete = ['tcp://127.0.0.1:4001', 'tcp://[::1]:4002', 'tcp://example.com:4003', 'tcp://192.0.2.10:4004']
    expect(dialableAddresses(concrete)).toEqual(concrete)
  })

  it('expands 0.0.0.0 to every IPv4 interface address, keeping the port', () => {
    fake.interfaces = MACHINE
    expect(dialableAddresses(['tcp://0.0.0.0:4001'])).toEqual([
      'tcp://127.0.0.1:4001', 'tcp://192.0.2.10:4001', 'tcp://198.51.100.7:4001'
    ])
  })

  it('expands [::] to both families, leaving out link-local IPv6 addresses', () => {
    fake.interfaces = MACHINE
    expect(dialableAddresses(['tcp://[::]:4001'])).toEqual([
      'tcp://127.0.0.1:4001', 'tcp://[::1]:4001', 'tcp://192.0.2.10:4001', 'tcp://[2001:db8::10]:4001', 'tcp://198.51.100.7:4001'
    ])
    expect(dialableAddresses(['tcp://[0:0:0:0:0:0:0:0]:5'])).toContain('tcp://[2001:db8::10]:5')
  })

  it('drops duplicates, and keeps what it cannot parse', () => {
    fake.interfaces = MACHINE
    expect(dialableAddresses(['tcp://127.0.0.1:4001', 'tcp://0.0.0.0:4001', 'not an address', 'not an address'])).toEqual([
      'tcp://127.0.0.1:4001', 'tcp://192.0.2.10:4001', 'tcp://198.51.100.7:4001', 'not an address'
    ])
  })

  it('expands each wildcard address with its own port and scheme', () => {
    fake.interfaces = { eth0: [v4('192.0.2.10')] }
    expect(dialableAddresses(['tcp://0.0.0.0:1', 'quic://0.0.0.0:2'])).toEqual(['tcp://192.0.2.10:1', 'quic://192.0.2.10:2'])
  })

  it('falls back to loopback when the machine names no interface, or will not say', () => {
    fake.interfaces = {}
    expect(dialableAddresses(['tcp://0.0.0.0:4001'])).toEqual(['tcp://127.0.0.1:4001'])
    expect(dialableAddresses(['tcp://[::]:4001'])).toEqual(['tcp://127.0.0.1:4001', 'tcp://[::1]:4001'])
    fake.fails = true
    expect(dialableAddresses(['tcp://0.0.0.0:4001'])).toEqual(['tcp://127.0.0.1:4001'])
  })

  it('gives dialable addresses on this machine\'s real interfaces', () => {
    const out = dialableAddresses(['tcp://0.0.0.0:4001'])
    expect(out).toContain('tcp://127.0.0.1:4001')
    for (const address of out) {
      const { host, port } = parseAddress(address)
      expect(host).not.toBe('0.0.0.0')
      expect(port).toBe(4001)
    }
  })

  it('gives nothing for nothing', () => {
    expect(dialableAddresses([])).toEqual([])
  })
})
