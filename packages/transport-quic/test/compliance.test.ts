import { transportComplianceSuite } from '@codio-chunk/interface-tests/transport'
import { quicTransport } from '../src/index.js'

// A short handshake timeout: dialling a closed port over UDP gets no answer at all.
transportComplianceSuite('quic (IPv4)', () => ({ transport: quicTransport({ handshakeTimeout: 1000 }), listenAddress: 'quic://127.0.0.1:0', authenticates: true }))
transportComplianceSuite('quic (IPv6)', () => ({ transport: quicTransport({ handshakeTimeout: 1000 }), listenAddress: 'quic://[::1]:0', authenticates: true }))
