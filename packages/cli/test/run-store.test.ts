import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { run } from '../src/index.js'

// `run()` in-process, for the commands that work on the store alone: add, ls, stat, rm.

function capture (): { write: (chunk: string | Uint8Array) => boolean, text: () => string } {
  let text = ''
  return { write: (chunk) => { text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(); return true }, text: () => text }
}

let dir: string

async function cli (args: string[], stdin?: string): Promise<{ code: number, stdout: string, stderr: string }> {
  const stdout = capture()
  const stderr = capture()
  const code = await run(args, { stdout, stderr, cwd: dir, env: {}, signal: new AbortController().signal, stdin: Readable.from(stdin === undefined ? [] : [Buffer.from(stdin)]) })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-chunk-cli-run-'))
  await writeFile(join(dir, 'hello.txt'), 'hello world\n')
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('codio-chunk add, ls, stat, rm', () => {
  it('add prints the CIDs `ipfs add` prints for the same file (CIDv0 and CIDv1 raw leaves)', async () => {
    const v0 = await cli(['add', 'hello.txt', '--cid-version', '0', '--data-dir', 'n'])
    expect(v0).toMatchObject({ code: 0, stdout: 'added QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o hello.txt\n' })
    const v1 = await cli(['add', 'hello.txt', '--data-dir', 'n', '--json'])
    expect(v1.code).toBe(0)
    expect(JSON.parse(v1.stdout)).toEqual({ added: [{ file: 'hello.txt', cid: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4', size: 12, chunks: 1 }] })
  })

  it('add - reads stdin; the chunk size comes from the data dir\'s config file', async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ chunkSize: '1KiB', cidVersion: 0 }))
    const data = 'x'.repeat(5000)
    const added = await cli(['add', '-', '--config', 'config.json', '--data-dir', 'n', '--json'], data)
    expect(added.code, added.stderr).toBe(0)
    const [entry] = JSON.parse(added.stdout).added
    expect(entry).toMatchObject({ file: '-', size: 5000, chunks: 5 })
    expect(entry.cid).toMatch(/^Qm/)
    const stat = await cli(['stat', entry.cid, '--data-dir', 'n', '--json'])
    expect(JSON.parse(stat.stdout)).toMatchObject({ cid: entry.cid, cidVersion: 0, leaves: 'dag-pb', size: 5000, chunkSize: 1024, chunks: 5, completeChunks: 5, complete: true, manifestBlocks: 1 })
    // A flag wins over the config file.
    const flagged = await cli(['add', 'hello.txt', '--config', 'config.json', '--cid-version', '1', '--data-dir', 'n', '--json'])
    expect(JSON.parse(flagged.stdout).added[0].cid).toMatch(/^bafkrei/)
  })

  it('ls lists what is stored, stat shows one content, rm deletes it', async () => {
    expect((await cli(['ls', '--data-dir', 'n'])).stderr).toMatch(/is empty; add content with codio-chunk add <file>/)
    const cid = JSON.parse((await cli(['add', 'hello.txt', '--data-dir', 'n', '--json'])).stdout).added[0].cid as string
    const ls = await cli(['ls', '--data-dir', 'n', '--json'])
    expect(JSON.parse(ls.stdout).contents).toEqual([expect.objectContaining({ cid, size: 12, chunks: 1, complete: true })])
    const stat = await cli(['stat', cid, '--data-dir', 'n'])
    expect(stat.stdout).toContain(`cid         ${cid} (CIDv1, sha2-256, raw leaves)`)
    expect(stat.stdout).toContain('complete    1 of 1 chunks (100%)')
    expect(await cli(['rm', cid, '--data-dir', 'n'])).toMatchObject({ code: 0, stdout: `removed ${cid}\n` })
    expect(JSON.parse((await cli(['ls', '--data-dir', 'n', '--json'])).stdout).contents).toEqual([])
    const again = await cli(['rm', cid, '--data-dir', 'n'])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/is not in the store/)
  })

  it('add --verifier blake3 gives a BLAKE3 CID, and stat names the hash', async () => {
    const added = await cli(['add', 'hello.txt', '--verifier', 'blake3', '--data-dir', 'n', '--json'])
    expect(added.code, added.stderr).toBe(0)
    const cid = JSON.parse(added.stdout).added[0].cid as string
    expect(cid).not.toBe('bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4')
    const stat = await cli(['stat', cid, '--data-dir', 'n', '--json'])
    expect(JSON.parse(stat.stdout)).toMatchObject({ cid, hash: 'blake3', complete: true })
  })

  it('CODIO_CHUNK_HOME chooses the data dir when --data-dir is not given', async () => {
    const stdout = capture()
    const code = await run(['add', 'hello.txt', '--json'], { stdout, stderr: capture(), cwd: dir, env: { CODIO_CHUNK_HOME: join(dir, 'home') }, signal: new AbortController().signal })
    expect(code).toBe(0)
    const listed = await cli(['ls', '--data-dir', 'home', '--json'])
    expect(JSON.parse(listed.stdout).contents).toHaveLength(1)
  })

  it('a directory or a missing file fails before anything is stored', async () => {
    const result = await cli(['add', 'hello.txt', 'missing.txt', '--data-dir', 'n'])
    expect(result).toMatchObject({ code: 1, stderr: 'error: file not found: missing.txt\n' })
    expect(JSON.parse((await cli(['ls', '--data-dir', 'n', '--json'])).stdout).contents).toEqual([])
    expect((await cli(['add', '.', '--data-dir', 'n'])).stderr).toMatch(/is a directory/)
  })

  it('an unknown key in the config file is a usage error naming it', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ chunksize: 1024 }))
    const result = await cli(['add', 'hello.txt', '--config', 'bad.json', '--data-dir', 'n'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/unknown option "chunksize"/)
  })
})

describe('codio-chunk get from the store alone', () => {
  it('writes content that is already complete without any provider', async () => {
    const cid = JSON.parse((await cli(['add', 'hello.txt', '--data-dir', 'n', '--json'])).stdout).added[0].cid as string
    const result = await cli(['get', cid, '--data-dir', 'n', '-o', 'copy.txt', '--json'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({ event: 'done', cid, resumedChunks: 1, fetchedChunks: 0, fetchedBytes: 0 })
    const { readFile } = await import('node:fs/promises')
    expect(await readFile(join(dir, 'copy.txt'), 'utf8')).toBe('hello world\n')
    const toStdout = await cli(['get', cid, '--data-dir', 'n', '-o', '-'])
    expect(toStdout.stdout).toBe('hello world\n')
    expect(toStdout.stderr).toMatch(/^saved .* to stdout: nothing to fetch/)
  })
})
