import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PeerIdentity, createComponents } from '@codio-chunk/core'
import { UsageError } from '../src/errors.js'
import { STRATEGIES, TRANSPORTS, VERIFIERS, strategyFor, transportWarnings, transportsFor, verifierFor, verifiersFor } from '../src/plugins.js'

let dir: string
let modules = 0

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'codio-cli-plugins-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Writes a module under a fresh name (imports are cached by URL) and returns its file name. */
async function writeModule (source: string, ext = 'mjs'): Promise<string> {
  const name = `strategy-${++modules}.${ext}`
  await writeFile(join(dir, name), source)
  return name
}

async function usageErrorOf (promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  expect(err).toBeInstanceOf(UsageError)
  return err as UsageError
}

const STRATEGY_OBJECT = '{ name: \'edges-first\', pick (view) { return view.candidates.nextFrom(0) === -1 ? undefined : view.candidates.nextFrom(0) } }'

describe('plugin names that are Object.prototype\'s', () => {
  const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']

  it.each(names)('--transport %s is an unknown transport', (name) => {
    expect(() => transportsFor([name])).toThrow(new UsageError(`unknown transport "${name}": use one of tcp, quic, quinn, ws`))
  })

  it.each(names)('--verifier %s is an unknown verifier', (name) => {
    expect(() => verifierFor(name)).toThrow(new UsageError(`unknown verifier "${name}": use one of sha256, sha256-wasm, blake3`))
    expect(() => verifiersFor(name)).toThrow(UsageError)
  })

  it.each(names)('--strategy %s is an unknown strategy', async (name) => {
    const err = await usageErrorOf(strategyFor(name, dir))
    expect(err.message).toMatch(new RegExp(`^unknown strategy "${name}": use rarest-first, sequential, random`))
  })
})

