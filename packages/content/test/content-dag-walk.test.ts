import { describe, expect, it } from 'vitest'
import { decode as decodePb } from '@ipld/dag-pb'
import { buildManifest } from '../src/build-manifest.js'
import { walkDag, type DagStep } from '../src/dag-walk.js'
import { patternBytes } from './fixtures/content/generators.js'
import type { Manifest } from '@codio-chunk/interface'

const K = 1024

/** The depth-first order of a DAG, computed independently from the dag-pb links. */
function dfsKeys (manifest: Manifest): string[] {
  const out: string[] = []
  const visit = (key: string): void => {
    out.push(key)
    const block = manifest.blocks.find(b => b.cid.toString() === key)
    if (block === undefined) return
    for (const link of decodePb(block.bytes).Links) visit(link.Hash.toString())
  }
  visit(manifest.root.cid.toString())
  return out
}

const keys = (steps: Iterable<DagStep>): string[] => [...steps].map(s => s.cid.toString())
const leaves = (steps: Iterable<DagStep>): number[] => [...steps].flatMap(s => s.kind === 'leaf' ? [s.index] : [])

describe('walkDag', () => {
  for (const cidVersion of [0, 1] as const) {
    it(`visits every block depth-first, leaves in file order (CIDv${cidVersion}, two levels)`, async () => {
      const manifest = await buildManifest(patternBytes(400 * K + 7, 1), { chunkSize: K, cidVersion })
      const steps = [...walkDag(manifest)]
      expect(keys(steps)).toEqual(dfsKeys(manifest))
      expect(leaves(steps)).toEqual(Array.from({ length: 401 }, (_, i) => i))
      expect(steps.filter(s => s.kind === 'interior').length).toBe(manifest.blocks.length)
      for (const step of steps) if (step.kind === 'leaf') expect(step.cid.equals(manifest.chunkCid(step.index))).toBe(true)
    })
  }

  it('keeps only the blocks a byte range needs: the root, the nodes on the way and the leaves holding the bytes', async () => {
    const manifest = await buildManifest(patternBytes(400 * K, 2), { chunkSize: K })
    const steps = [...walkDag(manifest, { range: { start: 200 * K + 5, end: 201 * K } })]
    expect(leaves(steps)).toEqual([200, 201])
    // root, then the second level-1 node (chunks 174..347)
    expect(steps.map(s => s.kind)).toEqual(['interior', 'interior', 'leaf', 'leaf'])
    expect(steps[0].cid.equals(manifest.root.cid)).toBe(true)
    // A range past the end leaves the root alone.
    expect(keys(walkDag(manifest, { range: { start: 500 * K, end: 600 * K } }))).toEqual([manifest.root.cid.toString()])
  })

  it('yields the root as the only leaf of a one-chunk content and of an empty one', async () => {
    for (const size of [0, 10]) {
      const manifest = await buildManifest(patternBytes(size, 3), { chunkSize: K })
      const steps = [...walkDag(manifest, { range: { start: 100, end: 200 } })]
      expect(steps).toEqual([{ kind: 'leaf', cid: manifest.root.cid, index: 0 }])
    }
  })

  it('visits a repeated block each time it occurs (identical chunks share a CID)', async () => {
    const manifest = await buildManifest(new Uint8Array(5 * K), { chunkSize: K })
    const steps = [...walkDag(manifest)]
    expect(leaves(steps)).toEqual([0, 1, 2, 3, 4])
    expect(new Set(keys(steps.filter(s => s.kind === 'leaf'))).size).toBe(1)
  })
})
