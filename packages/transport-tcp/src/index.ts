export { tcpTransport, DEFAULT_TCP_HIGH_WATER_MARK } from './tcp-transport.js'
export type { TcpTransportInit } from './tcp-transport.js'
export { ListenError } from './errors.js'
