import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseAddress, type ChunkDistributor } from '@codio-chunk/core'
import { equalBytes, randomContent, startNode, stopAll } from './swarm-helpers.js'

const nodes: ChunkDistributor[] = []
const servers: Server[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  await Promise.all(servers.splice(0).map(async s => await new Promise(resolve => s.close(resolve))))
  await stopAll(nodes)
})

/** A TCP relay to `target` that lets each connection through only after `delay` ms. */
async function slowRelay (target: string, delay: number): Promise<string> {
  const { host, port } = parseAddress(target)
  const server = createServer((inbound) => {
    sockets.push(inbound)
    inbound.pause()
    setTimeout(() => {
      const outbound = connect(port, host)
      sockets.push(outbound)
      outbound.on('error', () => { inbound.destroy() })
      inbound.on('error', () => { outbound.destroy() })
      inbound.pipe(outbound).pipe(inbound)
      inbound.resume()
    }, delay)
  })
  servers.push(server)
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return `tcp://127.0.0.1:${(server.address() as { port: number }).port}`
}

describe('providers', () => {
  it('waits for a slower provider when the first one to connect does not have the content', async () => {
    const CHUNK = 16 * 1024
    const content = randomContent(12 * CHUNK)
    const seeder = await startNode({ config: { chunkSize: CHUNK } })
    const empty = await startNode()
    const leecher = await startNode({ listen: false })
    nodes.push(seeder, empty, leecher)
    const cid = await seeder.storeContent(content)
    // The empty node answers first ("not found"); the seeder is reachable only 300 ms later.
    const bytes = await leecher.downloadContent(cid, [empty.addresses[0], await slowRelay(seeder.addresses[0], 300)])
    expect(equalBytes(bytes, content)).toBe(true)
  })
})
