import { createBLAKE3 } from 'hash-wasm'
import { verifierComplianceSuite } from '@codio-chunk/interface-tests/verifier'
import { blake3Verifier } from '../src/index.js'

// An independent BLAKE3 (hash-wasm's WebAssembly) as the reference.
const hasher = await createBLAKE3()
const reference = (bytes: Uint8Array): Uint8Array => {
  hasher.init()
  hasher.update(bytes)
  return hasher.digest('binary')
}

verifierComplianceSuite('blake3 (@napi-rs/blake-hash)', () => blake3Verifier(), reference)
