/**
 * An HTTP gateway for a codio-chunk node, on `node:http` (Node.js only): the IPFS path gateway for
 * UnixFS files, the trustless gateway (raw blocks and CARs) and delegated routing v1 providers,
 * streaming content from the swarm as its chunks verify.
 */
export { createGateway } from './gateway.js'
export type { Gateway, GatewayAddress } from './gateway.js'
export { gatewayHandler } from './handler.js'
export type { GatewayHandler } from './handler.js'
export { GATEWAY_DEFAULTS, resolveGatewayOptions } from './options.js'
export type { GatewayOptions, ResolvedGatewayOptions } from './options.js'
export * from './errors.js'
export { toHttpError } from './error-status.js'
export { sniffContentType, typeFromFilename, SNIFF_BYTES } from './content-type.js'
export { parseRange, MAX_RANGE_HEADER, MAX_RANGES } from './range.js'
export type { RangeRequest } from './range.js'
export { parseTarget, MAX_TARGET_LENGTH } from './request-target.js'
export type { Route, RequestTarget } from './request-target.js'
export { negotiate, RAW_TYPE, CAR_TYPE } from './negotiate.js'
export type { ResponseFormat, CarParams, DagScope } from './negotiate.js'
export { entityRange } from './car-response.js'
export { toMultiaddr } from './multiaddr.js'
export { PROTOCOL_NAME } from './routing.js'
export type { PeerRecord } from './routing.js'
export { MAX_INDEXED_BLOCKS } from './block-locator.js'
