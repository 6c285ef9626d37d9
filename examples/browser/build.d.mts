/** Bundles the page (src/main.ts) with esbuild into `outDir` (default dist/), with index.html. */
export function buildPage (options?: { outDir?: string, minify?: boolean }): Promise<{ outDir: string, bytes: number }>
