import { describe, expect, it } from 'vitest'
import { ChunkDistributor } from '../src/node/distributor.js'
import { ChunkConfig } from '../src/config.js'
import { memoryStorage } from '../src/memory-storage.js'
import { DialError } from '@codio-chunk/interface'
import type { StorageComponents, Transport, Verifier } from '@codio-chunk/interface'

/** A transport that never connects: enough for a node that is only created and stopped. */
const noTransport = (): Transport => ({
  name: 'none',
  protocols: ['none'],
  listen: async () => { throw new DialError('no transport in this test') },
  dial: async () => { throw new DialError('no transport in this test') }
})

const fakeVerifier = (name: string, code: number): Verifier => ({
  name,
  code,
  digestLength: 32,
  digest: () => new Uint8Array(32),
  digestMany: async (inputs) => inputs.map(() => new Uint8Array(32))
})

describe('ChunkDistributor components', () => {
  it('hands its storage the node\'s verifiers, so a storage can check what it reads back', async () => {
    const verifiers = [fakeVerifier('first', 0x1e), fakeVerifier('second', 0x12)]
    let seen: StorageComponents | undefined
    const node = await ChunkDistributor.create(ChunkConfig.default(), {
      transports: [noTransport],
      verifier: verifiers,
      storage: (components) => {
        seen = components
        return memoryStorage()(components)
      }
    })
    try {
      expect(seen?.verifiers?.map(v => v.name)).toEqual(['first', 'second'])
      expect(node.components.verifiers?.map(v => v.code)).toEqual([0x1e, 0x12])
    } finally {
      await node.stop()
    }
  })
})
