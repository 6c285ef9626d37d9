import { createHash } from 'node:crypto'
import { verifierComplianceSuite } from '@codio-chunk/interface-tests/verifier'
import { sha256Verifier } from '../src/index.js'

const nodeSha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest())

verifierComplianceSuite('sha256 (hash-wasm)', () => sha256Verifier(), nodeSha256)
verifierComplianceSuite('sha256 (node:crypto)', () => sha256Verifier({ backend: 'node' }), nodeSha256)
