// Two (or three) discoveries against a real bittorrent-tracker Server on loopback, over HTTP and
// over UDP: what one provides the others find, CIDv0 and CIDv1 meet, stop() takes the listing back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DiscoveryStoppedError } from '../src/index.js'
import { DEFAULT_REPROVIDE_INTERVAL, MIN_REPROVIDE_INTERVAL, infoHashOf } from '../src/index.js'
import { addressesOf, bothVersions, contentId, lookup, makeDiscovery, recordingLogger, startTracker, within } from './helpers.js'
import type { Discovery, ContentId } from '@codio-chunk/interface'

type Tracker = Awaited<ReturnType<typeof startTracker>>

describe.each(['http', 'udp'] as const)('against a bittorrent-tracker Server over %s', (protocol) => {
  let tracker: Tracker
  let announce: string[]
  // Each test its own ports, since a node filters out every peer at its own port on this machine.
  let nextPort = protocol === 'http' ? 41_000 : 42_000
  const port = (): number => nextPort++
  const running: Discovery[] = []

  const node = (listen: string[] = [], logger = recordingLogger().factory): Discovery => {
    const discovery = makeDiscovery({ announce, timeout: 5000 }, listen, logger)
    running.push(discovery)
    return discovery
  }
  /** The `ip:port` entries the tracker holds for `cid`. */
  const listed = (cid: ContentId): string[] => {
    const swarm = tracker.server.torrents[Buffer.from(infoHashOf(cid)).toString('hex')]
    return swarm === undefined ? [] : [...swarm.peers.keys].sort()
  }

  beforeAll(async () => {
    tracker = await startTracker()
    announce = [protocol === 'http' ? tracker.http : tracker.udp]
  })

  afterAll(async () => {
    await Promise.all(running.map(async d => await d.stop()))
    await tracker.close()
  })

  it('finds the tcp address of a node that provides the content, and never the finder itself', async () => {
    const cid = contentId(`${protocol} provide and find`)
    const seederPort = port()
    const finderPort = port()
    const seeder = node([`tcp://127.0.0.1:${seederPort}`, `quic://127.0.0.1:${port()}`])
    const finder = node([`tcp://127.0.0.1:${finderPort}`])
    await seeder.start()
    await finder.start()
    await seeder.provide(cid)
    expect(listed(cid)).toEqual([`127.0.0.1:${seederPort}`])

    expect(addressesOf(await lookup(finder, cid))).toEqual([`tcp://127.0.0.1:${seederPort}`])
    // The finder is listed as a looker now (the tracker answered it with itself too; it was dropped).
    expect(listed(cid)).toEqual([`127.0.0.1:${seederPort}`, `127.0.0.1:${finderPort}`].sort())
    const records = await lookup(finder, cid)
    expect(records).toEqual([{ addresses: [`tcp://127.0.0.1:${seederPort}`] }])
  })

  it('lets a node with no tcp address look up, and takes its placeholder listing back at once', async () => {
    const cid = contentId(`${protocol} no tcp finder`)
    const seederPort = port()
    const seeder = node([`tcp://127.0.0.1:${seederPort}`])
    const { factory, lines } = recordingLogger()
    const finder = node([], factory)
    await finder.start()
    expect(lines.some(l => l.startsWith('codio-chunk:discovery-tracker ') && l.includes('no tcp:// listen address'))).toBe(true)
    await seeder.provide(cid)
    expect(addressesOf(await lookup(finder, cid))).toEqual([`tcp://127.0.0.1:${seederPort}`])
    await within((async () => {
      while (listed(cid).length !== 1) await new Promise(resolve => setTimeout(resolve, 10))
    })(), 'the placeholder listing to go')
    expect(listed(cid)).toEqual([`127.0.0.1:${seederPort}`])
  })

  it('meets at one swarm for the CIDv0 and the CIDv1 of one content', async () => {
    const { v0, v1 } = bothVersions(`${protocol} v0 v1`)
    const seederPort = port()
    const seeder = node([`tcp://127.0.0.1:${seederPort}`])
    await seeder.provide(v0)
    expect(addressesOf(await lookup(node(), v1))).toEqual([`tcp://127.0.0.1:${seederPort}`])
  })

  it('does not find a node after it stopped, and stop() is idempotent', async () => {
    const cid = contentId(`${protocol} stop`)
    const seederPort = port()
    const seeder = node([`tcp://127.0.0.1:${seederPort}`])
    const finder = node()
    await seeder.start()
    await seeder.provide(cid)
    expect(addressesOf(await lookup(finder, cid))).toEqual([`tcp://127.0.0.1:${seederPort}`])
    await within(seeder.stop(), 'stop')
    await within(seeder.stop(), 'a second stop')
    expect(listed(cid)).toEqual([])
    expect(await lookup(finder, cid)).toEqual([])
    await expect(seeder.provide(cid)).rejects.toBeInstanceOf(DiscoveryStoppedError)
    expect(await lookup(seeder, cid)).toEqual([])
    // Started again, it announces again.
    await seeder.start()
    await seeder.provide(cid)
    expect(addressesOf(await lookup(finder, cid))).toEqual([`tcp://127.0.0.1:${seederPort}`])
  })

  it('takes back the looker listings of a node too when it stops', async () => {
    const cid = contentId(`${protocol} looker stop`)
    const lookerPort = port()
    const looker = node([`tcp://127.0.0.1:${lookerPort}`])
    expect(await lookup(looker, cid)).toEqual([])
    expect(listed(cid)).toEqual([`127.0.0.1:${lookerPort}`])
    await looker.stop()
    expect(listed(cid)).toEqual([])
  })

  it('stays a seeder when it looks up what it provides, and turns a looker into a seeder', async () => {
    const cid = contentId(`${protocol} seeder lookup`)
    const swarm = (): { complete: number, incomplete: number } => tracker.server.torrents[Buffer.from(infoHashOf(cid)).toString('hex')]
    const a = node([`tcp://127.0.0.1:${port()}`])
    expect(await lookup(a, cid)).toEqual([])
    expect(swarm()).toMatchObject({ complete: 0, incomplete: 1 })
    await a.provide(cid) // event=completed
    expect(swarm()).toMatchObject({ complete: 1, incomplete: 0 })
    await lookup(a, cid)
    await a.provide(cid) // a regular announce
    expect(swarm()).toMatchObject({ complete: 1, incomplete: 0 })
  })

  it('resolves provide() without announcing when the node has no tcp listen address, and says so in its log', async () => {
    const cid = contentId(`${protocol} no tcp provide`)
    const { factory, lines } = recordingLogger()
    const quicOnly = node([`quic://127.0.0.1:${port()}`], factory)
    await quicOnly.provide(cid)
    expect(listed(cid)).toEqual([])
    expect(lines.some(l => l.includes('no tcp:// listen address'))).toBe(true)
  })

  it('reprovides at the interval the tracker asks for, bounded', async () => {
    const slow = await startTracker(7 * 60_000)
    const fast = await startTracker(5_000)
    try {
      const url = (t: Tracker): string => protocol === 'http' ? t.http : t.udp
      const one = makeDiscovery({ announce: [url(slow)] }, [`tcp://127.0.0.1:${port()}`])
      expect(one.reprovideInterval).toBe(DEFAULT_REPROVIDE_INTERVAL)
      await one.provide(contentId(`${protocol} interval`))
      expect(one.reprovideInterval).toBe(7 * 60_000)
      const two = makeDiscovery({ announce: [url(slow), url(fast)] }, [`tcp://127.0.0.1:${port()}`])
      await two.provide(contentId(`${protocol} interval`))
      expect(two.reprovideInterval).toBe(MIN_REPROVIDE_INTERVAL)
      await Promise.all([one.stop(), two.stop()])
    } finally {
      await Promise.all([slow.close(), fast.close()])
    }
  })
})

