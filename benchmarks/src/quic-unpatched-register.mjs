// Loaded with `node --import` by the benchmark's "before" processes: routes `@matrixai/quic` to the
// unpatched copy named by CODIO_CHUNK_QUIC_UNPATCHED (see quic-unpatched.mjs).
import { register } from 'node:module'
import { pathToFileURL } from 'node:url'

const target = process.env.CODIO_CHUNK_QUIC_UNPATCHED
if (target === undefined) throw new Error('CODIO_CHUNK_QUIC_UNPATCHED is not set')
register('./quic-unpatched-hooks.mjs', import.meta.url, { data: { target: pathToFileURL(target + '/').href } })
