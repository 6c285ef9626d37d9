import { InvalidConfigError } from '@codio-chunk/interface'
import type { Components, Discovery, DiscoveryFactory, Transport, TransportFactory } from '@codio-chunk/interface'

/**
 * Calls each transport factory with the node's components. A transport that proves a peer id
 * (QUIC, quinn) must prove this node's: a mismatch is a configuration error now, not a refused
 * handshake later.
 */
export function makeTransports (factories: readonly TransportFactory[] | undefined, components: Components): Transport[] {
  if (!Array.isArray(factories) || factories.length === 0) {
    throw new InvalidConfigError('At least one transport is needed, e.g. transports: [tcpTransport()] from @codio-chunk/transport-tcp')
  }
  return factories.map((factory) => {
    const transport = makePlugin<Transport>(factory, components, 'transport', 'tcpTransport() from @codio-chunk/transport-tcp')
    const proven = (transport as { peerId?: unknown }).peerId
    if (proven !== undefined && proven !== components.identity.peerId) {
      throw new InvalidConfigError(`The ${transport.name} transport proves peer id ${String(proven)}, but this node is ${components.identity.peerId}: let the node give the transport its identity (pass the factory, e.g. quicTransport(), not a transport made elsewhere)`)
    }
    return transport
  })
}

/** Calls each discovery factory with the node's components. */
export function makeDiscoveries (factories: readonly DiscoveryFactory[] | undefined, components: Components): Discovery[] {
  if (factories === undefined) return []
  if (!Array.isArray(factories)) throw new InvalidConfigError('discovery must be an array of factories, e.g. discovery: [dhtDiscovery()] from @codio-chunk/discovery-dht')
  return factories.map((factory) => {
    const discovery = makePlugin<Discovery>(factory, components, 'discovery', 'dhtDiscovery() from @codio-chunk/discovery-dht')
    if (typeof discovery.findProviders !== 'function' || typeof discovery.provide !== 'function' || typeof discovery.start !== 'function') {
      throw new InvalidConfigError(`The discovery factory returned an object without start, provide and findProviders (${String((discovery as { name?: unknown }).name)})`)
    }
    return discovery
  })
}

/** Calls a plugin factory with the node's components, with a clear error for anything else. */
export function makePlugin<T> (factory: (components: Components) => T, components: Components, kind: string, example: string): T {
  if (typeof factory !== 'function') {
    throw new InvalidConfigError(`The ${kind} must be given as a factory the node calls with its components, e.g. ${example}; got ${factory === null ? 'null' : typeof factory}`)
  }
  const plugin = factory(components)
  if (plugin === null || typeof plugin !== 'object') throw new InvalidConfigError(`The ${kind} factory returned ${plugin === null ? 'null' : typeof plugin}, not a ${kind}`)
  return plugin
}
