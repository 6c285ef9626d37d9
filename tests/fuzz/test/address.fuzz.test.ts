// Peer addresses from hellos, peers messages and users: parseAddress returns parts that
// formatAddress turns back into an address parseAddress reads to the same parts, or throws
// InvalidAddressError; formatAddress never refuses what parseAddress returned.
import { isDeepStrictEqual } from 'node:util'
import { describe, it } from 'vitest'
import { PeerIdentity, formatAddress, parseAddress } from '@codio-chunk/protocol'
import { fc, fuzz, refusesOnlyWith } from '../src/fuzz.js'
import { mutatedText } from '../src/mutate.js'

const peerIds = Array.from({ length: 4 }, () => PeerIdentity.generate().peerId)
const real: string[] = [
  'tcp://127.0.0.1:4001',
  'tcp://[::1]:4001',
  'quic://[2001:db8::1]:4002',
  'quic://example.com:443',
  'tcp://[fe80::1%eth0]:4001',
  'tcp://[::ffff:192.0.2.1]:0',
  `quic://192.0.2.1:4002/p2p/${peerIds[0]}`,
  `quinn://[::]:65535/p2p/${peerIds[1]}`,
  'TCP://Host-Name_1.example:80'
]
const alphabet = 'abcdefxyz0123456789:.[]/%-_+ABCF'

const part = {
  scheme: fc.oneof(fc.constantFrom('tcp', 'quic', 'quinn', 'TCP', 'a+b.c-d', '', '1tcp', 'tc p'), fc.string({ maxLength: 8 })),
  host: fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.ipV4Extended(), fc.string({ maxLength: 20 })),
  port: fc.oneof(fc.integer({ min: 0, max: 65535 }).map(String), fc.constantFrom('', '00080', '65536', '-1', '1e3', ' 80'), fc.string({ maxLength: 6 })),
  peer: fc.oneof(fc.constant(''), fc.constantFrom(...peerIds).map(id => `/p2p/${id}`), fc.string({ maxLength: 60 }).map(s => `/p2p/${s}`))
}
const fromParts = fc.tuple(part.scheme, part.host, fc.boolean(), part.port, part.peer)
  .map(([scheme, host, bracket, port, peer]) => `${scheme}://${bracket ? `[${host}]` : host}:${port}${peer}`)

const address = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 1100, size: 'max' }) },
  { weight: 3, arbitrary: fromParts },
  { weight: 3, arbitrary: mutatedText(real, alphabet) }
)

describe('peer addresses', () => {
  it('address: parseAddress and formatAddress agree, or InvalidAddressError', async () => {
    await fuzz('address', address, (input) => {
      const parsed = refusesOnlyWith(['InvalidAddressError'], () => parseAddress(input))
      if (parsed === undefined) return
      if (!Number.isInteger(parsed.port) || parsed.port < 0 || parsed.port > 65535) throw new Error(`port ${parsed.port} out of range`)
      if (parsed.scheme !== parsed.scheme.toLowerCase()) throw new Error(`scheme ${parsed.scheme} not lower-cased`)
      const formatted = formatAddress(parsed.scheme, parsed.host, parsed.port, parsed.peerId)
      const again = parseAddress(formatted)
      if (!isDeepStrictEqual(again, parsed)) throw new Error(`${input} parses to ${JSON.stringify(parsed)}, formats to ${formatted}, which parses to ${JSON.stringify(again)}`)
      if (formatAddress(again.scheme, again.host, again.port, again.peerId) !== formatted) throw new Error(`formatting ${formatted} again changes it`)
    })
  })
})
