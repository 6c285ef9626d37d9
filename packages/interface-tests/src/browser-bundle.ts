// Bundles a package for the browser platform, as a page's bundler would, and reports every import
// of a Node.js built-in (or of any other module a browser build must not pull in) with the file
// that made it. A plugin that claims to run in browsers checks its bundle with this.
import { builtinModules } from 'node:module'
import { build, type Plugin } from 'esbuild'

const NODE_BUILTINS = new Set(builtinModules.flatMap(name => [name, `node:${name}`]))

/** What to bundle: a file, or a module source (e.g. `export * from "my-plugin"`) resolved from a folder. */
export type BrowserBundleEntry = { file: string } | { contents: string, resolveDir: string }

/** Options of {@link bundleForBrowser}. */
export interface BrowserBundleOptions {
  /** More module ids the bundle must not import (e.g. `'ws'`), reported like Node built-ins. */
  forbidden?: string[]
  /** Export conditions; default: workspace sources first, then `browser`, `import`, `default`. */
  conditions?: string[]
}

/** The result of {@link bundleForBrowser}. */
export interface BrowserBundle {
  /** esbuild's error messages; empty when the bundle built. */
  errors: string[]
  /** Every forbidden import, as `"<id> (imported by <file>)"`; empty for a browser-clean package. */
  forbiddenImports: string[]
  /** The bundled code. */
  code: string
  /** The source files that went into the bundle. */
  inputs: string[]
}

/**
 * Bundles `entry` for the browser platform with esbuild (ESM, no output written) and lists every
 * import of a Node.js built-in or of `options.forbidden`, leaving them external.
 *
 * @example
 * ```ts
 * import { bundleForBrowser } from '@codio-chunk/interface-tests/browser-bundle'
 * const bundle = await bundleForBrowser({ contents: 'export * from "@codio-chunk/storage-idb"', resolveDir: process.cwd() })
 * if (bundle.forbiddenImports.length > 0) throw new Error(bundle.forbiddenImports.join('\n'))
 * ```
 */
export async function bundleForBrowser (entry: BrowserBundleEntry, options: BrowserBundleOptions = {}): Promise<BrowserBundle> {
  const forbidden = new Set(options.forbidden ?? [])
  const forbiddenImports: string[] = []
  const watcher: Plugin = {
    name: 'forbidden-imports',
    setup (b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (NODE_BUILTINS.has(args.path) || args.path.startsWith('node:') || forbidden.has(args.path)) {
          forbiddenImports.push(`${args.path} (imported by ${args.importer})`)
          return { path: args.path, external: true }
        }
        return undefined
      })
    }
  }
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.contents, resolveDir: entry.resolveDir } }),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: options.conditions ?? ['@codio-chunk/source', 'browser', 'import', 'default'],
    logLevel: 'silent',
    metafile: true,
    plugins: [watcher]
  }).catch((err: unknown) => {
    const errors = (err as { errors?: Array<{ text: string }> }).errors
    if (errors === undefined) throw err
    return { errors, outputFiles: [], metafile: { inputs: {} } }
  })
  return {
    errors: result.errors.map(e => e.text),
    forbiddenImports,
    code: result.outputFiles?.[0]?.text ?? '',
    inputs: Object.keys(result.metafile?.inputs ?? {})
  }
}
