import { BencodeError, decode, encodedLength } from './bencode.js'
import type { BDict, BValue } from './bencode.js'

/**
 * What a KRPC packet (BEP 5, BEP 44) must look like before the DHT library may see it. The library
 * trusts the types of the fields it reads: one `find_node` whose `target` is an integer throws
 * inside its UDP handler and ends the process, and an integer too large for a double makes its
 * bencode encoder print to the console. So every field the library reads is checked here, and
 * a packet that fails is dropped.
 */

/** Length of a DHT node id and of an info hash / BEP 44 target (SHA-1). */
export const ID_LENGTH = 20
/** Largest bencoded BEP 44 value (`v`) stored or accepted, in bytes (BEP 44 says under 1000). */
export const MAX_VALUE_BYTES = 1000
/** Longest transaction id accepted (real clients use 2 to 4 bytes). */
const MAX_TRANSACTION_ID = 16
/** Longest write token accepted (bittorrent-dht: 20 bytes; libtorrent: 4). */
const MAX_TOKEN = 64
/** Longest BEP 44 salt (BEP 44: 64 bytes). */
const MAX_SALT = 64
/** Longest query name accepted. */
const MAX_QUERY_NAME = 32
/** Deepest nesting in a KRPC packet; a BEP 44 value may nest, real messages stay under 5. */
const MAX_DEPTH = 24

/** A packet that passed: its kind and, for a query, its name and arguments. */
export type KrpcVerdict =
  | { ok: true, kind: 'query', query: string, args: BDict }
  | { ok: true, kind: 'response', reply: BDict }
  | { ok: true, kind: 'error' }
  | { ok: false, reason: string }

/**
 * Decodes and checks one UDP packet. Pure; never throws.
 *
 * @example
 * ```ts
 * import { inspectPacket } from './krpc-schema.js'
 * const ping = new TextEncoder().encode('d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe')
 * inspectPacket(ping) // { ok: true, kind: 'query', query: 'ping', args: Map { 'id' => … } }
 * ```
 */
export function inspectPacket (packet: Uint8Array): KrpcVerdict {
  let message: BValue
  try {
    message = decode(packet, { maxDepth: MAX_DEPTH })
  } catch (err) {
    return fail(`not bencode: ${(err as BencodeError).message}`)
  }
  if (!(message instanceof Map)) return fail('not a dictionary')
  const problem = findProtoKey(message)
  if (problem !== undefined) return fail(problem)
  const t = message.get('t')
  if (!isBytes(t, 1, MAX_TRANSACTION_ID)) return fail('bad transaction id')
  const y = text(message.get('y'))
  if (y === 'q') return checkQuery(message)
  if (y === 'r') return checkResponse(message, t)
  if (y === 'e') return t.length >= 2 ? { ok: true, kind: 'error' } : fail('bad transaction id')
  return fail('unknown message type')
}

function checkQuery (message: BDict): KrpcVerdict {
  const query = text(message.get('q'), MAX_QUERY_NAME)
  if (query === undefined) return fail('query without a name')
  const args = message.get('a')
  if (!(args instanceof Map)) return fail(`${query} without arguments`)
  if (!isBytes(args.get('id'), ID_LENGTH, ID_LENGTH)) return fail(`${query} with a bad node id`)
  const problem = queryProblem(query, args)
  return problem === undefined ? { ok: true, kind: 'query', query, args } : fail(`${query}: ${problem}`)
}

function queryProblem (query: string, args: BDict): string | undefined {
  switch (query) {
    case 'ping':
      return undefined
    case 'find_node':
      return isBytes(args.get('target'), ID_LENGTH, ID_LENGTH) ? undefined : 'bad target'
    case 'get_peers':
      return isBytes(args.get('info_hash'), ID_LENGTH, ID_LENGTH) ? undefined : 'bad info_hash'
    case 'announce_peer': {
      if (!isBytes(args.get('info_hash'), ID_LENGTH, ID_LENGTH)) return 'bad info_hash'
      if (!isBytes(args.get('token'), 1, MAX_TOKEN)) return 'bad token'
      if (!optionalInteger(args.get('port'), 0, 65535)) return 'bad port'
      if (!optionalInteger(args.get('implied_port'), 0, 1)) return 'bad implied_port'
      return undefined
    }
    case 'get':
      if (!isBytes(args.get('target'), ID_LENGTH, ID_LENGTH)) return 'bad target'
      return optionalInteger(args.get('seq'), 0, Number.MAX_SAFE_INTEGER) ? undefined : 'bad seq'
    case 'put':
      return putProblem(args)
    default:
      return undefined // unknown queries are ignored by the library, as BEP 5 allows
  }
}

