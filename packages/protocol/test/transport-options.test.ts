import { describe, expect, it } from 'vitest'
import { AbortError, InvalidAddressError, InvalidConfigError } from '@codio-chunk/interface'
import { checkListenOptions, checkPositiveInteger } from '../src/index.js'
import type { ListenOptions } from '@codio-chunk/interface'

const onConnection = (): void => {}

describe('transport option checks', () => {
  it('checkPositiveInteger passes positive safe integers and names the option otherwise', () => {
    expect(checkPositiveInteger(1, 'closeTimeout')).toBe(1)
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      expect(() => checkPositiveInteger(bad, 'closeTimeout')).toThrow(InvalidConfigError)
    }
    expect(() => checkPositiveInteger(0, 'closeTimeout')).toThrow(/closeTimeout must be a positive integer, got 0/)
  })

  it('checkListenOptions refuses what every listen() refuses', () => {
    expect(() => { checkListenOptions('tcp://127.0.0.1:0', { onConnection }) }).not.toThrow()
    expect(() => { checkListenOptions('tcp://127.0.0.1:0', {} as unknown as ListenOptions) }).toThrow(/onConnection/)
    expect(() => { checkListenOptions('tcp://127.0.0.1:0', { onConnection, signal: AbortSignal.abort() }) }).toThrow(AbortError)
    expect(() => { checkListenOptions('quic://127.0.0.1:0/p2p/a', { onConnection }, { peerId: 'a', addressPeerId: 'a' }) }).not.toThrow()
    expect(() => { checkListenOptions('quic://127.0.0.1:0/p2p/b', { onConnection }, { peerId: 'a', addressPeerId: 'b' }) }).toThrow(InvalidAddressError)
  })
})
