// A DHT of plain bittorrent-dht nodes on 127.0.0.1, for tests: nothing leaves the machine.
import DHT from 'bittorrent-dht'
import { randomBytes } from 'node:crypto'
import { verifyEd25519 } from '../../src/signature.js'

export interface LocalDht {
  nodes: DHT[]
  /** `127.0.0.1:<port>` of the first node, the one the others bootstrapped from. */
  bootstrap: string[]
  stop: () => Promise<void>
}

export interface LocalDhtOptions {
  /** Nodes (default 20). */
  count?: number
  /** Store BEP 44 mutable items (check their signatures). Default true. */
  bep44?: boolean
  /** Contacts every node must have before the network counts as ready. Default min(8, count - 1). */
  minContacts?: number
  /** Longest to wait for that, ms. Default 10 000. */
  timeout?: number
}

/** Starts `count` nodes, the first one bootstrapping nobody, and waits until every routing table is populated. */
export async function startLocalDht (options: LocalDhtOptions = {}): Promise<LocalDht> {
  const count = options.count ?? 20
  const minContacts = options.minContacts ?? Math.min(8, count - 1)
  const deadline = Date.now() + (options.timeout ?? 10_000)
  const verify = options.bep44 === false ? undefined : (sig: Buffer, msg: Buffer, k: Buffer) => verifyEd25519(k, msg, sig)
  const nodes: DHT[] = []
  const first = new DHT({ bootstrap: false, verify })
  nodes.push(first)
  await listen(first)
  const bootstrap = [`127.0.0.1:${first.address().port}`]
  for (let i = 1; i < count; i++) {
    const node = new DHT({ bootstrap, verify })
    nodes.push(node)
    await listen(node)
  }
  await Promise.all(nodes.map(async node => { await ready(node, deadline) }))
  // Each node looks up its own id once: every answer adds its sender to the routing table.
  while (nodes.some(node => node.nodes.count() < minContacts)) {
    if (Date.now() > deadline) {
      await stopAll(nodes)
      throw new Error(`local DHT not populated in time: ${nodes.map(n => n.nodes.count()).join(',')}`)
    }
    await Promise.all(nodes.filter(node => node.nodes.count() < minContacts).map(async node => {
      await new Promise<void>(resolve => { node.lookup(randomBytes(20), () => { resolve() }) })
    }))
  }
  return { nodes, bootstrap, stop: async () => { await stopAll(nodes) } }
}

async function listen (node: DHT): Promise<void> {
  node.on('error', () => {})
  node.on('warning', () => {})
  await new Promise<void>(resolve => { node.listen(0, '127.0.0.1', () => { resolve() }) })
}

async function ready (node: DHT, deadline: number): Promise<void> {
  if (node.ready === true) return
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('a local DHT node did not bootstrap in time')) }, Math.max(0, deadline - Date.now()))
    node.once('ready', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

async function stopAll (nodes: DHT[]): Promise<void> {
  await Promise.all(nodes.map(async node => { await new Promise<void>(resolve => { node.destroy(() => { resolve() }) }) }))
}
