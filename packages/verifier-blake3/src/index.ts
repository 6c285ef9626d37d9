export { blake3Verifier } from './blake3-verifier.js'
