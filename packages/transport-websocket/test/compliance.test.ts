import { transportComplianceSuite } from '@codio-chunk/interface-tests/transport'
import { webSocketTransport } from '../src/index.js'

transportComplianceSuite('websocket (IPv4)', () => ({ transport: webSocketTransport(), listenAddress: 'ws://127.0.0.1:0', authenticates: true }))
transportComplianceSuite('websocket (IPv6)', () => ({ transport: webSocketTransport(), listenAddress: 'ws://[::1]:0', authenticates: true }))
