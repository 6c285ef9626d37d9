// Binary CIDs from peers and storage: decodeCid and ContentId.fromBytes accept exactly the canonical
// encodings (the bytes CID.decode gives back for them are the bytes given), and refuse anything
// else with ProtocolError and InvalidContentIdError.
import { describe, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { ContentId } from '@codio-chunk/interface'
import { decodeCid } from '@codio-chunk/protocol'
import { fc, fuzz, refusesOnlyWith } from '../src/fuzz.js'
import { mutatedBytes } from '../src/mutate.js'
import { sameBytes } from '../src/wire-arbitraries.js'

const digest = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff)
const real: Uint8Array[] = [
  CID.createV0(createDigest(0x12, digest)).bytes,
  CID.createV1(0x55, createDigest(0x12, digest)).bytes,
  CID.createV1(0x70, createDigest(0x12, digest)).bytes,
  CID.createV1(0x55, createDigest(0x1e, digest)).bytes,
  CID.createV1(0x71, createDigest(0x12, digest)).bytes,
  CID.createV1(0x55, createDigest(0x00, digest.subarray(0, 5))).bytes,
  CID.createV1(2 ** 40, createDigest(0x13, new Uint8Array(64))).bytes,
  // Forms that decode but are not canonical.
  Uint8Array.of(0x00, 0x70, 0x12, 0x20, ...digest),
  Uint8Array.of(0x00, 0x55, 0x12, 0x20, ...digest),
  Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x12, 0x20, ...digest)
]

const bytes = fc.oneof(
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(0x00, 0x01, 0x12, 0x02), fc.uint8Array({ maxLength: 60 })).map(([first, rest]) => Uint8Array.of(first, ...rest)) },
  { weight: 1, arbitrary: fc.constantFrom(...real) },
  { weight: 4, arbitrary: mutatedBytes(real) }
)

/** What makes a CID a content id: codec raw or dag-pb, a 32-byte sha2-256 or blake3 digest. */
function isContentId (cid: CID): boolean {
  return (cid.code === 0x55 || cid.code === 0x70) && (cid.multihash.code === 0x12 || cid.multihash.code === 0x1e) && cid.multihash.size === 32
}

describe('binary CIDs', () => {
  it('cid-bytes: decodeCid and ContentId.fromBytes accept exactly the canonical encodings', async () => {
    await fuzz('cid-bytes', bytes, (input) => {
      let reference: CID | undefined
      try { reference = CID.decode(input) } catch {}
      const canonical = reference !== undefined && sameBytes(reference.bytes, input)

      const decoded = refusesOnlyWith(['ProtocolError'], () => decodeCid(input))
      if ((decoded !== undefined) !== canonical) throw new Error(`decodeCid ${decoded === undefined ? 'refused' : 'accepted'} ${canonical ? 'canonical' : 'non-canonical'} bytes`)
      if (decoded !== undefined && (!sameBytes(decoded.bytes, input) || !decoded.equals(reference))) throw new Error('decodeCid gave another CID than the bytes encode')

      const id = refusesOnlyWith(['InvalidContentIdError'], () => ContentId.fromBytes(input))
      const valid = canonical && input.length <= 100 && isContentId(reference as CID)
      if ((id !== undefined) !== valid) throw new Error(`ContentId.fromBytes ${id === undefined ? 'refused' : 'accepted'} ${valid ? 'a' : 'no'} content id`)
      if (id !== undefined) {
        if (!sameBytes(id.bytes, input)) throw new Error('ContentId.fromBytes changed the bytes')
        if (!ContentId.parse(id.toString()).equals(id)) throw new Error(`${id.toString()} does not parse back to itself`)
      }
    })
  })
})
