/** Serves the files of `dir` on `http://host:port/` (loopback, any free port by default). */
export function serveStatic (dir: string, options?: { host?: string, port?: number }): Promise<{ url: string, close: () => Promise<void> }>
/** The page's URL for a content and its providers; `auto` (default true) starts the download at once. */
export function pageUrl (base: string, options?: { cid?: string, peers?: readonly string[], auto?: boolean, downloadLimit?: number, db?: string }): string
