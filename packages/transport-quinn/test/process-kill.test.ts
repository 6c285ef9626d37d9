import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionClosedError, ContentId } from '@codio-chunk/interface'
import { Inbox, chunkServer, eventually, quinnNode, within } from './helpers.js'
import type { ChildProcess } from 'node:child_process'
import type { Connection, Listener } from '@codio-chunk/interface'

// Peers in other processes, killed with SIGKILL mid-transfer: no goodbye, no CONNECTION_CLOSE,
// the UDP socket simply vanishes. They run the built package (nx builds it before these tests).
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const CONTENT = 'bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e'
const MiB = 1024 * 1024
const CHUNK = new Uint8Array(MiB).fill(7)

const peerScript = `
import { quinnTransport } from ${JSON.stringify(dist)}
import { ContentId } from '@codio-chunk/interface'
import { createComponents } from '@codio-chunk/protocol'
const [role, address] = process.argv.slice(1)
const content = ContentId.parse(${JSON.stringify(CONTENT)}).cid
const chunk = new Uint8Array(${MiB}).fill(7)
const transport = quinnTransport({ idleTimeout: 1500 })(createComponents())
if (role === 'seeder') {
  const listener = await transport.listen('quinn://127.0.0.1:0', {
    onConnection: (conn) => conn.start({
      onMessage: (m) => { if (m.type === 'request-chunk') conn.send({ type: 'data', id: m.id, bytes: chunk }) },
      onClose: () => {}
    })
  })
  console.log('listening ' + listener.addresses[0])
} else {
  const conn = await transport.dial(address, { signal: AbortSignal.timeout(10000) })
  let id = 0
  let received = 0
  const request = () => { if (!conn.closed) conn.send({ type: 'request-chunk', id: id++, content, index: id }) }
  conn.start({
    onMessage: (m) => { if (m.type === 'data') { received++; console.log('received ' + received); request() } },
    onClose: () => {}
  })
  for (let i = 0; i < 8; i++) request()
}
`

/** Starts a peer process and resolves with it and the first stdout line matching `pattern`. */
async function startPeer (args: string[], pattern: RegExp): Promise<{ child: ChildProcess, match: RegExpMatchArray }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', peerScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: fileURLToPath(new URL('..', import.meta.url)) })
  children.push(child)
  const lines = createInterface({ input: child.stdout! })
  const match = await within(new Promise<RegExpMatchArray>((resolve, reject) => {
    lines.on('line', (line) => {
      const found = line.match(pattern)
      if (found !== null) resolve(found)
    })
    child.once('exit', (code) => reject(new Error(`the peer process exited (${String(code)}) before printing ${String(pattern)}`)))
  }), `the peer process to print ${String(pattern)}`)
  return { child, match }
}

const children: ChildProcess[] = []
const listeners: Listener[] = []
const connections: Connection[] = []

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const connection of connections.splice(0)) connection.close()
  for (const listener of listeners.splice(0)) await listener.close()
})

describe('quinn with a peer process killed mid-transfer', () => {
  it('the downloader sees the dead seeder close with an error, and fetches from a new one', async () => {
    expect(existsSync(dist), `${dist} is missing: build the package first`).toBe(true)
    const { child, match } = await startPeer(['seeder'], /^listening (\S+)$/)
    const client = await quinnNode({ idleTimeout: 1500 }).dial(match[1], { signal: AbortSignal.timeout(10_000) })
    connections.push(client)
    let received = 0
    let id = 0
    const content = ContentId.parse(CONTENT).cid
    const request = (): void => { if (!client.closed) client.send({ type: 'request-chunk', id: id++, content, index: id }) }
    const inbox = new Inbox((message) => {
      if (message.type !== 'data') return
      received++
      if (received === 16) child.kill('SIGKILL')
      request()
    })
    client.start(inbox)
    for (let i = 0; i < 8; i++) request()
    await inbox.until(() => inbox.closed, 'the downloader to notice the killed seeder')
    expect(received).toBeGreaterThanOrEqual(16)
    expect(inbox.closeError).toBeInstanceOf(ConnectionClosedError)

    const next = await startPeer(['seeder'], /^listening (\S+)$/)
    const again = await quinnNode().dial(next.match[1], { signal: AbortSignal.timeout(10_000) })
    connections.push(again)
    const nextInbox = new Inbox()
    again.start(nextInbox)
    again.send({ type: 'request-chunk', id: 1, content, index: 3 })
    await nextInbox.until(() => nextInbox.messages.length === 1, 'an answer from the new seeder')
    const answer = nextInbox.messages[0]
    expect(answer.type === 'data' && Buffer.from(answer.bytes).equals(CHUNK)).toBe(true)
  }, 40_000)

  it('the seeder drops the connection of a killed downloader and keeps serving', async () => {
    const { listener, accepted, closes } = await chunkServer(quinnNode({ idleTimeout: 1500 }), 'quinn://127.0.0.1:0', () => CHUNK)
    listeners.push(listener)
    const first = await startPeer(['downloader', listener.addresses[0]], /^received 16$/)
    first.child.kill('SIGKILL')
    await closes.until(() => accepted[0]?.closed === true, 'the seeder to drop the killed downloader')
    await eventually(() => listener.connections === 0, 'the listener to hold no connection')
    const second = await startPeer(['downloader', listener.addresses[0]], /^received 4$/)
    expect(second.match[0]).toBe('received 4')
    expect(accepted).toHaveLength(2)
  }, 40_000)
})
