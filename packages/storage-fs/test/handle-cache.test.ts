import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HandleCache } from '../src/handle-cache.js'
import type { FileHandle } from 'node:fs/promises'

let dir: string
const paths: string[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-handle-cache-'))
  paths.length = 0
  for (const name of ['a', 'b', 'c', 'd']) {
    const path = join(dir, name)
    await writeFile(path, name)
    paths.push(path)
  }
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const readByte = async (handle: FileHandle): Promise<string> => {
  const buffer = Buffer.alloc(1)
  await handle.read(buffer, 0, 1, 0)
  return buffer.toString()
}

describe('HandleCache', () => {
  it('reuses an open handle for the same path', async () => {
    const cache = new HandleCache(4)
    const first = await cache.use(paths[0], async handle => handle)
    const second = await cache.use(paths[0], async handle => handle)
    expect(second).toBe(first)
    await cache.closeAll()
  })

  it('keeps at most max idle handles, closing the least recently used', async () => {
    const cache = new HandleCache(2)
    const a = await cache.use(paths[0], async handle => handle)
    await cache.use(paths[1], async () => {})
    await cache.use(paths[0], async () => {}) // a is now the most recent
    await cache.use(paths[2], async () => {}) // evicts b
    expect(cache.size).toBe(2)
    expect(await cache.use(paths[0], async handle => handle)).toBe(a)
    await cache.closeAll()
    expect(cache.size).toBe(0)
  })

  it('never closes a handle while it is in use', async () => {
    const cache = new HandleCache(1)
    let release!: () => void
    const held = new Promise<void>(resolve => { release = resolve })
    const inUse = cache.use(paths[0], async handle => {
      await held
      return await readByte(handle) // still open although the cache overflowed meanwhile
    })
    expect(await cache.use(paths[1], readByte)).toBe('b')
    expect(await cache.use(paths[2], readByte)).toBe('c')
    release()
    expect(await inUse).toBe('a')
    expect(cache.size).toBe(1)
    await cache.closeAll()
  })

  it('shares one open between concurrent first users', async () => {
    const cache = new HandleCache(4)
    const handles = await Promise.all([1, 2, 3].map(async () => await cache.use(paths[3], async handle => handle)))
    expect(new Set(handles).size).toBe(1)
    await cache.closeAll()
  })

  it('closes handles under a directory, and retries an open that failed', async () => {
    const cache = new HandleCache(4)
    await cache.use(paths[0], async () => {})
    await cache.closeUnder(dir)
    expect(cache.size).toBe(0)
    const missing = join(dir, 'missing')
    await expect(cache.use(missing, async () => {})).rejects.toMatchObject({ code: 'ENOENT' })
    expect(cache.size).toBe(0)
    await writeFile(missing, 'm')
    expect(await cache.use(missing, readByte)).toBe('m')
    await cache.closeAll()
  })
})
