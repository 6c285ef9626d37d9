import { MessageType } from '@codio-chunk/interface'
import type { AnswerState } from './request-ledger.js'

/**
 * Frames up to this many bytes are assembled as they come; a longer one is looked at first (its
 * type byte and, for `data`, its request id) and assembled only if it is one this side asked for.
 * Every message but `data` and `bitfield` is shorter (a hello or peers message with the most
 * addresses is under 40 KiB).
 */
export const EAGER_FRAME_BYTES = 64 * 1024

/** The longest bitfield frame accepted: a content of 8 million chunks (2 TiB of 256 KiB chunks). */
export const MAX_BITFIELD_FRAME_BYTES = 1024 * 1024 + 512

/** Bytes of a frame's start {@link admitLargeFrame} looks at: the type byte and a request id. */
export const FRAME_HEAD_BYTES = 5

/** What to do with a long frame: assemble it, consume it without keeping it, or refuse it (the reason). */
export type FrameAdmission = 'accept' | 'skip' | { refuse: string }

const NAMES = new Map<number, string>(Object.entries(MessageType).map(([name, byte]) => [byte, name]))

/**
 * Decides, before any memory is given to it, what to do with a frame longer than
 * {@link EAGER_FRAME_BYTES} whose first {@link FRAME_HEAD_BYTES} bytes are `head`: a `data` frame
 * answering a request we wait for is assembled, one answering a request we cancelled lately is
 * skipped (it crossed our cancel), one answering nothing we asked for is refused; a `bitfield` up
 * to {@link MAX_BITFIELD_FRAME_BYTES} is assembled; any other long frame is refused. So a peer
 * cannot make a node hold large buffers for frames it never asked for, whole or half sent.
 *
 * @example
 * ```ts
 * const ledger = new RequestLedger()
 * const decoder = new FrameDecoder({ maxFrameSize, admit: (length, head) => admitLargeFrame(length, head, (id) => ledger.answerState(id)) })
 * ```
 */
export function admitLargeFrame (length: number, head: Uint8Array, answerState: (id: number) => AnswerState): FrameAdmission {
  const type = head[0]
  if (type === MessageType.data) {
    const id = ((head[1] << 24) | (head[2] << 16) | (head[3] << 8) | head[4]) >>> 0
    const state = answerState(id)
    if (state === 'awaited') return 'accept'
    if (state === 'cancelled') return 'skip'
    return { refuse: `The peer sent a data frame of ${length} bytes answering request ${id}, which this side never made. Disconnect it` }
  }
  if (type === MessageType.bitfield && length <= MAX_BITFIELD_FRAME_BYTES) return 'accept'
  const name = NAMES.get(type)
  return { refuse: `The peer announced a ${name ?? `type 0x${type.toString(16)}`} frame of ${length} bytes; no such message is that long. Disconnect it` }
}
