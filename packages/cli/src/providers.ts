import { resolve } from 'node:path'
import { InvalidAddressError, parseAddress } from '@codio-chunk/core'
import { UsageError } from './errors.js'
import { readBounded } from './read-bounded.js'

/** Largest peers file read (addresses are short; this bounds a wrong path to a huge file). */
const MAX_PEERS_FILE = 1024 * 1024

/** The address, checked; a bad one is a UsageError naming where it came from (anything else is a bug, and thrown as it is). */
function checkAddress (address: string, where: string): string {
  try {
    parseAddress(address)
    return address
  } catch (err) {
    if (!(err instanceof InvalidAddressError)) throw err
    throw new UsageError(`${where}: ${err.message}`, { cause: err })
  }
}

/**
 * Parses a peers file: one address per line; blank lines and text after `#` are ignored.
 *
 * @example
 * ```ts
 * parsePeersFile('tcp://10.0.0.5:4001  # rack 1\n\ntcp://10.0.0.6:4001\n', 'peers.txt')
 * // ['tcp://10.0.0.5:4001', 'tcp://10.0.0.6:4001']
 * ```
 */
export function parsePeersFile (text: string, name: string): string[] {
  const out: string[] = []
  text.split(/\r?\n/).forEach((line, i) => {
    const address = line.replace(/#.*$/, '').trim()
    if (address !== '') out.push(checkAddress(address, `${name} line ${i + 1}`))
  })
  return out
}

/** The same peer however it is spelled: `TCP://Example.com:4001` and `tcp://example.com:4001`. */
function sameness (address: string): string {
  const { scheme, host, port } = parseAddress(address)
  return `${scheme}://${host.toLowerCase()}:${port}`
}

/**
 * Provider addresses from `--peer` flags and a `--peers-file` (relative to `cwd`), checked, in
 * order, without duplicates. A bad address is a `UsageError` naming the flag or the file's line.
 *
 * @example
 * ```ts
 * await providersFrom(['tcp://10.0.0.5:4001'], 'peers.txt', process.cwd())
 * ```
 */
export async function providersFrom (peers: readonly string[] | undefined, peersFile: string | undefined, cwd: string): Promise<string[]> {
  const out = (peers ?? []).map(p => checkAddress(p, '--peer'))
  if (peersFile !== undefined) {
    const path = resolve(cwd, peersFile)
    let bytes: Buffer
    try {
      bytes = await readBounded(path, MAX_PEERS_FILE)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      throw new UsageError(code === 'ENOENT' ? `--peers-file ${path} does not exist` : `cannot read --peers-file ${path}: ${(err as Error).message}`)
    }
    if (bytes.length > MAX_PEERS_FILE) throw new UsageError(`--peers-file ${path} is larger than 1 MiB: is it the right file?`)
    out.push(...parsePeersFile(bytes.toString('utf8'), path))
  }
  const seen = new Set<string>()
  return out.filter(address => {
    const key = sameness(address)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
