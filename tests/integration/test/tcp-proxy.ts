import { connect, createServer, type Server, type Socket } from 'node:net'

/**
 * A loopback TCP proxy in front of one node, for tests that break a provider mid-transfer:
 * it counts the bytes it forwards to the dialler and can hold, freeze or reset its connections.
 */
export interface TcpProxy {
  /** `tcp://127.0.0.1:port` to dial instead of the node. */
  readonly address: string
  /** Bytes forwarded from the node to the dialler so far. */
  readonly forwarded: number
  /** Forwards whatever was held and everything after. */
  release(): void
  /** Stops forwarding in both directions without closing anything: the peer goes silent. */
  freeze(): void
  /** Resets every connection at once (TCP RST), as a crashed host or a pulled cable would. */
  reset(): void
  close(): Promise<void>
}

export interface TcpProxyOptions {
  /** Forward nothing until {@link TcpProxy.release}. */
  held?: boolean
  /**
   * Called once, before forwarding the bytes that would take the count past `bytes`, so a test can
   * break the proxy at an exact point of a transfer however fast it runs; those bytes are then
   * forwarded only if the proxy still flows.
   */
  at?: { bytes: number, then: (proxy: TcpProxy) => void }
}

/** Starts a proxy to `target` (`tcp://host:port`). */
export async function tcpProxy (target: string, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const url = new URL(target)
  const pairs = new Set<[Socket, Socket]>()
  let forwarded = 0
  let flowing = options.held !== true
  let frozen = false
  const setFlow = (): void => {
    for (const [down, up] of pairs) {
      if (flowing && !frozen) { down.resume(); up.resume() } else { down.pause(); up.pause() }
    }
  }
  const server: Server = createServer((down) => {
    const up = connect(Number(url.port), url.hostname.replace(/^\[|\]$/g, ''))
    const pair: [Socket, Socket] = [down, up]
    pairs.add(pair)
    for (const socket of pair) {
      socket.on('error', () => {})
      socket.on('close', () => { pairs.delete(pair); down.destroy(); up.destroy() })
    }
    up.on('data', (bytes: Buffer) => {
      const at = options.at
      if (at !== undefined && forwarded + bytes.length > at.bytes) {
        options.at = undefined
        at.then(proxy)
      }
      if (frozen || down.destroyed) return
      forwarded += bytes.length
      down.write(bytes)
    })
    down.on('data', (bytes: Buffer) => { up.write(bytes) })
    setFlow()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const proxy: TcpProxy = {
    address: `tcp://127.0.0.1:${port}`,
    get forwarded () { return forwarded },
    release () { flowing = true; setFlow() },
    freeze () { frozen = true; setFlow() },
    reset () {
      for (const [down, up] of pairs) { down.resetAndDestroy(); up.destroy() }
    },
    async close () {
      for (const [down, up] of pairs) { down.destroy(); up.destroy() }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
  return proxy
}
