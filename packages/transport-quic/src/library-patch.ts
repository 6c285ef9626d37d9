import { fileURLToPath } from 'node:url'
import { QUICClient } from '@matrixai/quic'

/** The `@matrixai/quic` version the shipped patch is made for (the exact version this package depends on). */
export const QUIC_LIBRARY_VERSION = '2.0.9'

/**
 * True when the loaded `@matrixai/quic` carries this package's patch (see PERFORMANCE.md). An
 * unpatched copy works the same but moves about 1–3 MB/s instead of tens: this workspace applies
 * the patch with pnpm's `patchedDependencies`, an application installing from npm has to apply it
 * itself (README, "Applying the patch").
 *
 * @example
 * ```ts
 * import { quicLibraryPatched, quicLibraryPatchPath } from '@codio-chunk/transport-quic'
 * if (!quicLibraryPatched()) console.warn(`@matrixai/quic is unpatched: apply ${quicLibraryPatchPath()}`)
 * ```
 */
export function quicLibraryPatched (): boolean {
  // The patch gives the client a factory for each connection's packet sender; 2.0.9 has none.
  return typeof (QUICClient.prototype as { packetSender?: unknown }).packetSender === 'function'
}

/**
 * Absolute path of the patch file shipped in this package (`patches/@matrixai__quic@2.0.9.patch`,
 * paths relative to the library's folder, as pnpm's `patchedDependencies` and `patch -p1` expect).
 *
 * @example
 * ```ts
 * import { quicLibraryPatchPath } from '@codio-chunk/transport-quic'
 * console.log(quicLibraryPatchPath()) // …/node_modules/@codio-chunk/transport-quic/patches/@matrixai__quic@2.0.9.patch
 * ```
 */
export function quicLibraryPatchPath (): string {
  // From dist/index.js (published) or src/library-patch.ts (this workspace): one folder up either way.
  return fileURLToPath(new URL(`../patches/@matrixai__quic@${QUIC_LIBRARY_VERSION}.patch`, import.meta.url))
}
