// Nodes that are given no address of each other, only a DHT on loopback: 20 plain bittorrent-dht
// nodes bootstrapped from the first of them, and codio-chunk nodes with dhtDiscovery() joining
// through that first node. The public DHT routers are never contacted.
import { createPublicKey, randomBytes, verify } from 'node:crypto'
import DHT from 'bittorrent-dht'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dhtDiscovery } from '@codio-chunk/discovery-dht'
import type { ChunkDistributor, ProviderRecord } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll } from './swarm-helpers.js'
import { quinn, tcp } from './transports.js'

const DHT_NODES = 20
const nodes: ChunkDistributor[] = []
let dht: DHT[] = []
let bootstrap: string[] = []

/** Ed25519 signature check for BEP 44 puts (the plain nodes store signed records too). */
function verifyEd25519 (signature: Buffer, message: Buffer, publicKey: Buffer): boolean {
  try {
    const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]), format: 'der', type: 'spki' })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

async function listen (node: DHT): Promise<void> {
  node.on('error', () => {})
  node.on('warning', () => {})
  await new Promise<void>(resolve => { node.listen(0, '127.0.0.1', () => { resolve() }) })
}

beforeAll(async () => {
  const first = new DHT({ bootstrap: false, verify: verifyEd25519 })
  dht.push(first)
  await listen(first)
  bootstrap = [`127.0.0.1:${first.address().port}`]
  for (let i = 1; i < DHT_NODES; i++) {
    const node = new DHT({ bootstrap, verify: verifyEd25519 })
    dht.push(node)
    await listen(node)
  }
  // Each node looks up random ids until it knows a few others: every answer fills its table.
  const deadline = Date.now() + 15_000
  while (dht.some(node => node.nodes.count() < 8)) {
    if (Date.now() > deadline) throw new Error(`the loopback DHT did not fill in 15 s: ${dht.map(n => n.nodes.count()).join(',')}`)
    await Promise.all(dht.filter(node => node.nodes.count() < 8).map(async node => {
      await new Promise<void>(resolve => { node.lookup(randomBytes(20), () => { resolve() }) })
    }))
  }
}, 30_000)

afterAll(async () => {
  await stopAll(nodes)
  await Promise.all(dht.map(async node => { await new Promise<void>(resolve => { node.destroy(() => { resolve() }) }) }))
  dht = []
})

describe(`a DHT of ${DHT_NODES} nodes on loopback`, () => {
  it('lets a node given only a CID fetch content published on another, byte-identical', async () => {
    const seeder = await startNode({ discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })], config: { chunkSize: 64 * 1024 } })
    const downloader = await startNode({ listen: false, discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })] })
    nodes.push(seeder, downloader)
    const content = randomContent(2 * 1024 * 1024 + 5)
    const cid = await seeder.storeContent(content)
    await seeder.announced()

    const copy = await downloader.downloadContent(cid, [], { signal: AbortSignal.timeout(30_000) })

    expect(equalBytes(copy, content)).toBe(true)
    expect(downloader.peerStats().map(p => p.peerId)).toContain(seeder.peerId)
  })

  it('finds a node listening only on quinn:// through its signed record', async () => {
    const seeder = await startNode({ transport: quinn, discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })], config: { chunkSize: 64 * 1024 } })
    const downloader = await startNode({ transport: quinn, listen: false, discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })] })
    nodes.push(seeder, downloader)
    expect(seeder.addresses.every(a => a.startsWith('quinn://'))).toBe(true)
    const content = randomContent(512 * 1024 + 3)
    const cid = await seeder.storeContent(content)
    await seeder.announced()

    const found: ProviderRecord[] = []
    for await (const record of downloader.findProviders(cid, { signal: AbortSignal.timeout(15_000) })) {
      found.push(record)
      if (record.peerId === seeder.peerId) break
    }
    const record = found.find(r => r.peerId === seeder.peerId)
    expect(record?.addresses.some(a => a.startsWith('quinn://') && a.endsWith(`/p2p/${seeder.peerId}`))).toBe(true)

    const copy = await downloader.downloadContent(cid, [], { signal: AbortSignal.timeout(30_000) })
    expect(equalBytes(copy, content)).toBe(true)
  })

  it('meets CIDv0 and CIDv1 of one content at the same DHT key', async () => {
    const seeder = await startNode({ transport: tcp, discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })], config: { chunkSize: 64 * 1024, cidVersion: 0 } })
    const downloader = await startNode({ listen: false, discovery: [dhtDiscovery({ bootstrap, host: '127.0.0.1' })] })
    nodes.push(seeder, downloader)
    const content = randomContent(300 * 1024)
    const v0 = await seeder.storeContent(content)
    expect(v0.toString()).toMatch(/^Qm/)
    await seeder.announced()
    const found: ProviderRecord[] = []
    for await (const record of downloader.findProviders(v0.cid.toV1().toString(), { signal: AbortSignal.timeout(15_000) })) {
      found.push(record)
      if (record.peerId === seeder.peerId) break
    }
    expect(found.map(r => r.peerId)).toContain(seeder.peerId)
  })
})
