// CID strings users type and configs hold: ContentId.parse returns a content id or throws
// InvalidContentIdError. It accepts a string only if it is exactly the CID's encoding in the base
// it names; what it returns prints in the canonical form (base58btc for CIDv0, base32 for CIDv1),
// which parses back to it, and its bytes read back to it.
import { describe, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { base32 } from 'multiformats/bases/base32'
import { base36 } from 'multiformats/bases/base36'
import { base58btc } from 'multiformats/bases/base58'
import { create as createDigest } from 'multiformats/hashes/digest'
import { ContentId } from '@codio-chunk/interface'
import { fc, fuzz, refusesOnlyWith } from '../src/fuzz.js'
import { mutatedText } from '../src/mutate.js'

const digest = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 0xff)
const v1 = CID.createV1(0x55, createDigest(0x12, digest))
const real: string[] = [
  'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o',
  'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4',
  CID.createV1(0x70, createDigest(0x12, digest)).toString(),
  CID.createV1(0x55, createDigest(0x1e, digest)).toString(),
  CID.createV1(0x71, createDigest(0x12, digest)).toString(),
  v1.toString(base36),
  v1.toString(base58btc),
  base58btc.encode(Uint8Array.of(0x00, 0x70, 0x12, 0x20, ...digest)),
  `b${'a'.repeat(58)}`
]
const alphabet = 'abcdefghijklmnopqrstuvwxyz234567ABCDEFGHJKLMNPQRSTUVWXYZ1289Qmzkbf \n\t'

const text = fc.oneof(
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('Q', 'Qm', 'b', 'bafy', 'bafk', 'z', 'k', 'B', 'f', 'u', 'm'), fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 70 })).map(([p, rest]) => p + rest) },
  { weight: 4, arbitrary: mutatedText(real, alphabet) }
)

describe('CID strings', () => {
  it('cid-text: ContentId.parse returns a content id or throws InvalidContentIdError', async () => {
    await fuzz('cid-text', text, (input) => {
      const id = refusesOnlyWith(['InvalidContentIdError'], () => ContentId.parse(input))
      if (id === undefined) return
      const trimmed = input.trim()
      const spelled = trimmed[0] === 'Q' ? base58btc.baseEncode(id.bytes) : trimmed[0] === 'z' ? base58btc.encode(id.bytes) : trimmed[0] === 'k' ? base36.encode(id.bytes) : base32.encode(id.bytes)
      if (trimmed !== spelled) throw new Error(`accepted ${JSON.stringify(trimmed)}, which is not the CID's encoding ${spelled}`)
      const printed = id.toString()
      if (printed !== (id.version === 0 ? base58btc.baseEncode(id.bytes) : base32.encode(id.bytes))) throw new Error(`${printed} is not the canonical form`)
      if (!ContentId.parse(printed).equals(id)) throw new Error(`${printed} does not parse back to ${input}`)
      if (!ContentId.fromBytes(id.bytes).equals(id)) throw new Error(`the bytes of ${printed} do not read back to it`)
    })
  })
})
