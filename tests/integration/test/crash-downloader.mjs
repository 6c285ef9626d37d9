// Child process of crash-resume.test.ts: one codio-chunk node downloading one content over TCP
// into storage-fs (the default fsync mode, checkpoint, with thresholds scaled down to the test's
// small content), from the seeders at `addresses`. Runs the built packages (dist/).
//
// Argument: JSON `{ dir, cid, addresses, role, killAtBytes?, downloadLimit?, checkpointBytes,
// checkpointInterval }` (`downloadLimit`: bytes per second, so that kills by time land mid-download).
// Prints JSON lines:
// - `{ recovery }` for each content storage-fs opened after an unclean shutdown (its RecoveryReport);
// - role `victim`: `{ started: true }` once the download starts, then `{ bytes }` as chunks are
//   stored; with `killAtBytes`, it SIGKILLs itself once that many bytes are stored; `{ finished }`
//   if the download completes first (the storage is then closed cleanly);
// - role `resume`: `{ checked: { held, mismatched, notFound } }` after reading back every chunk the
//   storage reports as held (before downloading anything), then `{ done: { sha256 } }` once the
//   content is complete (its bytes read back through the node), then serves it: `{ serving }` with
//   its address, until stdin ends.
import { createHash } from 'node:crypto'
import { ChunkConfig, ChunkDistributor, ContentId } from '@codio-chunk/core'
import { fsStorage } from '@codio-chunk/storage-fs'
import { tcpTransport } from '@codio-chunk/transport-tcp'
import { sha256Verifier } from '@codio-chunk/verifier-sha256'

const print = (value) => process.stdout.write(JSON.stringify(value) + '\n')
const { dir, cid, addresses, role, killAtBytes, downloadLimit = 0, checkpointBytes, checkpointInterval } = JSON.parse(process.argv[2])

const node = await ChunkDistributor.create(ChunkConfig.from({ downloadLimit }), {
  transports: [tcpTransport()],
  verifier: sha256Verifier(),
  storage: fsStorage({ dir, checkpointBytes, checkpointInterval, onRecovery: (recovery) => { print({ recovery }) } }),
  listen: role === 'resume' ? ['tcp://127.0.0.1:0'] : []
})
const root = ContentId.parse(cid)

if (role === 'victim') {
  let bytes = 0
  node.events.on('chunk:verified', (event) => {
    bytes += event.bytes
    print({ bytes })
    if (killAtBytes !== undefined && bytes >= killAtBytes) process.kill(process.pid, 'SIGKILL')
  })
  print({ started: true })
  await node.download(cid, addresses, { signal: AbortSignal.timeout(60_000) })
  await node.stop()
  print({ finished: bytes })
  process.exit(0)
} else {
  // What the storage holds after recovery must be exactly the content's bytes, chunk by chunk.
  const held = { held: 0, mismatched: 0, notFound: 0 }
  const manifest = await node.storage.getManifest(root)
  const have = manifest === undefined ? undefined : await node.storage.completed(root)
  for (const index of have ?? []) {
    held.held++
    try {
      const bytes = await node.storage.getChunk(root, index)
      const digest = createHash('sha256').update(bytes).digest()
      if (!digest.equals(manifest.chunkCid(index).multihash.digest)) held.mismatched++
    } catch (err) {
      if (err.name !== 'NotFoundError') throw err
      held.notFound++
    }
  }
  print({ checked: held })
  await node.download(cid, addresses, { signal: AbortSignal.timeout(60_000) })
  const hash = createHash('sha256')
  for await (const part of node.readContent(cid)) hash.update(part)
  print({ done: { sha256: hash.digest('hex') } })
  print({ serving: node.addresses[0] })
  process.stdin.resume()
  process.stdin.on('end', () => {
    node.stop().then(() => process.exit(0), () => process.exit(1))
  })
}
