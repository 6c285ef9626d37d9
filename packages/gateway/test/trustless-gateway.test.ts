// Trustless gateway answers (raw blocks, CARs), the bafkqaaa probe and /routing/v1/providers: every
// block checked by hashing it against its CID, files rebuilt from CAR blocks with ipfs-unixfs-exporter.
import { afterEach, describe, expect, it } from 'vitest'
import { CarReader } from '@ipld/car'
import { exporter } from 'ipfs-unixfs-exporter'
import { CID } from 'multiformats/cid'
import { buildManifest } from '@codio-chunk/content'
import { equalBytes, get, hasCurl, curl, randomContent, startFixture, startNode, verifiesAgainst, type Fixture } from './helpers.js'
import { createGateway } from '../src/index.js'
import type { ChunkDistributor } from '@codio-chunk/engine'
import type { DiscoveryFactory, Manifest } from '@codio-chunk/interface'

let fixture: Fixture | undefined
const extra: Array<() => Promise<void>> = []
afterEach(async () => {
  await fixture?.stop()
  fixture = undefined
  for (const stop of extra.splice(0)) await stop()
})

const CHUNK = 1024 // small chunks: a two-level DAG (more than 174 leaves) stays small

interface ParsedCar {
  roots: CID[]
  blocks: Array<{ cid: CID, bytes: Uint8Array }>
}

async function parseCar (bytes: Uint8Array): Promise<ParsedCar> {
  const reader = await CarReader.fromBytes(bytes)
  const blocks: ParsedCar['blocks'] = []
  for await (const block of reader.blocks()) blocks.push(block)
  return { roots: await reader.getRoots(), blocks }
}

/** Rebuilds a file from CAR blocks with the IPFS exporter (which fails on a missing block). */
async function rebuild (root: CID, blocks: ParsedCar['blocks']): Promise<Uint8Array> {
  const store = new Map(blocks.map(b => [b.cid.toString(), b.bytes]))
  const blockstore = {
    get: async function * (cid: CID) {
      const bytes = store.get(cid.toString())
      if (bytes === undefined) throw new Error(`missing block ${cid.toString()}`)
      yield bytes
    }
  }
  const entry = await exporter(root, blockstore)
  if (entry.type !== 'file' && entry.type !== 'raw') throw new Error(`expected a file, got ${entry.type}`)
  const parts: Uint8Array[] = []
  for await (const part of entry.content()) parts.push(part)
  return new Uint8Array(Buffer.concat(parts))
}

function interiorKeys (manifest: Manifest): string[] {
  return manifest.blocks.map(b => b.cid.toString())
}

