import { createHash } from 'node:crypto'
import { verifierComplianceSuite } from '@codio-chunk/interface-tests/verifier'
import { sha256Verifier } from '../src/index.js'

const nodeSha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

verifierComplianceSuite('sha256 (auto)', () => sha256Verifier(), nodeSha256)
verifierComplianceSuite('sha256 (hash-wasm)', () => sha256Verifier({ backend: 'hash-wasm' }), nodeSha256)
verifierComplianceSuite('sha256 (node:crypto)', () => sha256Verifier({ backend: 'node' }), nodeSha256)
verifierComplianceSuite('sha256 (wasm-simd)', () => sha256Verifier({ backend: 'wasm-simd' }), nodeSha256)
verifierComplianceSuite('sha256 (wasm-simd, 2 workers)', () => sha256Verifier({ backend: 'wasm-simd', workers: 2, workerMinBytes: 0 }), nodeSha256)
verifierComplianceSuite('sha256 (node:crypto, 1 worker)', () => sha256Verifier({ backend: 'node', workers: 1, workerMinBytes: 0 }), nodeSha256)
verifierComplianceSuite('sha256 (webcrypto)', () => sha256Verifier({ backend: 'webcrypto' }), nodeSha256)
verifierComplianceSuite('sha256 (fastest)', () => sha256Verifier({ backend: 'fastest' }), nodeSha256)
