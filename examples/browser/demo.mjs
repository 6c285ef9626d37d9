#!/usr/bin/env node
// `npm run browser-demo`: starts a few codio-chunk nodes on ws://127.0.0.1:0 (one publishes a
// generated WAV file, the others fetch it from it; one of them lies about every chunk it sends),
// builds the browser page with esbuild, serves it on loopback and prints its URL. Open the URL:
// the page downloads from every node at once, bans the liar, and plays the file.
//   node demo.mjs [--size 32] [--nodes 3] [--no-liar] [--port 0]
import { buildPage } from './build.mjs'
import { pageUrl, serveStatic } from './serve.mjs'
import { startSwarm } from './swarm.mjs'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`)
  return at === -1 ? fallback : args[at + 1]
}
if (args.includes('--help')) {
  process.stdout.write('usage: npm run browser-demo -- [--size MiB (32)] [--nodes N (3)] [--no-liar] [--port P (0: any)]\n')
  process.exit(0)
}
const size = Number(option('size', 32)) * 1024 * 1024
const nodes = Number(option('nodes', 3))
const liars = args.includes('--no-liar') || nodes < 2 ? 0 : 1
const port = Number(option('port', 0))
if (!(size > 0) || !Number.isInteger(nodes) || nodes < 1 || nodes > 16 || !Number.isInteger(port)) {
  process.stderr.write('error: --size takes MiB above 0, --nodes 1..16, --port a port number\n')
  process.exit(2)
}

const say = (line) => process.stdout.write(`${line}\n`)
const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

say(`starting ${nodes} node${nodes === 1 ? '' : 's'} on ws://127.0.0.1:0 and generating a ${mib(size)} WAV file…`)
const swarm = await startSwarm({
  size,
  nodes,
  liars,
  onNode: (n) => {
    const role = n.index === 1 ? `published ${mib(size)} as ${n.cid}` : n.liar ? 'fetched it, and will flip a byte in every chunk it sends (a liar to be banned)' : 'fetched it from node 1 and serves it too'
    say(`  node ${n.index} ${n.address}: ${role}`)
  }
})
let browsers = 0
for (const { node } of swarm.nodes) {
  node.events.on('peer:connect', (event) => { if (event.direction === 'inbound') browsers++ })
}

say('building the page with esbuild…')
const { outDir, bytes } = await buildPage()
say(`  built ${outDir} (app.js ${(bytes / 1024).toFixed(0)} KiB)`)
const server = await serveStatic(outDir, { port })
const url = pageUrl(server.url, { cid: swarm.cid.toString(), peers: swarm.nodes.map(n => n.address) })
say(`serving the page on ${server.url}`)
say('')
say(`open ${url}`)
say('')
say('The page downloads from every node at once, verifies each chunk, bans the liar, keeps chunks in IndexedDB')
say('(reload to resume) and plays the file. Press Ctrl-C to stop.')

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  say(`\nstopping: ${browsers} connection${browsers === 1 ? '' : 's'} from browsers served`)
  await server.close()
  await swarm.stop()
  process.exit(0)
}
process.on('SIGINT', () => { void stop() })
process.on('SIGTERM', () => { void stop() })
