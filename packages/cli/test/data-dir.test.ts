import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PeerIdentity } from '@codio-chunk/core'
import { CommandError } from '../src/errors.js'
import { dataDirPaths, ensureDataDir, loadIdentity, lockDataDir } from '../src/data-dir.js'

let dir: string
let dataDir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-cli-datadir-'))
  dataDir = join(dir, 'node')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function errorOf (promise: Promise<unknown>): Promise<Error> {
  return await promise.then(() => { throw new Error('expected a rejection') }, (e: unknown) => e as Error)
}

/** The pid of a process that ran and has exited. */
async function exitedPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  const pid = child.pid!
  await once(child, 'exit')
  return pid
}

describe('dataDirPaths and ensureDataDir', () => {
  it('names the store, identity and lock inside the data dir', () => {
    expect(dataDirPaths('/data')).toEqual({ store: '/data/store', identity: '/data/identity.json', lock: '/data/repo.lock', control: '/data/control.json' })
  })

  it('creates the data dir readable only by its owner, and accepts one that exists', async () => {
    await ensureDataDir(dataDir)
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    await ensureDataDir(dataDir)
  })

  it('says what to do when a file is in the way', async () => {
    await writeFile(dataDir, 'not a dir')
    const err = await errorOf(ensureDataDir(join(dataDir, 'sub')))
    expect(err).toBeInstanceOf(CommandError)
    expect(err.message).toContain('choose another --data-dir')
  })
})

describe('loadIdentity', () => {
  it('creates identity.json readable only by its owner, and gives the same peer id next time', async () => {
    const first = await loadIdentity(dataDir)
    const path = dataDirPaths(dataDir).identity
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(await readFile(path, 'utf8')) as { peerId: string, privateKey: string }
    expect(stored.peerId).toBe(first.peerId)
    expect(Buffer.from(stored.privateKey, 'base64')).toHaveLength(32)
    const second = await loadIdentity(dataDir)
    expect(second.peerId).toBe(first.peerId)
    expect(second.publicKey).toEqual(first.publicKey)
    expect(await readdir(dataDir)).toEqual(['identity.json'])
  })

  it('gives one identity to loads racing on a new data dir', async () => {
    const identities = await Promise.all(Array.from({ length: 6 }, async () => await loadIdentity(dataDir)))
    const ids = new Set(identities.map(i => i.peerId))
    expect(ids.size).toBe(1)
    expect((await loadIdentity(dataDir)).peerId).toBe(identities[0].peerId)
    expect(await readdir(dataDir)).toEqual(['identity.json'])
  })

  it('reads a file without peerId from its key alone', async () => {
    const identity = PeerIdentity.generate()
    await mkdir(dataDir)
    await writeFile(dataDirPaths(dataDir).identity, JSON.stringify({ privateKey: Buffer.from(identity.privateKeySeed()).toString('base64') }))
    expect((await loadIdentity(dataDir)).peerId).toBe(identity.peerId)
  })

  it.each([
    ['not JSON', '{ "privateKey": '],
    ['null', 'null'],
    ['no key', '{"peerId": "12D3KooWxyz"}'],
    ['a key of the wrong length', JSON.stringify({ privateKey: Buffer.alloc(16).toString('base64') })],
    ['a peer id of another key', JSON.stringify({ peerId: PeerIdentity.generate().peerId, privateKey: Buffer.from(PeerIdentity.generate().privateKeySeed()).toString('base64') })]
  ])('refuses a damaged file (%s), saying what to do', async (_what, body) => {
    await mkdir(dataDir)
    const path = dataDirPaths(dataDir).identity
    await writeFile(path, body)
    const err = await errorOf(loadIdentity(dataDir))
    expect(err).toBeInstanceOf(CommandError)
    expect(err.message).toContain(`the identity file ${path} is damaged`)
    expect(err.message).toContain('restore it from a backup, or delete it to start with a new peer id')
    // The damaged file is left for the user to look at.
    expect(await readFile(path, 'utf8')).toBe(body)
  })

  it('reports an identity path it cannot read as a CommandError', async () => {
    await mkdir(dataDirPaths(dataDir).identity, { recursive: true })
    const err = await errorOf(loadIdentity(dataDir))
    expect(err).toBeInstanceOf(CommandError)
    expect(err.message).toContain('cannot read the identity file')
  })
})

