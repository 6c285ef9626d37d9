/**
 * Timers that work the same in Node.js and in browsers. Node's timers keep a process alive unless
 * unref'd and it has `setImmediate`; browsers have neither, so these pick what exists.
 */

type Handle = ReturnType<typeof setTimeout>

const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate
const clearImmediateFn = (globalThis as { clearImmediate?: (handle: unknown) => void }).clearImmediate

/** A scheduled call of {@link nextTurn}; `cancel()` stops it if it has not run. */
export interface Scheduled {
  cancel(): void
}

/**
 * Runs `fn` on a later turn of the event loop, after the I/O callbacks already due (Node's
 * `setImmediate`; a zero timeout in browsers), so work arriving in one turn can be batched.
 */
export function nextTurn (fn: () => void): Scheduled {
  if (immediate !== undefined && clearImmediateFn !== undefined) {
    const handle = immediate(fn)
    return { cancel: () => { clearImmediateFn(handle) } }
  }
  const handle = setTimeout(fn, 0)
  return { cancel: () => { clearTimeout(handle) } }
}

/** `setInterval` that does not keep a Node.js process alive. */
export function unrefInterval (fn: () => void, ms: number): Handle {
  const handle = setInterval(fn, ms)
  ;(handle as { unref?: () => void }).unref?.()
  return handle
}

/** `setTimeout` that does not keep a Node.js process alive. */
export function unrefTimeout (fn: () => void, ms: number): Handle {
  const handle = setTimeout(fn, ms)
  ;(handle as { unref?: () => void }).unref?.()
  return handle
}
