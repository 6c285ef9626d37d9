import { TimeoutError } from '@codio-chunk/interface'

/**
 * Settles as `promise` does, or rejects with `TimeoutError` after `ms` milliseconds. The native
 * call behind `promise` is not cancelled: the caller closes what it belongs to.
 */
export async function withTimeout<T> (promise: Promise<T>, ms: number, what = 'the peer'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`No answer from ${what} within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
