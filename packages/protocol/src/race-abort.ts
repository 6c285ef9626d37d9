import { abortError } from '@codio-chunk/interface'

/**
 * Waits for `promise`, or rejects with an AbortError as soon as `signal` fires (the promise itself
 * keeps running; use this when several callers share one operation).
 */
export async function raceAbort<T> (promise: Promise<T>, signal?: AbortSignal, what = 'download'): Promise<T> {
  if (signal === undefined) return await promise
  if (signal.aborted) throw abortError(signal, what)
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(abortError(signal, what)) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort)
      resolve(value)
    }, (err: unknown) => {
      signal.removeEventListener('abort', onAbort)
      reject(err)
    })
  })
}