describe('built-in plugins', () => {
  it('makes each built-in strategy by name, with that name', async () => {
    expect(Object.keys(STRATEGIES).sort()).toEqual(['random', 'rarest-first', 'sequential'])
    for (const name of Object.keys(STRATEGIES)) {
      const strategy = await strategyFor(name, dir)
      expect(strategy.name).toBe(name)
      expect(typeof strategy.pick).toBe('function')
    }
  })

  it('makes the tcp transport, once even when named twice', () => {
    expect(Object.keys(TRANSPORTS)).toEqual(['tcp', 'quic', 'quinn', 'ws'])
    const transports = transportsFor(['tcp', 'tcp']).map(make => make(createComponents()))
    expect(transports).toHaveLength(1)
    expect(transports[0].name).toBe('tcp')
    expect(transports[0].protocols).toContain('tcp')
  })

  it('makes the ws transport from the node\'s own identity: a ws:// listener that proves it to diallers', async () => {
    const identity = PeerIdentity.generate()
    const [ws] = transportsFor(['ws']).map(make => make(createComponents({ identity })))
    expect(ws.protocols).toEqual(['ws', 'wss'])
    const listener = await ws.listen('ws://127.0.0.1:0', { onConnection: (connection) => connection.close() })
    try {
      expect(listener.addresses[0]).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/p2p/${identity.peerId}$`))
      const [dialler] = transportsFor(['ws']).map(make => make(createComponents()))
      const connection = await dialler.dial(listener.addresses[0], { signal: AbortSignal.timeout(5000) })
      expect(connection.remotePeerId).toBe(identity.peerId)
      connection.close()
    } finally {
      await listener.close()
    }
  })

  it('makes the quic transport from the node\'s own identity', () => {
    const identity = PeerIdentity.generate()
    const [quic] = transportsFor(['quic']).map(make => make(createComponents({ identity })))
    expect(quic.protocols).toContain('quic')
    expect((quic as { peerId?: string }).peerId).toBe(identity.peerId)
  })

  it('warns when quic would run on an unpatched @matrixai/quic, and only then', () => {
    // This workspace applies the patch, so the default finds it.
    expect(transportWarnings(['tcp', 'quic'])).toEqual([])
    expect(transportWarnings(['tcp'], false)).toEqual([])
    const [warning] = transportWarnings(['quic'], false)
    expect(warning).toMatch(/^warning: @matrixai\/quic is not patched/)
    expect(warning).toMatch(/transport-quic\/patches\/@matrixai__quic@2\.0\.9\.patch/)
    expect(warning).toContain('--transport tcp or quinn')
  })

  it('refuses an unknown transport, listing the choices', () => {
    expect(() => transportsFor(['tcp', 'carrier-pigeon'])).toThrow(UsageError)
    expect(() => transportsFor(['carrier-pigeon'])).toThrow('unknown transport "carrier-pigeon": use one of tcp, quic')
  })

  it('makes both sha256 verifiers, which give the same digests', async () => {
    expect(Object.keys(VERIFIERS).sort()).toEqual(['blake3', 'sha256', 'sha256-wasm'])
    const bytes = new TextEncoder().encode('codio-chunk')
    const expected = new Uint8Array(createHash('sha256').update(bytes).digest())
    for (const name of ['sha256', 'sha256-wasm']) {
      const verifier = verifierFor(name)
      expect(verifier.code).toBe(0x12)
      expect(await verifier.digest(bytes)).toEqual(expected)
      await verifier.close?.()
    }
  })

  it('gives a node the chosen verifier first and one for every other hash', async () => {
    expect(verifiersFor('blake3').map(v => v.code)).toEqual([0x1e, 0x12])
    expect(verifiersFor('sha256').map(v => v.code)).toEqual([0x12, 0x1e])
    expect(verifiersFor('sha256-wasm').map(v => v.code)).toEqual([0x12, 0x1e])
  })

  it('refuses an unknown verifier, listing the choices', () => {
    const err = (() => { try { verifierFor('md5') } catch (e) { return e } })() as UsageError
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toContain('"md5"')
    expect(err.message).toContain('sha256, sha256-wasm, blake3')
  })

  it('refuses an unknown strategy name, listing the choices and the plugin form', async () => {
    const err = await usageErrorOf(strategyFor('fastest', dir))
    expect(err.message).toContain('"fastest"')
    expect(err.message).toContain('rarest-first, sequential, random')
    expect(err.message).toContain('./my-strategy.js')
  })
})

describe('strategyFor(path)', () => {
  it('loads a module whose default export is a Strategy', async () => {
    const name = await writeModule(`export default ${STRATEGY_OBJECT}\n`)
    const strategy = await strategyFor(`./${name}`, dir)
    expect(strategy.name).toBe('edges-first')
  })

  it('loads a module by absolute path and a bare file name ending in .mjs', async () => {
    const name = await writeModule(`export default ${STRATEGY_OBJECT}\n`)
    expect((await strategyFor(join(dir, name), '/')).name).toBe('edges-first')
    expect((await strategyFor(name, dir)).name).toBe('edges-first')
  })

  it('calls a default export factory', async () => {
    const name = await writeModule(`export default function edgesFirst () { return ${STRATEGY_OBJECT} }\n`)
    expect((await strategyFor(`./${name}`, dir)).name).toBe('edges-first')
  })

  it('awaits an async factory', async () => {
    const name = await writeModule(`export default async () => (${STRATEGY_OBJECT})\n`)
    expect((await strategyFor(`./${name}`, dir)).name).toBe('edges-first')
  })

  it('uses a named `strategy` export', async () => {
    const name = await writeModule(`export const strategy = ${STRATEGY_OBJECT}\nexport const other = 1\n`)
    expect((await strategyFor(`./${name}`, dir)).name).toBe('edges-first')
  })

  it('uses a named `strategy` factory', async () => {
    const name = await writeModule(`export function strategy () { return ${STRATEGY_OBJECT} }\n`)
    expect((await strategyFor(`./${name}`, dir)).name).toBe('edges-first')
  })

  it('loads a CommonJS module', async () => {
    const name = await writeModule(`module.exports = ${STRATEGY_OBJECT}\n`, 'cjs')
    expect((await strategyFor(`./${name}`, dir)).name).toBe('edges-first')
  })

  it('refuses a module exporting nothing useful, saying what to export', async () => {
    const name = await writeModule('export const pick = () => 0\nexport default { name: 42 }\n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain(join(dir, name))
    expect(err.message).toContain('must export a Strategy')
    expect(err.message).toContain('"strategy"')
  })

  it('refuses an empty module', async () => {
    const name = await writeModule('\n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain('must export a Strategy')
  })

  it('refuses a factory that throws, with its message', async () => {
    const name = await writeModule('export default () => { throw new Error(\'no config for edges\') }\n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain(join(dir, name))
    expect(err.message).toContain('factory threw: no config for edges')
    expect(err.cause).toBeInstanceOf(Error)
  })

  it('refuses a factory that throws something that is not an Error', async () => {
    const name = await writeModule('export default () => { throw \'bad edges\' }\n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain('factory threw: bad edges')
  })

  it('refuses a factory returning something that is not a Strategy', async () => {
    const name = await writeModule('export default () => ({ name: \'half\' })\n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain(join(dir, name))
    expect(err.message).toContain('factory must return a Strategy')
  })

  it('refuses a missing file', async () => {
    const err = await usageErrorOf(strategyFor('./no-such-strategy.js', dir))
    expect(err.message).toContain(join(dir, 'no-such-strategy.js'))
    expect(err.message).toContain('does not exist')
    expect(err.message).toContain('--strategy')
  })

  it('refuses a directory', async () => {
    await mkdir(join(dir, 'folder.js'))
    const err = await usageErrorOf(strategyFor('./folder.js', dir))
    expect(err.message).toContain('is not a file')
  })

  it('refuses a module with a syntax error', async () => {
    const name = await writeModule('export default {{ name: \n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain(join(dir, name))
    expect(err.message).toContain('failed to load')
    expect(err.message).not.toContain('\n')
  })

  it('refuses a module that throws while loading', async () => {
    const name = await writeModule('throw new TypeError(\'edges need a GPU\')\n')
    const err = await usageErrorOf(strategyFor(`./${name}`, dir))
    expect(err.message).toContain('failed to load: edges need a GPU')
  })
})
