import { describe, expect, it } from 'vitest'
import { AbortError, InvalidAddressError, InvalidConfigError, checkListenOptions, checkPositiveInteger } from '../src/index.js'
import type { ListenOptions } from '../src/index.js'

const onConnection = (): void => {}

describe('transport option checks', () => {
  it('checkPositiveInteger passes positive safe integers and names the option otherwise', () => {
    expect(checkPositiveInteger(1, 'closeTimeout')).toBe(1)
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => checkPositiveInteger(bad, 'closeTimeout')).toThrow(InvalidConfigError)
    }
    expect(() => checkPositiveInteger(0, 'closeTimeout')).toThrow(/closeTimeout must be a positive integer, got 0/)
  })

  it('checkListenOptions returns the frame limit and refuses what every listen() refuses', () => {
    expect(checkListenOptions('tcp://127.0.0.1:0', { onConnection }, 1024)).toBe(1024)
    expect(checkListenOptions('tcp://127.0.0.1:0', { onConnection, maxFrameSize: 77 }, 1024)).toBe(77)
    expect(() => checkListenOptions('tcp://127.0.0.1:0', {} as unknown as ListenOptions, 1024)).toThrow(/onConnection/)
    expect(() => checkListenOptions('tcp://127.0.0.1:0', { onConnection, maxFrameSize: 0 }, 1024)).toThrow(InvalidConfigError)
    expect(() => checkListenOptions('tcp://127.0.0.1:0', { onConnection, signal: AbortSignal.abort() }, 1024)).toThrow(AbortError)
    expect(checkListenOptions('quic://127.0.0.1:0/p2p/a', { onConnection }, 1024, { peerId: 'a', addressPeerId: 'a' })).toBe(1024)
    expect(() => checkListenOptions('quic://127.0.0.1:0/p2p/b', { onConnection }, 1024, { peerId: 'a', addressPeerId: 'b' })).toThrow(InvalidAddressError)
  })
})
