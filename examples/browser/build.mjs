#!/usr/bin/env node
// Builds the page with esbuild: src/main.ts bundled for browsers (the packages' `browser` exports,
// so neither `ws` nor any Node.js built-in is in it) into dist/app.js, next to index.html.
//   node build.mjs [outDir]
import { copyFile, mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * Bundles the page into `outDir` (default `dist/`), from the workspace packages' TypeScript
 * sources (`@codio-chunk/source`), so nothing else needs building first. Resolves with the
 * folder and the bundle's size in bytes.
 */
export async function buildPage ({ outDir = join(here, 'dist'), minify = true } = {}) {
  await mkdir(outDir, { recursive: true })
  const result = await build({
    entryPoints: [join(here, 'src', 'main.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@codio-chunk/source', 'browser', 'import', 'default'],
    minify,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning'
  })
  await copyFile(join(here, 'index.html'), join(outDir, 'index.html'))
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs).find(f => f.endsWith('app.js'))].bytes
  return { outDir, bytes }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outDir, bytes } = await buildPage({ outDir: process.argv[2] === undefined ? undefined : resolve(process.argv[2]) })
  process.stdout.write(`built the page into ${outDir} (app.js ${(bytes / 1024).toFixed(0)} KiB)\n`)
}
