// The routing table kept in a state file: a restart starts from it (even when the bootstrap node
// is dead), a corrupt or oversized file is ignored with a log line, writes are atomic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createSocket } from 'node:dgram'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PeerIdentity, createComponents } from '@codio-chunk/protocol'
import { dhtDiscovery, MAX_STATE_BYTES } from '../src/index.js'
import { loadState, saveState, StateFileError } from '../src/state-file.js'
import { startLocalDht } from './helpers/local-dht.js'
import { captureLogs, testCid } from './helpers/components.js'
import type { DhtDiscovery, DhtDiscoveryInit } from '../src/index.js'
import type { LocalDht } from './helpers/local-dht.js'
import type { ProviderRecord } from '@codio-chunk/interface'

let network: LocalDht
let dir: string
let deadBootstrap: string
const discoveries: DhtDiscovery[] = []

beforeAll(async () => {
  network = await startLocalDht({ count: 10 })
  dir = await mkdtemp(join(tmpdir(), 'discovery-dht-'))
  // A port nothing listens on: bound, noted, closed.
  const socket = createSocket('udp4')
  await new Promise<void>(resolve => { socket.bind(0, '127.0.0.1', resolve) })
  deadBootstrap = `127.0.0.1:${socket.address().port}`
  await new Promise<void>(resolve => { socket.close(resolve) })
})

afterAll(async () => {
  await Promise.all(discoveries.map(async d => { await d.stop() }))
  await network?.stop()
  await rm(dir, { recursive: true, force: true })
})

// Short query timeouts: nodes stopped by earlier tests stay in the network's tables, and every
// lookup that reaches one waits for its timeout.
function make (init: DhtDiscoveryInit, identity = PeerIdentity.generate(), addresses = ['tcp://127.0.0.1:4001']): { discovery: DhtDiscovery, lines: string[] } {
  const { logger, lines } = captureLogs()
  const discovery = dhtDiscovery({ host: '127.0.0.1', bootstrapTimeout: 3000, queryTimeout: 500, ...init })(createComponents({ identity, logger, addresses: () => addresses }))
  discoveries.push(discovery)
  return { discovery, lines }
}

