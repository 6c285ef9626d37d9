import type { Sha256x4Kernel } from './sha256x4-kernel.js'

/**
 * Writes the SHA-256 digest of `inputs[i]` to `out[32 * i .. 32 * i + 32)` for every `i`.
 * `out` must hold at least `32 * inputs.length` bytes.
 */
export type Sha256DigestInto = (inputs: readonly Uint8Array[], out: Uint8Array) => void

/** Options of {@link createSha256x4Driver}. */
export interface Sha256x4DriverOptions {
  /** Bytes of each message copied into the kernel's memory per call (rounded down to 64-byte blocks); default 16 KiB. */
  segmentBytes?: number
  /**
   * A one-message SHA-256, used for an input that would otherwise run alone in a four-lane call
   * (a batch of 1, 5, 9, … messages): one lane of the kernel is slower than a scalar hash.
   */
  single?: (input: Uint8Array) => Uint8Array
}

/**
 * Drives the four-lane kernel over any number of messages of any lengths: it keeps each lane busy
 * with one message, copies the messages into the kernel's memory segment by segment (16 KiB per
 * lane per call by default, so the copy stays in cache and the memory stays small), writes each
 * message's padding, and refills a lane with the next message when one finishes. Messages are
 * taken longest first so that lanes tend to finish together.
 *
 * The function is self-contained (it refers to nothing outside its body), because the worker pool
 * sends its source text to worker threads.
 *
 * @example
 * ```ts
 * import { instantiateSha256x4, createSha256x4Driver } from '@codio-chunk/verifier-sha256'
 * const kernel = await instantiateSha256x4()
 * if (kernel !== undefined) {
 *   const digestInto = createSha256x4Driver(kernel)
 *   const inputs = [new Uint8Array(256 * 1024), new Uint8Array(1000), new Uint8Array(0)]
 *   const out = new Uint8Array(32 * inputs.length)
 *   digestInto(inputs, out) // out.subarray(0, 32) is the digest of inputs[0]
 * }
 * ```
 */
export function createSha256x4Driver (kernel: Sha256x4Kernel, options: Sha256x4DriverOptions = {}): Sha256DigestInto {
  const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
  const segmentBlocks = Math.max(1, Math.floor((options.segmentBytes ?? 16384) / 64))
  const segment = segmentBlocks * 64
  const single = options.single
  const heap = kernel.HEAP_BASE.value as number
  // Lane l copies message blocks to heap + l * segment; its 1 or 2 padding blocks live at tails + 128 * l.
  const tails = heap + 4 * segment
  const missing = tails + 4 * 128 - kernel.memory.buffer.byteLength
  if (missing > 0) kernel.memory.grow(Math.ceil(missing / 65536))
  const bytes = new Uint8Array(kernel.memory.buffer)
  const view = new DataView(kernel.memory.buffer)
  const words = new Uint32Array(kernel.memory.buffer, 0, 32)

  // Per lane: the message's index (-1 when idle), the next byte to copy, the full blocks still to
  // copy from the message, the padding blocks still to compress and the next one's index.
  const message = new Int32Array(4)
  const position = new Float64Array(4)
  const body = new Float64Array(4)
  const tail = new Int32Array(4)
  const tailNext = new Int32Array(4)
  const pointers = new Int32Array(4)

  const start = (lane: number, index: number, input: Uint8Array): void => {
    for (let j = 0; j < 8; j++) words[4 * j + lane] = IV[j]
    const length = input.length
    const rest = length % 64
    const at = tails + 128 * lane
    const blocks = rest < 56 ? 1 : 2
    bytes.fill(0, at, at + 128)
    bytes.set(input.subarray(length - rest), at)
    bytes[at + rest] = 0x80
    // The message length in bits, a 64-bit big-endian integer at the end of the last block.
    view.setUint32(at + 64 * blocks - 8, Math.floor(length / 0x20000000))
    view.setUint32(at + 64 * blocks - 4, (length * 8) >>> 0)
    message[lane] = index
    position[lane] = 0
    body[lane] = (length - rest) / 64
    tail[lane] = blocks
    tailNext[lane] = 0
  }

  return (inputs: readonly Uint8Array[], out: Uint8Array): void => {
    const count = inputs.length
    if (out.length < 32 * count) throw new RangeError(`need ${32 * count} bytes for ${count} digests, got ${out.length}`)
    const digests = new DataView(out.buffer, out.byteOffset, out.byteLength)
    const order: number[] = []
    for (let i = 0; i < count; i++) order.push(i)
    order.sort((a, b) => inputs[b].length - inputs[a].length)
    if (single !== undefined && count % 4 === 1) {
      const last = order.pop() as number
      out.set(single(inputs[last]), 32 * last)
    }
    let next = 0
    message.fill(-1)
    for (;;) {
      let active = 0
      let step = segmentBlocks
      for (let lane = 0; lane < 4; lane++) {
        if (message[lane] < 0 && next < order.length) {
          const index = order[next++]
          start(lane, index, inputs[index])
        }
        if (message[lane] < 0) continue
        active++
        const left = body[lane] > 0 ? body[lane] : tail[lane]
        if (left < step) step = left
      }
      if (active === 0) return
      for (let lane = 0; lane < 4; lane++) {
        const buffer = heap + segment * lane
        if (message[lane] < 0) {
          pointers[lane] = buffer // an idle lane hashes whatever is there; its state is reset before reuse
        } else if (body[lane] > 0) {
          const from = position[lane]
          bytes.set(inputs[message[lane]].subarray(from, from + 64 * step), buffer)
          position[lane] = from + 64 * step
          body[lane] -= step
          pointers[lane] = buffer
        } else {
          pointers[lane] = tails + 128 * lane + 64 * tailNext[lane]
          tailNext[lane] += step
          tail[lane] -= step
        }
      }
      kernel.compress(pointers[0], pointers[1], pointers[2], pointers[3], step)
      for (let lane = 0; lane < 4; lane++) {
        const index = message[lane]
        if (index < 0 || body[lane] > 0 || tail[lane] > 0) continue
        for (let j = 0; j < 8; j++) digests.setUint32(32 * index + 4 * j, words[4 * j + lane])
        message[lane] = -1
      }
    }
  }
}
