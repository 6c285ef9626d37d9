// Child process of the transport benchmark (transport-throughput.mjs).
//   server <tcp|quic|quinn> <chunkKiB> <datagramBytes>: listens on loopback, answers every request-chunk
//     with the same random chunk, prints `{ address }` as one JSON line; on a line on stdin prints
//     `{ cpuSeconds }` and exits.
//   client <tcp|quic|quinn> <address> <datagramBytes> <inFlight> <maxMiB> <maxSeconds>: one connection that
//     keeps <inFlight> requests outstanding until it has <maxMiB> MiB or <maxSeconds> have passed;
//     prints `{ bytes, seconds, cpuSeconds }`.
//   Kind quinn-raw drives the quinn native binding with no codio-chunk code: the same exchange
//   (each request a stream the client opens with 4 bytes, answered on it with the chunk), to
//   compare what the binding moves with what the quinn Transport moves.
import { randomFillSync } from 'node:crypto'
import { createInterface } from 'node:readline'
import { ContentId, createComponents } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { quicTransport } from '@codio-chunk/transport-quic'

const [role, kind, ...rest] = process.argv.slice(2)
const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')
const cpuSince = (start) => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}
if (kind === 'quinn-raw') await quinnRaw()
else await overTransport()

/** A server or client over the codio-chunk transport `kind`. */
async function overTransport () {
  const datagramSize = Number(rest[1])
  const factory = kind === 'tcp'
    ? tcpTransport()
    : kind === 'quinn' ? (await import('@codio-chunk/transport-quinn')).quinnTransport() : quicTransport({ datagramSize })
  const transport = factory(createComponents())
  const content = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid

  if (role === 'server') {
    const chunk = randomFillSync(new Uint8Array(Number(rest[0]) * 1024))
    const listener = await transport.listen(`${kind}://127.0.0.1:0`, {
      onConnection: (conn) => conn.start({
        onMessage: (message) => {
          if (message.type === 'request-chunk') conn.send({ type: 'data', id: message.id, bytes: chunk })
        },
        onClose: () => {}
      })
    })
    const cpuStart = process.cpuUsage()
    print({ address: listener.addresses[0] })
    createInterface({ input: process.stdin }).once('line', () => {
      print({ cpuSeconds: cpuSince(cpuStart) })
      process.exit(0)
    })
  } else {
    const [address, , inFlightText, maxMiBText, maxSecondsText] = rest
    const inFlight = Number(inFlightText)
    const maxBytes = Number(maxMiBText) * 1024 * 1024
    const maxMs = Number(maxSecondsText) * 1000
    const conn = await transport.dial(address, { signal: AbortSignal.timeout(10_000) })
    let nextId = 1
    let bytes = 0
    let outstanding = 0
    const cpuStart = process.cpuUsage()
    const started = performance.now()
    await new Promise((resolve, reject) => {
      const request = () => {
        outstanding++
        conn.send({ type: 'request-chunk', id: nextId++, content, index: 0 })
      }
      conn.start({
        onMessage: (message) => {
          if (message.type !== 'data') return
          outstanding--
          bytes += message.bytes.length
          if (bytes < maxBytes && performance.now() - started < maxMs) request()
          else if (outstanding === 0) resolve()
        },
        onClose: (error) => reject(error ?? new Error('the connection closed during the benchmark'))
      })
      for (let i = 0; i < inFlight; i++) request()
    })
    const seconds = (performance.now() - started) / 1000
    const cpuSeconds = cpuSince(cpuStart)
    conn.close()
    print({ bytes, seconds, cpuSeconds })
    process.exit(0)
  }
}

/** The quinn-raw peer: the native binding alone, answering each request stream with the chunk. */
async function quinnRaw () {
  const { PeerIdentity } = await import('@codio-chunk/core')
  const { libp2pKey, loadNativeBinding } = await import('@codio-chunk/transport-quinn')
  const native = loadNativeBinding()
  const config = new native.QuinnConfig({
    privateKeyProto: libp2pKey(PeerIdentity.generate()).privateKeyProto,
    handshakeTimeout: 5000,
    shutdownTimeout: 1000,
    maxIdleTimeout: 15_000,
    keepAliveInterval: 5000,
    maxConcurrentStreamLimit: 256,
    maxStreamData: 8 * 1024 * 1024,
    maxConnectionData: 32 * 1024 * 1024,
    receiveBufferSize: 4 * 1024 * 1024,
    sendBufferSize: 4 * 1024 * 1024
  })

  if (role === 'server') {
    const chunk = randomFillSync(new Uint8Array(Number(rest[0]) * 1024))
    const server = new native.Server(config, '127.0.0.1', 0)
    const serve = async (conn) => {
      for (;;) {
        const stream = await conn.inboundStream()
        void (async () => {
          await stream.read(4)
          await stream.write(chunk)
          await stream.finishWrite()
          await readAll(stream, () => {})
        })().catch(() => {})
      }
    }
    void (async () => {
      for (;;) void serve(await server.inboundConnection()).catch(() => {})
    })().catch(() => {})
    const cpuStart = process.cpuUsage()
    print({ address: `quinn-raw://127.0.0.1:${server.port()}` })
    createInterface({ input: process.stdin }).once('line', () => {
      print({ cpuSeconds: cpuSince(cpuStart) })
      process.exit(0)
    })
  } else {
    const [address, , inFlightText, maxMiBText, maxSecondsText] = rest
    const port = Number(address.slice(address.lastIndexOf(':') + 1))
    const maxBytes = Number(maxMiBText) * 1024 * 1024
    const maxMs = Number(maxSecondsText) * 1000
    const client = new native.Client(config, 0)
    const conn = await client.outboundConnection('127.0.0.1', port)
    const request = Uint8Array.of(0, 0, 0, 1)
    let bytes = 0
    const cpuStart = process.cpuUsage()
    const started = performance.now()
    await Promise.all(Array.from({ length: Number(inFlightText) }, async () => {
      while (bytes < maxBytes && performance.now() - started < maxMs) {
        const stream = await conn.outboundStream()
        await stream.write(request)
        await stream.finishWrite()
        await readAll(stream, (piece) => { bytes += piece.length })
      }
    }))
    const seconds = (performance.now() - started) / 1000
    print({ bytes, seconds, cpuSeconds: cpuSince(cpuStart) })
    process.exit(0)
  }
}

async function readAll (stream, onPiece) {
  for (;;) {
    const piece = await stream.read(256 * 1024)
    if (piece === null) return
    onPiece(piece)
  }
}
