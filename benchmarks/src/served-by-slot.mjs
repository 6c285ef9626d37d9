// What a node uploads to each peer, by the state it served the peer in: `regular` or `optimistic`
// upload slot while the node itself still downloads, or `seeding` once it has the whole content.
// The fairness scenario reads it to tell where a free-rider's bytes come from.

/**
 * Starts counting the chunk bytes `node` serves, per receiving peer id and state. Returns a
 * function that gives the counts so far: `{ [peerId]: { regular, optimistic, seeding } }`.
 *
 * @param {import('@codio-chunk/core').ChunkDistributor} node
 * @param {() => boolean} seeding - true once the node has the whole content
 */
export function countServedBySlot (node, seeding) {
  const counts = {}
  node.events.on('chunk:served', ({ peerId, bytes }) => {
    const entry = counts[peerId] ??= { regular: 0, optimistic: 0, seeding: 0 }
    if (seeding()) {
      entry.seeding += bytes
      return
    }
    const stats = node.peerStats().find(s => s.peerId === peerId)
    entry[stats?.optimistic === true ? 'optimistic' : 'regular'] += bytes
  })
  return () => counts
}
