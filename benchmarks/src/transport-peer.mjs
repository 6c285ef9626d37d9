// Child process of the transport benchmark (transport-throughput.mjs).
//   server <tcp|quic> <chunkKiB> <datagramBytes>: listens on loopback, answers every request-chunk
//     with the same random chunk, prints `{ address }` as one JSON line; on a line on stdin prints
//     `{ cpuSeconds }` and exits.
//   client <tcp|quic> <address> <datagramBytes> <inFlight> <maxMiB> <maxSeconds>: one connection that
//     keeps <inFlight> requests outstanding until it has <maxMiB> MiB or <maxSeconds> have passed;
//     prints `{ bytes, seconds, cpuSeconds }`.
import { randomFillSync } from 'node:crypto'
import { createInterface } from 'node:readline'
import { ContentId } from '@codio-chunk/core'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { quicTransport } from '@codio-chunk/transport-quic'

const [role, kind, ...rest] = process.argv.slice(2)
const datagramSize = Number(rest[1])
const transport = kind === 'tcp' ? tcpTransport() : quicTransport({ datagramSize })
const content = ContentId.parse('bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e').cid
const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')
const cpuSince = (start) => {
  const used = process.cpuUsage(start)
  return (used.user + used.system) / 1e6
}

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
