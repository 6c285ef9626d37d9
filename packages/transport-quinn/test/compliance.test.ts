import { transportComplianceSuite } from '@codio-chunk/interface-tests/transport'
import { quinnTransport } from '../src/index.js'

// A short handshake timeout: dialling a closed port over UDP gets no answer at all.
transportComplianceSuite('quinn (IPv4)', () => ({ transport: quinnTransport({ handshakeTimeout: 1000 }), listenAddress: 'quinn://127.0.0.1:0', authenticates: true }))
transportComplianceSuite('quinn (IPv6)', () => ({ transport: quinnTransport({ handshakeTimeout: 1000 }), listenAddress: 'quinn://[::1]:0', authenticates: true }))
