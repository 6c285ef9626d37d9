import { describe, expect, it } from 'vitest'
import { ChunkConfig } from '../src/index.js'
import { InvalidConfigError, type Strategy } from '@codio-chunk/interface'

const strategy: Strategy = { name: 'test', pick: () => undefined }

describe('ChunkConfig', () => {
  it('has the documented defaults', () => {
    const config = ChunkConfig.default()
    expect(config.maxConcurrentDownloads).toBe(10)
    expect(config.chunksPerPeer).toBe(4)
    expect(config.requestTimeout).toBe(30_000)
    expect(config.chunkSize).toBe(256 * 1024)
    expect(config.optimisticUnchokeInterval).toBe(30_000)
    expect(config.minUploadRatio).toBe(0.8)
    expect(config.cidVersion).toBe(1)
    expect(config.strategy).toBeUndefined()
    expect(config.toJSON().strategy).toBe('rarest-first')
  })

  it('builds from the builder and is immutable', () => {
    const config = ChunkConfig.builder()
      .maxConcurrentDownloads(20).chunksPerPeer(8).requestTimeout(60_000)
      .strategy(strategy).chunkSize(512 * 1024)
      .optimisticUnchokeInterval(30_000).minUploadRatio(0.8)
      .build()
    expect(config.maxConcurrentDownloads).toBe(20)
    expect(config.chunksPerPeer).toBe(8)
    expect(config.requestTimeout).toBe(60_000)
    expect(config.strategy).toBe(strategy)
    expect(config.chunkSize).toBe(512 * 1024)
    expect(Object.isFrozen(config)).toBe(true)
    expect(config.toBuilder().chunksPerPeer(2).build().chunksPerPeer).toBe(2)
    expect(config.chunksPerPeer).toBe(8)
  })

  it('rejects bad values with a message naming the option and its range', () => {
    expect(() => ChunkConfig.builder().chunksPerPeer(0)).toThrow(InvalidConfigError)
    expect(() => ChunkConfig.builder().chunksPerPeer(1.5)).toThrow(/chunksPerPeer must be an integer from 1/)
    expect(() => ChunkConfig.builder().chunkSize(100)).toThrow(/chunkSize/)
    expect(() => ChunkConfig.builder().requestTimeout(Number.NaN)).toThrow(/requestTimeout/)
    expect(() => ChunkConfig.builder().minUploadRatio(-1)).toThrow(/minUploadRatio/)
    expect(() => ChunkConfig.builder().cidVersion(2 as 0)).toThrow(/cidVersion must be 0 or 1/)
    expect(() => ChunkConfig.builder().strategy({} as Strategy)).toThrow(/Strategy object/)
    expect(() => ChunkConfig.from({ chunkSize: '1' as unknown as number })).toThrow(/chunkSize/)
    expect(() => ChunkConfig.from({ nope: 1 } as never)).toThrow(/Unknown configuration option "nope"/)
  })

  it('has upload and download limits in bytes per second, 0 (unlimited) by default', () => {
    const defaults = ChunkConfig.default()
    expect(defaults.uploadLimit).toBe(0)
    expect(defaults.downloadLimit).toBe(0)
    expect(ChunkConfig.from({ uploadLimit: 2_000_000 }).uploadLimit).toBe(2_000_000)
    const built = ChunkConfig.builder().uploadLimit(1.5e6).downloadLimit(4 * 1024 * 1024).build()
    expect(built.uploadLimit).toBe(1.5e6)
    expect(built.downloadLimit).toBe(4 * 1024 * 1024)
    expect(built.toJSON()).toMatchObject({ uploadLimit: 1.5e6, downloadLimit: 4 * 1024 * 1024 })
    expect(built.toBuilder().uploadLimit(0).build().uploadLimit).toBe(0)
    expect(() => ChunkConfig.builder().uploadLimit(-1)).toThrow(/uploadLimit must be a number from 0/)
    expect(() => ChunkConfig.builder().downloadLimit(Number.POSITIVE_INFINITY)).toThrow(InvalidConfigError)
    expect(() => ChunkConfig.from({ downloadLimit: Number.NaN })).toThrow(/downloadLimit/)
    expect(() => ChunkConfig.from({ uploadLimit: '1M' as unknown as number })).toThrow(/uploadLimit/)
    expect(() => ChunkConfig.from({ uploadLimt: 1 } as never)).toThrow(/Unknown configuration option "uploadLimt"/)
  })
})

describe('ChunkConfig choker options', () => {
  it('has BitTorrent\'s classic defaults: 4 regular slots, a rechoke every 10 s, snubbed after 60 s', () => {
    const defaults = ChunkConfig.default()
    expect(defaults.uploadSlots).toBe(4)
    expect(defaults.rechokeInterval).toBe(10_000)
    expect(defaults.snubTimeout).toBe(60_000)
    expect(defaults.toJSON()).toMatchObject({ uploadSlots: 4, rechokeInterval: 10_000, snubTimeout: 60_000 })
  })

  it('sets them through the builder and from a plain object', () => {
    const built = ChunkConfig.builder().uploadSlots(8).rechokeInterval(300).snubTimeout(2000).build()
    expect(built.uploadSlots).toBe(8)
    expect(built.rechokeInterval).toBe(300)
    expect(built.snubTimeout).toBe(2000)
    expect(built.toBuilder().uploadSlots(1).build().uploadSlots).toBe(1)
    expect(ChunkConfig.from({ uploadSlots: 2, rechokeInterval: 5000, snubTimeout: 30_000 })).toMatchObject({ uploadSlots: 2, rechokeInterval: 5000, snubTimeout: 30_000 })
  })

  it('rejects bad values with a message naming the option and its range', () => {
    expect(() => ChunkConfig.builder().uploadSlots(0)).toThrow(/uploadSlots must be an integer from 1 to 1000/)
    expect(() => ChunkConfig.builder().uploadSlots(2.5)).toThrow(InvalidConfigError)
    expect(() => ChunkConfig.builder().rechokeInterval(5)).toThrow(/rechokeInterval must be a number from 10/)
    expect(() => ChunkConfig.builder().snubTimeout(0)).toThrow(/snubTimeout/)
    expect(() => ChunkConfig.from({ snubTimeout: Number.POSITIVE_INFINITY })).toThrow(/snubTimeout/)
    expect(() => ChunkConfig.from({ rechokeInterval: '10s' as unknown as number })).toThrow(/rechokeInterval/)
  })
})

describe('ChunkConfig superSeed', () => {
  it('is off by default, set by the builder or a plain object, and only takes a boolean', () => {
    expect(ChunkConfig.default().superSeed).toBe(false)
    expect(ChunkConfig.default().toJSON()).toMatchObject({ superSeed: false })
    expect(ChunkConfig.builder().superSeed().build().superSeed).toBe(true)
    expect(ChunkConfig.builder().superSeed(true).build().toBuilder().superSeed(false).build().superSeed).toBe(false)
    expect(ChunkConfig.from({ superSeed: true }).superSeed).toBe(true)
    expect(() => ChunkConfig.from({ superSeed: 'yes' as unknown as boolean })).toThrow(/superSeed must be true or false/)
    expect(() => ChunkConfig.builder().superSeed(1 as unknown as boolean)).toThrow(InvalidConfigError)
  })
})
