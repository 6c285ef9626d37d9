/** What a page can do with a file: play it, show it, or only save it. */
export interface MediaKind {
  mime: string
  element: 'video' | 'audio' | 'img' | undefined
}

const SIGNATURES: Array<{ test: (b: Uint8Array) => boolean, kind: MediaKind }> = [
  { test: b => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WAVE', kind: { mime: 'audio/wav', element: 'audio' } },
  { test: b => ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && (b[1] & 0xe0) === 0xe0), kind: { mime: 'audio/mpeg', element: 'audio' } },
  { test: b => ascii(b, 0, 4) === 'OggS', kind: { mime: 'audio/ogg', element: 'audio' } },
  { test: b => ascii(b, 0, 4) === 'fLaC', kind: { mime: 'audio/flac', element: 'audio' } },
  { test: b => ascii(b, 4, 4) === 'ftyp', kind: { mime: 'video/mp4', element: 'video' } },
  { test: b => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3, kind: { mime: 'video/webm', element: 'video' } },
  { test: b => b[0] === 0x89 && ascii(b, 1, 3) === 'PNG', kind: { mime: 'image/png', element: 'img' } },
  { test: b => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff, kind: { mime: 'image/jpeg', element: 'img' } },
  { test: b => ascii(b, 0, 4) === 'GIF8', kind: { mime: 'image/gif', element: 'img' } },
  { test: b => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP', kind: { mime: 'image/webp', element: 'img' } }
]

/** The kind of a file from its first bytes (magic numbers); unknown files can only be saved. */
export function sniffMedia (head: Uint8Array): MediaKind {
  for (const { test, kind } of SIGNATURES) if (head.length >= 12 && test(head)) return kind
  return { mime: 'application/octet-stream', element: undefined }
}

function ascii (bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length))
}