describe('against a bittorrent-tracker Server over HTTP on IPv6', () => {
  it('finds a provider at an IPv6 address (compact peers6)', async () => {
    const tracker = await startTracker(undefined, '::1')
    try {
      const cid = contentId('ipv6')
      const seeder = makeDiscovery({ announce: [tracker.http] }, ['tcp://[::1]:43101'])
      const finder = makeDiscovery({ announce: [tracker.http] })
      await seeder.provide(cid)
      expect(addressesOf(await lookup(finder, cid))).toEqual(['tcp://[::1]:43101'])
      await Promise.all([seeder.stop(), finder.stop()])
    } finally {
      await tracker.close()
    }
  })
})

describe('against an HTTP and a UDP tracker at once', () => {
  it('yields each provider once, whichever tracker lists it', async () => {
    const first = await startTracker()
    const second = await startTracker()
    try {
      const cid = contentId('two trackers')
      const announce = [first.http, second.udp]
      const seeder = makeDiscovery({ announce }, ['tcp://127.0.0.1:43001'])
      const other = makeDiscovery({ announce: [second.http] }, ['tcp://127.0.0.1:43002'])
      const finder = makeDiscovery({ announce })
      await seeder.provide(cid)
      await other.provide(cid)
      expect(addressesOf(await lookup(finder, cid))).toEqual(['tcp://127.0.0.1:43001', 'tcp://127.0.0.1:43002'])
      await Promise.all([seeder.stop(), other.stop(), finder.stop()])
    } finally {
      await Promise.all([first.close(), second.close()])
    }
  })
})