describe('trustless gateway: CAR', () => {
  it('answers ?format=car with a CARv1 of every block, each verifying against its CID, that rebuilds the file', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const content = randomContent(400 * CHUNK + 99)
    const cid = await fixture.seeder.storeContent(content)
    const res = await get(`${fixture.url}/ipfs/${cid.toString()}?format=car`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=n')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${cid.toString()}.car"`)
    expect(res.headers.get('etag')).toBe(`"${cid.toString()}.car.all.dups-n"`)
    const car = await parseCar(res.body)
    expect(car.roots.map(r => r.toString())).toEqual([cid.toString()])
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    expect(car.blocks.length).toBe(manifest.blocks.length + manifest.chunkCount)
    for (const block of car.blocks) expect(verifiesAgainst(block.cid, block.bytes), block.cid.toString()).toBe(true)
    // Depth-first: the root first, the first leaf right after the first level-1 node.
    expect(car.blocks[0].cid.equals(cid.cid)).toBe(true)
    expect(equalBytes(await rebuild(cid.cid, car.blocks), content)).toBe(true)
  })

  it('negotiates the CAR through Accept, says so with Content-Location, and sends duplicates once with dups=n or each time with dups=y', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const content = new Uint8Array(8 * CHUNK) // eight identical chunks: one leaf CID
    const cid = await fixture.seeder.storeContent(content)
    const once = await get(`${fixture.url}/ipfs/${cid.toString()}`, { Accept: 'application/vnd.ipld.car; version=1; order=dfs; dups=n' })
    expect(once.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=n')
    expect(once.headers.get('content-location')).toBe(`/ipfs/${cid.toString()}?format=car&dag-scope=all&car-dups=n`)
    const onceCar = await parseCar(once.body)
    expect(onceCar.blocks.length).toBe(2) // the root and the one leaf
    expect(equalBytes(await rebuild(cid.cid, onceCar.blocks), content)).toBe(true)
    const each = await get(`${fixture.url}/ipfs/${cid.toString()}?format=car&car-dups=y`)
    expect(each.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=y')
    expect((await parseCar(each.body)).blocks.length).toBe(9)
  })

  it('answers dag-scope=block with the root alone and entity-bytes with the blocks a byte range needs', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const content = randomContent(400 * CHUNK)
    const cid = await fixture.seeder.storeContent(content)
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const block = await parseCar((await get(`${fixture.url}/ipfs/${cid.toString()}?format=car&dag-scope=block`)).body)
    expect(block.blocks.map(b => b.cid.toString())).toEqual([cid.toString()])

    const res = await get(`${fixture.url}/ipfs/${cid.toString()}?format=car&entity-bytes=${200 * CHUNK + 5}:${201 * CHUNK}`)
    expect(res.headers.get('etag')).toBe(`"${cid.toString()}.car.entity.${200 * CHUNK + 5}-${201 * CHUNK}.dups-n"`)
    const ranged = await parseCar(res.body)
    const keys = ranged.blocks.map(b => b.cid.toString())
    expect(keys).toEqual([cid.toString(), interiorKeys(manifest)[2], manifest.chunkCid(200).toString(), manifest.chunkCid(201).toString()])
    for (const b of ranged.blocks) expect(verifiesAgainst(b.cid, b.bytes)).toBe(true)

    const tail = await parseCar((await get(`${fixture.url}/ipfs/${cid.toString()}?format=car&entity-bytes=-${CHUNK}:*`)).body)
    expect(tail.blocks.at(-1)?.cid.toString()).toBe(manifest.chunkCid(399).toString())
    expect((await get(`${fixture.url}/ipfs/${cid.toString()}?format=car&entity-bytes=${500 * CHUNK}:*`)).status).toBe(400)
    expect((await get(`${fixture.url}/ipfs/${cid.toString()}?format=car&entity-bytes=1:2:3`)).status).toBe(400)
  })

  it.skipIf(!hasCurl)('gives curl a CAR too, and refuses CAR variants it cannot write', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const content = randomContent(10 * CHUNK)
    const cid = await fixture.seeder.storeContent(content)
    const res = await curl(['-H', 'Accept: application/vnd.ipld.car', `${fixture.url}/ipfs/${cid.toString()}`])
    expect(res.status).toBe(200)
    expect(equalBytes(await rebuild(cid.cid, (await parseCar(res.body)).blocks), content)).toBe(true)
    expect((await curl(['-H', 'Accept: application/vnd.ipld.car; version=2', `${fixture.url}/ipfs/${cid.toString()}`])).status).toBe(406)
    expect((await curl([`${fixture.url}/ipfs/${cid.toString()}?format=car&car-version=2`])).status).toBe(400)
  })
})

describe('trustless gateway: raw blocks', () => {
  it('answers ?format=raw for the root, an interior node and a leaf, each hashing to its CID', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const content = randomContent(400 * CHUNK)
    const cid = await fixture.seeder.storeContent(content)
    const manifest = await buildManifest(content, { chunkSize: CHUNK })
    const rootRes = await get(`${fixture.url}/ipfs/${cid.toString()}?format=raw`)
    expect(rootRes.status).toBe(200)
    expect(rootRes.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    expect(rootRes.headers.get('etag')).toBe(`"${cid.toString()}.raw"`)
    expect(rootRes.headers.get('content-disposition')).toBe(`attachment; filename="${cid.toString()}.bin"`)
    expect(verifiesAgainst(cid.cid, rootRes.body)).toBe(true)
    // Blocks inside the content: the gateway node knows them from the manifest it fetched.
    for (const inner of [manifest.blocks[1].cid, manifest.chunkCid(0), manifest.chunkCid(250)]) {
      const res = await get(`${fixture.url}/ipfs/${inner.toString()}`, { Accept: 'application/vnd.ipld.raw' })
      expect(res.status, inner.toString()).toBe(200)
      expect(res.headers.get('content-location')).toBe(`/ipfs/${inner.toString()}?format=raw`)
      expect(verifiesAgainst(inner, res.body), inner.toString()).toBe(true)
    }
    // A block nobody can name a content for: 404 (peers are asked for blocks within a content).
    const stranger = (await buildManifest(randomContent(3 * CHUNK), { chunkSize: CHUNK })).chunkCid(1)
    expect((await get(`${fixture.url}/ipfs/${stranger.toString()}?format=raw`)).status).toBe(404)
  })

  it('answers a raw leaf that is a whole content (a single-chunk CIDv1 file) and a raw range', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const small = randomContent(500)
    const cid = await fixture.seeder.storeContent(small)
    expect(cid.cid.code).toBe(0x55)
    const res = await get(`${fixture.url}/ipfs/${cid.toString()}?format=raw`)
    expect(equalBytes(res.body, small)).toBe(true)
    const part = await get(`${fixture.url}/ipfs/${cid.toString()}?format=raw`, { Range: 'bytes=10-19' })
    expect(part.status).toBe(206)
    expect(equalBytes(part.body, small.subarray(10, 20))).toBe(true)
  })
})

