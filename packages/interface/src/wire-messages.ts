import type { CID } from 'multiformats/cid'

/** Version of the wire protocol this implementation speaks. */
export const PROTOCOL_VERSION = 1

/** Largest frame (type byte + payload) accepted unless configured otherwise: a 4 MiB chunk plus headers. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024 + 4096

/** Why a request was rejected; sent in `reject` messages. */
export enum RejectCode {
  /** The responder does not have the chunk or block. */
  NotFound = 1,
  /** The responder has choked the requester. */
  Choked = 2,
  /** Too many requests in flight from this requester. */
  Busy = 3,
  /** The request was malformed (index out of range, unknown content). */
  BadRequest = 4,
  /** The responder failed to read its own storage. */
  InternalError = 5
}

/** Why a connection is being closed; sent in `goodbye` messages. */
export enum GoodbyeCode {
  Normal = 0,
  ProtocolError = 1,
  Banned = 2,
  Shutdown = 3,
  DuplicateConnection = 4
}

/** First message on every connection, sent by both sides. */
export interface HelloMessage {
  type: 'hello'
  /** Protocol version, {@link PROTOCOL_VERSION}. */
  version: number
  /** The sender's peer id (libp2p PeerId string). Only a claim unless the transport authenticates it. */
  peerId: string
  /** Largest frame the sender accepts. */
  maxFrameSize: number
  /** Most requests the sender serves at once from one peer; more are rejected as busy. */
  maxRequests: number
  /** Addresses where the sender accepts connections (may be empty). */
  addresses: string[]
  /** Free-form software name and version, e.g. `codio-chunk/0.1.0`. */
  agent: string
}

/** Sent before closing a connection, saying why. */
export interface GoodbyeMessage { type: 'goodbye', code: GoodbyeCode, reason: string }

/**
 * The sender's chunks of a content. Sending it also asks the receiver for its own bitfield of that
 * content (answered once per connection). `chunkCount` 0 means "I do not have this content".
 */
export interface BitfieldMessage { type: 'bitfield', content: CID, chunkCount: number, bits: Uint8Array }
/** The sender has verified chunk `index` of a content. */
export interface HaveMessage { type: 'have', content: CID, index: number }
/** The sender wants chunks of this content from the receiver. */
export interface InterestedMessage { type: 'interested', content: CID }
/** The sender no longer wants chunks of this content from the receiver. */
export interface NotInterestedMessage { type: 'not-interested', content: CID }
/** The sender will reject the receiver's requests until it sends `unchoke`. */
export interface ChokeMessage { type: 'choke' }
/** The sender will serve the receiver's requests. */
export interface UnchokeMessage { type: 'unchoke' }
/** Addresses of other peers in a content's swarm (peer exchange). */
export interface PeersMessage { type: 'peers', content: CID, addresses: string[] }

/** Asks for the leaf data block of chunk `index` of a content. Answered by `data` or `reject`. */
export interface RequestChunkMessage { type: 'request-chunk', id: number, content: CID, index: number }
/** Asks for one block of a content's DAG by its CID (manifest nodes). Answered by `data` or `reject`. */
export interface RequestBlockMessage { type: 'request-block', id: number, content: CID, block: CID }
/** The block answering request `id`. `bytes` is the exact block whose hash is the requested CID. */
export interface DataMessage { type: 'data', id: number, bytes: Uint8Array }
/** Request `id` will not be answered. */
export interface RejectMessage { type: 'reject', id: number, code: RejectCode, reason: string }
/** The sender no longer wants the answer to request `id`. */
export interface CancelMessage { type: 'cancel', id: number }

/** Every message of the wire protocol. PROTOCOL.md documents their encoding byte by byte. */
export type WireMessage =
  | HelloMessage | GoodbyeMessage
  | BitfieldMessage | HaveMessage | InterestedMessage | NotInterestedMessage
  | ChokeMessage | UnchokeMessage | PeersMessage
  | RequestChunkMessage | RequestBlockMessage | DataMessage | RejectMessage | CancelMessage

/** Messages that open a request; each has an `id` answered by a `data` or `reject` message. */
export type RequestMessage = RequestChunkMessage | RequestBlockMessage
/** Messages that answer a request. */
export type ResponseMessage = DataMessage | RejectMessage

/** Frame type bytes. */
export const MessageType = {
  hello: 0x01,
  goodbye: 0x02,
  bitfield: 0x10,
  have: 0x11,
  interested: 0x12,
  'not-interested': 0x13,
  choke: 0x14,
  unchoke: 0x15,
  peers: 0x16,
  'request-chunk': 0x20,
  'request-block': 0x21,
  data: 0x22,
  reject: 0x23,
  cancel: 0x24
} as const satisfies Record<WireMessage['type'], number>
