import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CommandError } from '../src/errors.js'
import { writeAtomically } from '../src/write-atomically.js'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-cli-write-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function * parts (...chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk
}

async function errorOf (promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(() => { throw new Error('expected a rejection') }, (e: unknown) => e)
}

/** The directory holds exactly these names: no `.partial` file left behind. */
async function expectOnly (names: string[]): Promise<void> {
  expect((await readdir(dir)).sort()).toEqual(names.sort())
}

describe('writeAtomically', () => {
  it('writes the bytes of every part and returns how many', async () => {
    const a = randomBytes(100_000)
    const b = randomBytes(3)
    const path = join(dir, 'out.bin')
    expect(await writeAtomically(path, parts(a, new Uint8Array(0), b))).toBe(100_003)
    expect((await readFile(path)).equals(Buffer.concat([a, b]))).toBe(true)
    await expectOnly(['out.bin'])
  })

  it('takes a plain iterable, and parts that are views into a larger buffer', async () => {
    const backing = randomBytes(4 * 1024 * 1024 + 10)
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 5, 4 * 1024 * 1024)
    const path = join(dir, 'view.bin')
    expect(await writeAtomically(path, [view])).toBe(view.length)
    expect((await readFile(path)).equals(view)).toBe(true)
  })

  it('writes an empty file for an empty source', async () => {
    const path = join(dir, 'empty.bin')
    expect(await writeAtomically(path, [])).toBe(0)
    expect((await readFile(path)).length).toBe(0)
  })

  it('replaces an existing file', async () => {
    const path = join(dir, 'out.bin')
    await writeFile(path, 'old content')
    await writeAtomically(path, [new TextEncoder().encode('new')])
    expect(await readFile(path, 'utf8')).toBe('new')
    await expectOnly(['out.bin'])
  })

  it('leaves an existing file untouched when the source throws half-way, passing the error on', async () => {
    const path = join(dir, 'out.bin')
    await writeFile(path, 'old content')
    const failure = Object.assign(new Error('peer vanished'), { code: 'ERR_CONTENT_NOT_FOUND' })
    async function * failing (): AsyncGenerator<Uint8Array> {
      yield randomBytes(64 * 1024)
      yield randomBytes(64 * 1024)
      throw failure
    }
    expect(await errorOf(writeAtomically(path, failing()))).toBe(failure)
    expect(await readFile(path, 'utf8')).toBe('old content')
    await expectOnly(['out.bin'])
  })

  it('creates nothing when the source throws and there was no file', async () => {
    function * failing (): Generator<Uint8Array> {
      yield new Uint8Array(10)
      throw new TypeError('bad chunk')
    }
    expect(await errorOf(writeAtomically(join(dir, 'out.bin'), failing()))).toBeInstanceOf(TypeError)
    await expectOnly([])
  })

  it('stops on abort, leaving the final path untouched and closing the source', async () => {
    const path = join(dir, 'out.bin')
    await writeFile(path, 'old content')
    const controller = new AbortController()
    let closed = false
    async function * endless (): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 1000; i++) {
          if (i === 2) controller.abort()
          yield new Uint8Array(1024)
        }
      } finally {
        closed = true
      }
    }
    const err = await errorOf(writeAtomically(path, endless(), { signal: controller.signal }))
    expect((err as Error).name).toBe('AbortError')
    expect(closed).toBe(true)
    expect(await readFile(path, 'utf8')).toBe('old content')
    await expectOnly(['out.bin'])
  })

  it('passes on the abort reason given', async () => {
    const controller = new AbortController()
    const reason = new Error('interrupted')
    async function * source (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1)
      controller.abort(reason)
    }
    expect(await errorOf(writeAtomically(join(dir, 'out.bin'), source(), { signal: controller.signal }))).toBe(reason)
    await expectOnly([])
  })

  it('writes nothing when the signal is already aborted', async () => {
    const path = join(dir, 'out.bin')
    const err = await errorOf(writeAtomically(path, [], { signal: AbortSignal.abort() }))
    expect((err as Error).name).toBe('AbortError')
    await expectOnly([])
  })

  it('gives a CommandError when the directory does not exist', async () => {
    const path = join(dir, 'missing', 'out.bin')
    const err = await errorOf(writeAtomically(path, [new Uint8Array(1)]))
    expect(err).toBeInstanceOf(CommandError)
    expect((err as Error).message).toBe(`cannot write ${path}: its directory does not exist`)
  })

  it('gives a CommandError when the path is a directory, and cleans up', async () => {
    const path = join(dir, 'folder')
    await mkdir(path)
    const err = await errorOf(writeAtomically(path, [new Uint8Array(1)]))
    expect(err).toBeInstanceOf(CommandError)
    expect((err as Error).message).toContain(`cannot write ${path}`)
    await expectOnly(['folder'])
  })

  it('gives a CommandError when a part of the path is a file', async () => {
    await writeFile(join(dir, 'file'), 'x')
    const path = join(dir, 'file', 'out.bin')
    const err = await errorOf(writeAtomically(path, [new Uint8Array(1)]))
    expect(err).toBeInstanceOf(CommandError)
    expect((err as Error).message).toContain('not a directory')
  })
})