describe('trustless gateway: probe', () => {
  it('answers GET and HEAD /ipfs/bafkqaaa (the empty identity CID) with 200, as raw, CAR and plain', async () => {
    fixture = await startFixture()
    const url = `${fixture.url}/ipfs/bafkqaaa`
    const raw = await get(`${url}?format=raw`)
    expect(raw.status).toBe(200)
    expect(raw.body.length).toBe(0)
    expect((await get(url, { Accept: 'application/vnd.ipld.raw' }, 'HEAD')).status).toBe(200)
    const car = await get(`${url}?format=car`)
    expect(car.status).toBe(200)
    const parsed = await parseCar(car.body)
    expect(parsed.roots.map(r => r.toString())).toEqual(['bafkqaaa'])
    expect(parsed.blocks).toEqual([])
    const plain = await get(url)
    expect(plain.status).toBe(200)
    expect(plain.body.length).toBe(0)
  })
})

/** A discovery that "finds" the given providers for every content. */
function fixedDiscovery (records: Array<{ peerId?: string, addresses: string[] }>): DiscoveryFactory {
  return () => ({
    name: 'fixed',
    async start () {},
    async stop () {},
    async provide () {},
    async * findProviders () { yield * records }
  })
}

describe('delegated routing: /routing/v1/providers', () => {
  it('lists the node itself once it holds the content, in the peer schema with multiaddrs', async () => {
    fixture = await startFixture({ chunkSize: CHUNK })
    const cid = await fixture.seeder.storeContent(randomContent(5 * CHUNK))
    const before = await get(`${fixture.url}/routing/v1/providers/${cid.toString()}`)
    expect(before.status).toBe(200)
    expect(before.headers.get('content-type')).toBe('application/json')
    expect(JSON.parse(new TextDecoder().decode(before.body))).toEqual({ Providers: [] })
    expect(before.headers.get('cache-control')).toBe('public, max-age=15')
    await get(`${fixture.url}/ipfs/${cid.toString()}`) // now the gateway node holds it
    const after = JSON.parse(new TextDecoder().decode((await get(`${fixture.url}/routing/v1/providers/${cid.toString()}`)).body))
    const port = new URL(fixture.node.addresses[0].replace('tcp://', 'http://')).port
    expect(after).toEqual({
      Providers: [{ Schema: 'peer', ID: fixture.node.peerId, Addrs: [`/ip4/127.0.0.1/tcp/${port}`], Protocols: ['codio-chunk'], 'codio-chunk': { addresses: fixture.node.addresses } }]
    })
  })

  it('adds what the node\'s discoveries find, naming address-only records by a connected peer\'s id, and streams ndjson on request', async () => {
    const seeder = await startNode({ chunkSize: CHUNK })
    const cid = await seeder.storeContent(randomContent(3 * CHUNK))
    const node: ChunkDistributor = await startNode({}, { discovery: [fixedDiscovery([{ addresses: seeder.addresses }, { peerId: '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV', addresses: ['quic://[::1]:4002'] }, { addresses: ['tcp://192.0.2.9:1'] }])] })
    await node.connect(seeder.addresses[0])
    const gateway = createGateway(node, { routingTimeout: 2000 })
    const { url } = await gateway.listen('127.0.0.1', 0)
    extra.push(async () => { await gateway.close(); await Promise.allSettled([node.stop(), seeder.stop()]) })
    const json = JSON.parse(new TextDecoder().decode((await get(`${url}/routing/v1/providers/${cid.toString()}`)).body)) as { Providers: Array<{ ID: string, Addrs: string[] }> }
    expect(json.Providers.map(p => p.ID)).toEqual([seeder.peerId, '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'])
    expect(json.Providers[1].Addrs).toEqual(['/ip6/::1/udp/4002/quic-v1'])
    const streamed = await get(`${url}/routing/v1/providers/${cid.toString()}`, { Accept: 'application/x-ndjson' })
    expect(streamed.headers.get('content-type')).toBe('application/x-ndjson')
    const lines = new TextDecoder().decode(streamed.body).trim().split('\n').map(l => JSON.parse(l) as { ID: string })
    expect(lines.map(l => l.ID)).toEqual([seeder.peerId, '12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV'])
  })

  it('answers a bad CID with 400 and other routing paths as the spec says', async () => {
    fixture = await startFixture()
    expect((await get(`${fixture.url}/routing/v1/providers/not-a-cid`)).status).toBe(400)
    expect((await get(`${fixture.url}/routing/v1/peers/12D3KooWGzh1MnVbQbnFpv6xYAsmEh4ixr7n5HZvqvPPRw6iVmPV`)).status).toBe(501)
    expect((await get(`${fixture.url}/routing/v1/nothing`)).status).toBe(400)
    expect((await get(`${fixture.url}/routing/v2/providers/bafkqaaa`)).status).toBe(400)
  })
})