describe('the state file', () => {
  it('seeds the routing table on restart, so a node whose bootstrap is dead still finds providers', async () => {
    const file = join(dir, 'nested', 'dht-state.json')
    const identity = PeerIdentity.generate()
    const first = make({ bootstrap: network.bootstrap, stateFile: file }, identity)
    await first.discovery.start()
    const cid = testCid('state file')
    await first.discovery.provide(cid)
    expect(await loadState(file)).toBeUndefined() // nothing written before stop (the periodic save is 5 minutes away)
    await first.discovery.stop()
    const state = await loadState(file)
    expect(state?.nodes.length).toBeGreaterThanOrEqual(9)
    expect(state?.seq).toBeGreaterThan(0)
    expect((await readdir(join(dir, 'nested'))).filter(name => name.endsWith('.tmp'))).toEqual([])

    const provider = make({ bootstrap: network.bootstrap }, undefined, ['tcp://127.0.0.1:4002'])
    await provider.discovery.start()
    await provider.discovery.provide(cid)

    // Same identity, same file, and a bootstrap node that never answers.
    const second = make({ bootstrap: [deadBootstrap], stateFile: file }, identity)
    await second.discovery.start({ signal: AbortSignal.timeout(10_000) })
    expect(second.discovery.nodeCount).toBeGreaterThan(0)
    expect(second.lines).toContain(`read ${state?.nodes.length ?? -1} DHT nodes from ${file}`)
    const found: ProviderRecord[] = []
    for await (const record of second.discovery.findProviders(cid, { signal: AbortSignal.timeout(10_000) })) found.push(record)
    expect(found).toEqual([{ peerId: expect.any(String), addresses: ['tcp://127.0.0.1:4002'] }])
    // Its record is signed with a sequence number above the one it used before the restart.
    await second.discovery.provide(cid)
    await second.discovery.stop()
    expect((await loadState(file))?.seq).toBeGreaterThan(state?.seq ?? Infinity)
  })

  it('is written periodically while the node runs', async () => {
    const file = join(dir, 'periodic.json')
    const { discovery } = make({ bootstrap: network.bootstrap, stateFile: file, stateSaveInterval: 1000 })
    await discovery.start()
    await new Promise(resolve => setTimeout(resolve, 1300))
    expect((await loadState(file))?.nodes.length).toBeGreaterThan(0)
  })

  it('is ignored with a log line when it is corrupt, oversized or not a state', async () => {
    const cases: Array<[string, string | Buffer, string]> = [
      ['corrupt.json', '{"version": 1, "nodes": [', 'is not JSON'],
      ['oversized.json', Buffer.alloc(MAX_STATE_BYTES + 1, 0x20), `over the ${MAX_STATE_BYTES} a state file may have`],
      ['shape.json', '{"version": 1, "nodes": "everyone"}', 'is not a DHT state file'],
      ['version.json', '{"version": 2, "nodes": []}', 'is not a DHT state file']
    ]
    for (const [name, content, message] of cases) {
      const file = join(dir, name)
      await writeFile(file, content)
      const { discovery, lines } = make({ bootstrap: network.bootstrap, stateFile: file })
      await discovery.start({ signal: AbortSignal.timeout(10_000) })
      expect(lines.find(l => l.startsWith('ignoring the DHT state file')), name).toContain(message)
      expect(discovery.nodeCount, name).toBeGreaterThan(0) // bootstrapped the usual way
      await discovery.stop()
      // Replaced by a good one at stop.
      expect((await loadState(file))?.nodes.length, name).toBeGreaterThan(0)
    }
  })

  it('skips entries that are not nodes and keeps the others', async () => {
    const file = join(dir, 'entries.json')
    const good = { id: 'ab'.repeat(20), host: '10.1.2.3', port: 6881 }
    await writeFile(file, JSON.stringify({
      version: 1,
      nodes: [good, { id: 'xyz', host: '10.1.2.3', port: 1 }, { id: 'ab'.repeat(20), host: '::1', port: 1 }, { id: 'cd'.repeat(20), host: '10.1.2.3', port: 70000 }, null, 'node']
    }))
    const state = await loadState(file)
    expect(state?.nodes).toEqual([{ id: new Uint8Array(Buffer.from(good.id, 'hex')), host: good.host, port: good.port }])
    expect(state?.seq).toBeUndefined()
    await expect(loadState(join(dir, 'missing.json'))).resolves.toBeUndefined()
    await writeFile(join(dir, 'bad.json'), 'nope')
    await expect(loadState(join(dir, 'bad.json'))).rejects.toBeInstanceOf(StateFileError)
  })

  it('round-trips through saveState', async () => {
    const file = join(dir, 'round-trip.json')
    const nodes = [{ id: new Uint8Array(20).fill(7), host: '192.0.2.1', port: 6881 }]
    await saveState(file, { key: 'ef'.repeat(32), seq: 42, nodes })
    expect(await loadState(file)).toEqual({ key: 'ef'.repeat(32), seq: 42, nodes })
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ version: 1, nodes: [{ id: '07'.repeat(20), host: '192.0.2.1', port: 6881 }] })
  })

  it('is not needed: without one, a node with a dead bootstrap starts empty and says so', async () => {
    const { discovery, lines } = make({ bootstrap: [deadBootstrap], bootstrapTimeout: 500 })
    await discovery.start()
    expect(discovery.nodeCount).toBe(0)
    expect(lines.some(l => l.startsWith('no bootstrap node answered'))).toBe(true)
    const found: ProviderRecord[] = []
    for await (const record of discovery.findProviders(testCid('anything'))) found.push(record)
    expect(found).toEqual([])
  })
})
