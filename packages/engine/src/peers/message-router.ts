import type { TypedEmitter } from '../events.js'
import type { Clock } from './rate-meter.js'
import type { DistributorEvents } from '../node/engine-context.js'
import type { PeerManager } from './peer-manager.js'
import type { PeerSession } from './peer-session.js'
import type { ContentSwarm } from '../swarm/swarm.js'
import type { SwarmRegistry } from '../swarm/swarm-registry.js'
import type { Uploader } from '../upload/upload.js'
import type { UploadManager } from '../upload/upload-manager.js'
import type { WireMessage } from '@codio-chunk/interface'

/** The units a {@link MessageRouter} hands messages and peer events to. */
export interface MessageRouterInit {
  peers: PeerManager
  swarms: SwarmRegistry
  uploader: Uploader
  uploads: UploadManager
  events: TypedEmitter<DistributorEvents>
  clock: Clock
}

/**
 * Routes what peers send after the handshake to the unit that handles it (availability to the
 * swarm registry, interest to the upload manager, requests to the uploader, choke state to the
 * downloads), and handles a peer's arrival, departure and ban, and our own interest messages.
 *
 * @example
 * ```ts
 * const router = new MessageRouter({ peers, swarms, uploader, uploads, events, clock })
 * router.peerConnected(session)
 * router.route(session, { type: 'unchoke' })
 * ```
 */
export class MessageRouter {
  constructor (private readonly init: MessageRouterInit) {}

  /** Hands one message from a peer to the unit that handles it. */
  route (session: PeerSession, message: WireMessage): void {
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
        for (const key of session.holdings.keys()) swarms.swarms.get(key)?.download?.peerChoked(session)
        return
      case 'unchoke':
        for (const key of session.holdings.keys()) swarms.swarms.get(key)?.download?.fill(session)
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
  peerGone (session: PeerSession, error?: Error): void {
    this.init.uploads.peerGone(session)
    this.init.swarms.peerGone(session)
    this.init.events.emit('peer:disconnect', { peerId: session.peerId, address: session.connection.remoteAddress, error })
  }

  /** Disconnects and bans a peer (once). */
  ban (session: PeerSession, reason: string): void {
    const { peers, events } = this.init
    if (peers.banned.has(session.peerId)) return
    events.emit('peer:banned', { peerId: session.peerId, address: session.connection.remoteAddress, reason })
    peers.ban(session, reason)
  }

  /** Sends interested / not-interested when our interest in a peer for `swarm` changes. */
  setInterest (swarm: ContentSwarm, session: PeerSession, interested: boolean): void {
    if (session.amInterested.has(swarm.key) === interested) return
    if (interested) session.amInterested.add(swarm.key)
    else session.amInterested.delete(swarm.key)
    // Snubbing is measured from when we became interested in the peer at all.
    if (session.amInterested.size === 0) session.interestedSince = undefined
    else session.interestedSince ??= this.init.clock()
    session.send({ type: interested ? 'interested' : 'not-interested', content: swarm.root })
  }
}
