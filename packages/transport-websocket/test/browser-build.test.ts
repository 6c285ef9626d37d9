// The browser build dials with whatever WebSocket constructor it is given; `ws`'s client has the
// browser's API (addEventListener, binaryType 'arraybuffer', bufferedAmount), so the same
// compliance suite runs against it here, dialling the Node.js listener. A bundle of the browser
// entry holds neither `ws` nor a Node.js built-in.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '@codio-chunk/interface-tests/browser-bundle'
import { WebSocket as WsClient } from 'ws'
import { createComponents } from '@codio-chunk/protocol'
import { transportComplianceSuite } from '@codio-chunk/interface-tests/transport'
import { webSocketTransport as nodeTransport } from '../src/index.js'
import { webSocketTransport as browserTransport } from '../src/browser.js'
import type { NativeWebSocketConstructor } from '../src/browser.js'
import type { Transport, TransportComponents } from '@codio-chunk/interface'

const here = dirname(fileURLToPath(import.meta.url))

/** Listens with the Node.js build, dials with the browser build. */
function hybrid (components: TransportComponents): Transport {
  const listener = nodeTransport()(components)
  const dialler = browserTransport({ WebSocket: WsClient as unknown as NativeWebSocketConstructor })(components)
  return { name: 'websocket', protocols: listener.protocols, listen: listener.listen.bind(listener), dial: dialler.dial.bind(dialler) }
}

transportComplianceSuite('websocket (browser build dialling)', () => ({ transport: hybrid, listenAddress: 'ws://127.0.0.1:0', authenticates: true }))

describe('the browser build', () => {
  it('cannot listen, and says why', async () => {
    const transport = browserTransport({ WebSocket: WsClient as unknown as NativeWebSocketConstructor })(createComponents())
    await expect(transport.listen('ws://127.0.0.1:0', { onConnection: () => {} })).rejects.toMatchObject({ name: 'ListenError', message: expect.stringMatching(/browser page cannot accept/) })
  })

  it('bundles for the browser without ws or any Node.js built-in', async () => {
    const bundle = await bundleForBrowser({ file: join(here, '..', 'src', 'browser.ts') }, { forbidden: ['ws'] })
    expect(bundle.errors).toEqual([])
    expect(bundle.forbiddenImports).toEqual([])
    expect(bundle.code).not.toMatch(/\bprocess\.(env|nextTick)\b/)
  }, 60_000)

  it('resolves to the browser entry through the package\'s browser condition', async () => {
    const { inputs } = await bundleForBrowser({ contents: 'export { webSocketTransport } from "@codio-chunk/transport-websocket"', resolveDir: here })
    expect(inputs.some(path => path.endsWith('src/browser-transport.ts'))).toBe(true)
    expect(inputs.some(path => path.endsWith('src/node-transport.ts'))).toBe(false)
  }, 60_000)
})
