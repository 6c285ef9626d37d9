import { expect, it } from 'vitest'
import { createComponents } from '@codio-chunk/protocol'
import type { Connection, WireMessage } from '@codio-chunk/interface'
import { webSocketTransport } from '../src/index.js'

// The engine attaches its handler with start() and sets up its hello state right after: messages
// that arrived before start() must be handed over after it returns, never from inside it.
it('hands messages that came before start() over after start() returns, in order', async () => {
  const transport = webSocketTransport()(createComponents())
  let accepted!: (connection: Connection) => void
  const inbound = new Promise<Connection>((resolve) => { accepted = resolve })
  const listener = await transport.listen('ws://127.0.0.1:0', { onConnection: (c) => accepted(c) })
  const client = await webSocketTransport()(createComponents()).dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
  client.start({ onMessage: () => {}, onClose: () => {} })
  client.send({ type: 'choke' })
  client.send({ type: 'unchoke' })
  const server = await inbound
  await new Promise(resolve => setTimeout(resolve, 100))
  const got: Array<{ message: WireMessage, inStart: boolean }> = []
  let inStart = true
  const all = new Promise<void>((resolve) => {
    server.start({ onMessage: (message) => { got.push({ message, inStart }); if (got.length === 2) resolve() }, onClose: () => {} })
  })
  inStart = false
  await all
  expect(got).toEqual([{ message: { type: 'choke' }, inStart: false }, { message: { type: 'unchoke' }, inStart: false }])
  client.close()
  await listener.close()
})
