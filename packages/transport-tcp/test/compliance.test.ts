import { transportComplianceSuite } from '@codio-chunk/interface-tests/transport'
import { tcpTransport } from '../src/index.js'

transportComplianceSuite('tcp (IPv4)', () => ({ transport: tcpTransport(), listenAddress: 'tcp://127.0.0.1:0', authenticates: false }))
transportComplianceSuite('tcp (IPv6)', () => ({ transport: tcpTransport(), listenAddress: 'tcp://[::1]:0', authenticates: false }))