describe('lockDataDir', () => {
  it('writes the pid and command into the lock, and release removes it', async () => {
    const lock = await lockDataDir(dataDir, 'serve')
    const path = dataDirPaths(dataDir).lock
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ pid: process.pid, command: 'serve' })
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    await lock.release()
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    await lock.release()
    expect(await readdir(dataDir)).toEqual([])
  })

  it('refuses a second lock while the first is held in this process, naming the pid and command', async () => {
    const lock = await lockDataDir(dataDir, 'serve')
    const err = await errorOf(lockDataDir(dataDir, 'get'))
    expect(err).toBeInstanceOf(CommandError)
    expect(err.message).toContain(`pid ${process.pid}`)
    expect(err.message).toContain('`codio-chunk serve`')
    expect(err.message).toContain('use another --data-dir')
    await lock.release()
    const again = await lockDataDir(dataDir, 'get')
    await again.release()
  })

  it('refuses a lock held by another running process', async () => {
    await mkdir(dataDir)
    await writeFile(dataDirPaths(dataDir).lock, JSON.stringify({ pid: process.ppid, command: 'get', token: 'theirs' }))
    const err = await errorOf(lockDataDir(dataDir, 'rm'))
    expect(err).toBeInstanceOf(CommandError)
    expect(err.message).toBe(`the data dir ${dataDir} is in use by \`codio-chunk get\` (pid ${process.ppid}): stop it or use another --data-dir`)
    expect(JSON.parse(await readFile(dataDirPaths(dataDir).lock, 'utf8')).token).toBe('theirs')
  })

  it('gives the lock to exactly one of several taking it at once', async () => {
    const results = await Promise.allSettled(Array.from({ length: 5 }, async (_, i) => await lockDataDir(dataDir, `cmd${i}`)))
    const held = results.filter(r => r.status === 'fulfilled')
    expect(held).toHaveLength(1)
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CommandError)
    await (held[0] as PromiseFulfilledResult<{ release: () => Promise<void> }>).value.release()
  })

  it('takes over a lock left by a process that has exited', async () => {
    await mkdir(dataDir)
    const pid = await exitedPid()
    await writeFile(dataDirPaths(dataDir).lock, JSON.stringify({ pid, command: 'serve' }))
    const lock = await lockDataDir(dataDir, 'get')
    expect(JSON.parse(await readFile(dataDirPaths(dataDir).lock, 'utf8'))).toMatchObject({ pid: process.pid, command: 'get' })
    await lock.release()
  })

  it.each([
    ['a pid no process can have', JSON.stringify({ pid: 2147483646, command: 'serve' })],
    ['this pid, left by an earlier process', JSON.stringify({ pid: process.pid, command: 'serve', token: 'old' })],
    ['an empty file', ''],
    ['not JSON', '{"pid": 12'],
    ['pid 0', JSON.stringify({ pid: 0, command: 'serve' })],
    ['pid -1', JSON.stringify({ pid: -1, command: 'serve' })],
    ['a pid that is not a number', JSON.stringify({ pid: '1', command: 'serve' })]
  ])('takes over a stale lock: %s', async (_what, body) => {
    await mkdir(dataDir)
    await writeFile(dataDirPaths(dataDir).lock, body)
    const lock = await lockDataDir(dataDir, 'get')
    expect(JSON.parse(await readFile(dataDirPaths(dataDir).lock, 'utf8'))).toMatchObject({ pid: process.pid, command: 'get' })
    await lock.release()
    expect(await readdir(dataDir)).toEqual([])
  })

  it('does not remove a newer lock when an old one is released again', async () => {
    const first = await lockDataDir(dataDir, 'serve')
    await first.release()
    const second = await lockDataDir(dataDir, 'get')
    await first.release()
    expect(JSON.parse(await readFile(dataDirPaths(dataDir).lock, 'utf8'))).toMatchObject({ command: 'get' })
    await second.release()
  })

  it('says what to do when the data dir cannot be created', async () => {
    await writeFile(join(dir, 'file'), 'x')
    const err = await errorOf(lockDataDir(join(dir, 'file', 'node'), 'serve'))
    expect(err).toBeInstanceOf(CommandError)
    expect(err.message).toContain('--data-dir')
  })
})
