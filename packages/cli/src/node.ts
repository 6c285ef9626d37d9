import { format } from 'node:util'
import { ChunkConfig, ChunkDistributor, InvalidConfigError, createComponents } from '@codio-chunk/core'
import type { DiscoveryFactory, Identity, Logger, LoggerFactory, Storage, StorageFactory } from '@codio-chunk/core'
import { fsStorage } from '@codio-chunk/storage-fs'
import { OPTIONS, flagName } from './options.js'
import { strategyFor, transportWarnings, transportsFor, verifiersFor } from './plugins.js'
import { dataDirPaths, ensureDataDir, loadIdentity } from './data-dir.js'
import { UsageError } from './errors.js'
import type { Settings } from './settings.js'
import type { CliIo } from './io.js'

/**
 * The engine configuration from the resolved options: every option marked `engine` in the table
 * plus the strategy plugin. A value the engine refuses becomes a UsageError naming the flag.
 */
export async function engineConfig (settings: Settings, cwd: string): Promise<ChunkConfig> {
  const options: Record<string, unknown> = {}
  for (const spec of OPTIONS) {
    if (spec.engine === true && settings.values[spec.key] !== undefined) options[spec.key] = settings.values[spec.key]
  }
  if (typeof settings.values.strategy === 'string') options.strategy = await strategyFor(settings.values.strategy, cwd)
  try {
    return ChunkConfig.from(options)
  } catch (err) {
    if (!(err instanceof InvalidConfigError)) throw err
    const spec = OPTIONS.find(o => o.engine === true && err.message.includes(o.key))
    throw new UsageError(spec === undefined ? err.message : `${flagName(spec)}: ${err.message}`, { cause: err })
  }
}

/** A logger factory writing `namespace message` lines to the CLI's stderr (for `--debug`). */
export function stderrLogger (io: CliIo): LoggerFactory {
  return (namespace: string): Logger => {
    const write = (formatter: string, ...args: unknown[]): void => { io.stderr.write(`${namespace} ${format(formatter, ...args)}\n`) }
    return Object.assign(write, { error: write, enabled: true })
  }
}

/** The data dir's content store (storage-fs in its `store` folder), as the factory a node takes. */
export async function storeFactory (dataDir: string): Promise<StorageFactory> {
  await ensureDataDir(dataDir)
  return fsStorage({ dir: dataDirPaths(dataDir).store })
}

/** The data dir's content store, opened for use without a node (`add`, `ls`, `stat`, `rm`). */
export async function openStore (dataDir: string): Promise<Storage> {
  return (await storeFactory(dataDir))(createComponents())
}

/** The transports named by `--transport` (tcp when none is). */
export function transportNames (settings: Settings): string[] {
  return (settings.values.transport as string[] | undefined) ?? ['tcp']
}

/** Warnings already written by this process (the demo opens several nodes with one setting). */
const warned = new Set<string>()

/** What {@link openNode} needs besides the settings. */
export interface OpenNodeOptions {
  /** Addresses to listen on; none for a node that only dials. */
  listen?: string[]
  /** Storage to use (default: the data dir's store, see {@link storeFactory}). */
  storage?: StorageFactory
  /** Identity to use instead of the data dir's. */
  identity?: Identity
  /** How the node finds providers and announces content (see `discoveriesFor`); default none. */
  discovery?: DiscoveryFactory[]
  /** HTTP trustless gateways to fall back to when no peer delivers (`--origin`); default none. */
  origins?: string[]
}

/**
 * Starts a node wired from the command's settings: the transports, verifier and strategy they
 * name, storage-fs in the data dir's `store` folder and the data dir's identity.
 */
export async function openNode (settings: Settings, io: CliIo, options: OpenNodeOptions = {}): Promise<ChunkDistributor> {
  const config = await engineConfig(settings, io.cwd)
  const identity = options.identity ?? await loadIdentity(settings.dataDir)
  const names = transportNames(settings)
  const transports = transportsFor(names)
  for (const line of transportWarnings(names)) {
    if (!warned.has(line)) io.stderr.write(`${line}\n`)
    warned.add(line)
  }
  const verifier = verifiersFor((settings.values.verifier as string | undefined) ?? 'sha256')
  // The node opens the storage with its components, and closes it if it fails to start.
  return await ChunkDistributor.create(config, {
    transports,
    verifier,
    storage: options.storage ?? await storeFactory(settings.dataDir),
    identity,
    listen: options.listen,
    discovery: options.discovery,
    origins: options.origins,
    logger: settings.values.debug === true ? stderrLogger(io) : undefined,
    agent: 'codio-chunk-cli'
  })
}
