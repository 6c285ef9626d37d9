import dgram from 'node:dgram'

/**
 * A loopback UDP relay between one client and a server port, which can be told to drop everything:
 * a peer that vanishes without closing anything (power cut, network gone).
 */
export class UdpProxy {
  private readonly front = dgram.createSocket('udp4')
  private readonly back = dgram.createSocket('udp4')
  private client: { address: string, port: number } | undefined
  private dropping = false

  private constructor (private readonly target: number) {}

  /** A relay to `127.0.0.1:<target>`; its own port is `port`. */
  static async start (target: number): Promise<UdpProxy> {
    const proxy = new UdpProxy(target)
    await new Promise<void>((resolve) => proxy.front.bind(0, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => proxy.back.bind(0, '127.0.0.1', resolve))
    proxy.front.on('message', (msg, from) => {
      proxy.client = { address: from.address, port: from.port }
      if (!proxy.dropping) proxy.back.send(msg, proxy.target, '127.0.0.1')
    })
    proxy.back.on('message', (msg) => {
      if (!proxy.dropping && proxy.client !== undefined) proxy.front.send(msg, proxy.client.port, proxy.client.address)
    })
    return proxy
  }

  get port (): number {
    return this.front.address().port
  }

  /** From now on, every datagram in either direction is lost. */
  vanish (): void {
    this.dropping = true
  }

  close (): void {
    this.front.close()
    this.back.close()
  }
}
