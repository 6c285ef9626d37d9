import { describe, expect, it } from 'vitest'
import { Bitfield } from '@codio-chunk/interface'
import { PeerHoldings } from '../src/peer-chunks.js'

describe('PeerHoldings', () => {
  it('counts haves and turns complete at the last chunk', () => {
    const peer = new PeerHoldings(3)
    expect(peer.complete).toBe(false)
    expect(peer.count).toBe(0)
    expect(peer.add(1)).toBe(true)
    expect(peer.add(1)).toBe(false)
    expect(peer.has(1)).toBe(true)
    expect(peer.has(0)).toBe(false)
    expect(peer.add(0)).toBe(true)
    expect(peer.complete).toBe(false)
    expect(peer.add(2)).toBe(true)
    expect(peer.complete).toBe(true)
    expect(peer.count).toBe(3)
    expect(peer.add(2)).toBe(false)
    expect([...peer.toBitfield()]).toEqual([0, 1, 2])
  })

  it('ignores indices a malicious peer sends out of range', () => {
    const peer = new PeerHoldings(8)
    for (const bad of [-1, 8, 1e9, 2.5, Number.NaN]) {
      expect(peer.add(bad)).toBe(false)
      expect(peer.has(bad)).toBe(false)
    }
    expect(peer.count).toBe(0)
  })

  it('takes a copy of a bitfield, and rejects one of the wrong length', () => {
    const peer = new PeerHoldings(10)
    const bits = new Bitfield(10)
    bits.set(4)
    bits.set(9)
    peer.setBitfield(bits)
    bits.set(0)
    expect(peer.count).toBe(2)
    expect(peer.has(0)).toBe(false)
    expect(peer.nextHeld(0)).toBe(4)
    expect(peer.nextHeld(5)).toBe(9)
    expect(() => { peer.setBitfield(new Bitfield(11)) }).toThrow(RangeError)
    peer.setBitfield(Bitfield.full(10))
    expect(peer.complete).toBe(true)
  })

  it('a seeder answers without a bitfield', () => {
    const peer = new PeerHoldings(1_000_000)
    peer.markComplete()
    expect(peer.complete).toBe(true)
    expect(peer.count).toBe(1_000_000)
    expect(peer.has(999_999)).toBe(true)
    expect(peer.has(1_000_000)).toBe(false)
    expect(peer.nextHeld(12)).toBe(12)
    expect(peer.add(5)).toBe(false)
    expect(peer.toBitfield().complete).toBe(true)
  })
})
