import type { TypedEmitter } from '../events.js'
import type { DistributorEvents } from '../node/distributor-events.js'
import type { PeerManagerEvents } from './peer-manager.js'
import type { PeerSession } from './peer-session.js'
import type { SwarmRegistry } from '../swarm/swarm-registry.js'
import type { Uploader } from '../upload/upload.js'
import type { UploadManager } from '../upload/upload-manager.js'
import type { WireMessage } from '@codio-chunk/interface'

/** The units a {@link MessageRouter} hands messages and peer events to. */
export interface MessageRouterInit {
  swarms: SwarmRegistry
  uploader: Uploader
  uploads: UploadManager
  events: TypedEmitter<DistributorEvents>
}

/**
 * What the peer manager reports, dispatched: messages after the handshake go to the unit that
 * handles them (availability to the swarm registry, interest to the upload manager, requests to
 * the uploader, choke state to the downloads); arrivals, departures and bans reach every unit that
 * keeps per-peer state, and the node's events.
 *
 * @example
 * ```ts
 * const router = new MessageRouter({ swarms, uploader, uploads, events })
 * const peers = new PeerManager({ ...settings, events: router })
 * ```
 */
export class MessageRouter implements PeerManagerEvents {
  constructor (private readonly init: MessageRouterInit) {}

  /** Hands one message from a peer to the unit that handles it. */
  peerMessage (session: PeerSession, message: WireMessage): void {
    const { swarms, uploads, uploader } = this.init
    switch (message.type) {
      case 'bitfield':
      case 'have':
      case 'peers':
        swarms.receive(session, message)
        return
      case 'interested': {
        const key = message.content.toString()
        // Only contents we hold count, so the set stays bounded. (A chunk request for content
        // loaded later counts as interest too.)
        if (swarms.swarms.has(key)) uploads.addInterest(session, key)
        return
      }
      case 'not-interested':
        uploads.removeInterest(session, message.content.toString())
        return
      case 'choke':
        // Requests to this peer will be rejected: move them to other peers now.
        for (const swarm of swarms.contentsOf(session)) swarm.download?.peerChoked(session)
        return
      case 'unchoke':
        for (const swarm of swarms.contentsOf(session)) swarm.download?.fill(session)
        return
      case 'request-chunk':
        uploader.handleRequestChunk(session, message)
        return
      case 'request-block':
        uploader.handleRequestBlock(session, message)
    }
  }

  /** A peer finished the handshake. */
  peerConnected (session: PeerSession): void {
    const { events, uploads, swarms } = this.init
    events.emit('peer:connect', { peerId: session.peerId, address: session.connection.remoteAddress, direction: session.connection.direction })
    // Not interested yet, so unchoked at once: it is served as soon as it asks, if a slot is free.
    uploads.peerConnected(session)
    for (const swarm of swarms.swarms.values()) swarms.offerBitfield(swarm, session)
  }

  /** A peer's connection closed. */
  peerDisconnected (session: PeerSession, error?: Error): void {
    this.init.uploads.peerGone(session)
    this.init.swarms.peerGone(session)
    this.init.events.emit('peer:disconnect', { peerId: session.peerId, address: session.connection.remoteAddress, error })
  }

  /** A peer is being banned. */
  peerBanned (session: PeerSession, reason: string): void {
    this.init.events.emit('peer:banned', { peerId: session.peerId, address: session.connection.remoteAddress, reason })
  }
}