function putProblem (args: BDict): string | undefined {
  if (!isBytes(args.get('token'), 1, MAX_TOKEN)) return 'bad token'
  const v = args.get('v')
  if (v === undefined) return 'no value'
  if (encodedLength(v) > MAX_VALUE_BYTES) return `value over ${MAX_VALUE_BYTES} bytes`
  const k = args.get('k')
  const sig = args.get('sig')
  if (k === undefined && sig === undefined) return args.has('seq') || args.has('salt') ? 'mutable fields without a key' : undefined
  if (!isBytes(k, 32, 32)) return 'bad key'
  if (!isBytes(sig, 64, 64)) return 'bad signature'
  if (!isInteger(args.get('seq'), 0, Number.MAX_SAFE_INTEGER)) return 'bad seq'
  if (args.has('salt') && !isBytes(args.get('salt'), 1, MAX_SALT)) return 'bad salt'
  if (!optionalInteger(args.get('cas'), 0, Number.MAX_SAFE_INTEGER)) return 'bad cas'
  return undefined
}

function checkResponse (message: BDict, t: Uint8Array): KrpcVerdict {
  if (t.length < 2) return fail('bad transaction id')
  const reply = message.get('r')
  if (!(reply instanceof Map)) return fail('response without a body')
  if (!isBytes(reply.get('id'), ID_LENGTH, ID_LENGTH)) return fail('response with a bad node id')
  if (reply.has('nodes') && !isBytes(reply.get('nodes'), 0, Infinity)) return fail('bad nodes')
  if (reply.has('token') && !isBytes(reply.get('token'), 1, MAX_TOKEN)) return fail('bad token')
  const values = reply.get('values')
  if (values !== undefined && !(Array.isArray(values) && values.every(peer => isBytes(peer, 6, 6)))) return fail('bad values')
  if (reply.has('k') && !isBytes(reply.get('k'), 32, 32)) return fail('bad key')
  if (reply.has('sig') && !isBytes(reply.get('sig'), 64, 64)) return fail('bad signature')
  if (reply.has('seq') && !isInteger(reply.get('seq'), 0, Number.MAX_SAFE_INTEGER)) return fail('bad seq')
  const v = reply.get('v')
  if (v !== undefined && encodedLength(v) > MAX_VALUE_BYTES) return fail(`value over ${MAX_VALUE_BYTES} bytes`)
  return { ok: true, kind: 'response', reply }
}

/** A `__proto__` key anywhere would reach an object literal in the library's decoder. */
function findProtoKey (value: BValue): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findProtoKey(item)
      if (found !== undefined) return found
    }
  } else if (value instanceof Map) {
    for (const [key, item] of value) {
      if (key === '__proto__') return 'a __proto__ key'
      const found = findProtoKey(item)
      if (found !== undefined) return found
    }
  }
  return undefined
}

function fail (reason: string): KrpcVerdict {
  return { ok: false, reason }
}

/** True for a byte string of `min` to `max` bytes. */
export function isBytes (value: BValue | undefined, min: number, max: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length >= min && value.length <= max
}

function isInteger (value: BValue | undefined, min: number, max: number): value is number {
  return typeof value === 'number' && value >= min && value <= max
}

function optionalInteger (value: BValue | undefined, min: number, max: number): boolean {
  return value === undefined || isInteger(value, min, max)
}

/** A short ASCII byte string as text, else undefined. */
function text (value: BValue | undefined, max = 1): string | undefined {
  if (!isBytes(value, 1, max)) return undefined
  let out = ''
  for (const byte of value) {
    if (byte < 0x20 || byte > 0x7e) return undefined
    out += String.fromCharCode(byte)
  }
  return out
}
