import { InvalidConfigError, DEFAULT_MAX_FRAME_SIZE, silentLoggerFactory } from '@codio-chunk/interface'
import { chunkBuffers } from './chunk-buffer-pool.js'
import { checkMaxFrameSize } from './frame-decoder.js'
import { PeerIdentity } from './identity.js'
import type { BufferPool, Components, Identity, LoggerFactory, Verifier } from '@codio-chunk/interface'

/** What {@link createComponents} may be given; everything has a default. */
export interface ComponentsInit {
  /** The node's key pair. Default: a new random identity. */
  identity?: Identity
  /** Default: silent. */
  logger?: LoggerFactory
  /** Default: the process-wide pool (`chunkBuffers`). */
  buffers?: BufferPool
  /** Default: {@link DEFAULT_MAX_FRAME_SIZE} (a 4 MiB chunk plus headers). */
  maxFrameSize?: number
  /**
   * The hash functions the node checks content with, e.g. `[sha256Verifier()]`; a storage that
   * verifies what it reads back uses them. Default: none (storage-fs then hashes SHA-256 itself).
   */
  verifiers?: readonly Verifier[]
  /** The node's listen addresses, asked each time they are needed. Default: none. */
  addresses?: () => readonly string[]
}

/**
 * The components of a node, for using plugins outside one (tests, tools, a custom host). A
 * `ChunkDistributor` builds its own from its config and hands them to its plugins.
 *
 * @example
 * ```ts
 * import { createComponents, PeerIdentity } from '@codio-chunk/protocol'
 * import { tcpTransport } from '@codio-chunk/transport-tcp'
 * const components = createComponents({ identity: PeerIdentity.generate() })
 * const tcp = tcpTransport()(components)
 * ```
 */
export function createComponents (init: ComponentsInit = {}): Components {
  const identity = init.identity ?? PeerIdentity.generate()
  if (typeof identity?.peerId !== 'string' || typeof identity.sign !== 'function') {
    throw new InvalidConfigError('components.identity must be a node identity such as PeerIdentity.generate() from @codio-chunk/protocol')
  }
  return Object.freeze({
    identity,
    logger: init.logger ?? silentLoggerFactory,
    buffers: init.buffers ?? chunkBuffers,
    maxFrameSize: checkMaxFrameSize(init.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE),
    verifiers: checkVerifiers(init.verifiers ?? []),
    addresses: checkAddresses(init.addresses)
  })
}

function checkAddresses (addresses: (() => readonly string[]) | undefined): () => readonly string[] {
  if (addresses === undefined) return () => []
  if (typeof addresses !== 'function') throw new InvalidConfigError('components.addresses must be a function returning the node\'s listen addresses')
  return addresses
}

/** A frozen copy of `verifiers`, after checking each looks like a Verifier. */
function checkVerifiers (verifiers: readonly Verifier[]): readonly Verifier[] {
  if (!Array.isArray(verifiers)) throw new InvalidConfigError('components.verifiers must be an array of verifiers, e.g. [sha256Verifier()] from @codio-chunk/verifier-sha256')
  for (const verifier of verifiers) {
    if (typeof verifier?.code !== 'number' || typeof verifier.digestMany !== 'function') {
      throw new InvalidConfigError('components.verifiers must hold verifiers (objects with code, digest and digestMany), e.g. sha256Verifier() from @codio-chunk/verifier-sha256')
    }
  }
  return Object.freeze([...verifiers])
}
