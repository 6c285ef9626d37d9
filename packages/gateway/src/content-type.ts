/** Bytes of a content's start that {@link sniffContentType} looks at. */
export const SNIFF_BYTES = 512

const OCTET_STREAM = 'application/octet-stream'
const TEXT = 'text/plain; charset=utf-8'
const HTML = 'text/html; charset=utf-8'

/** Media types by file extension (lower case, no dot): what `?filename=` names. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  mp4: 'video/mp4', m4v: 'video/mp4', m4a: 'audio/mp4', mov: 'video/quicktime', webm: 'video/webm', mkv: 'video/x-matroska',
  ogg: 'audio/ogg', oga: 'audio/ogg', ogv: 'video/ogg', opus: 'audio/ogg', mp3: 'audio/mpeg', wav: 'audio/wav', flac: 'audio/flac',
  ts: 'video/mp2t', m3u8: 'application/vnd.apple.mpegurl', mpd: 'application/dash+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', avif: 'image/avif',
  svg: 'image/svg+xml', ico: 'image/vnd.microsoft.icon', bmp: 'image/bmp',
  pdf: 'application/pdf', html: HTML, htm: HTML, css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8', json: 'application/json', txt: TEXT, md: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8', xml: 'application/xml', zip: 'application/zip', gz: 'application/gzip',
  tar: 'application/x-tar', wasm: 'application/wasm', car: 'application/vnd.ipld.car', woff: 'font/woff', woff2: 'font/woff2'
}

/**
 * The media type a file name's extension stands for, or undefined for an unknown or missing one.
 *
 * @example
 * ```ts
 * typeFromFilename('clip.MP4')  // 'video/mp4'
 * typeFromFilename('README')    // undefined
 * ```
 */
export function typeFromFilename (name: string): string | undefined {
  const dot = name.lastIndexOf('.')
  if (dot === -1 || dot === name.length - 1) return undefined
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()]
}

const ascii = (text: string): number[] => [...text].map(c => c.charCodeAt(0))
const startsWith = (bytes: Uint8Array, prefix: readonly number[], at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b)

/** Signatures checked in order: bytes at an offset, and the type they mean. */
const SIGNATURES: ReadonlyArray<{ at: number, bytes: number[], type: string }> = [
  { at: 0, bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], type: 'image/png' },
  { at: 0, bytes: [0xff, 0xd8, 0xff], type: 'image/jpeg' },
  { at: 0, bytes: ascii('GIF87a'), type: 'image/gif' },
  { at: 0, bytes: ascii('GIF89a'), type: 'image/gif' },
  { at: 0, bytes: ascii('%PDF-'), type: 'application/pdf' },
  { at: 0, bytes: [0x50, 0x4b, 0x03, 0x04], type: 'application/zip' },
  { at: 0, bytes: [0x1f, 0x8b, 0x08], type: 'application/gzip' },
  { at: 0, bytes: ascii('OggS\u0000'), type: 'application/ogg' },
  { at: 0, bytes: ascii('ID3'), type: 'audio/mpeg' },
  { at: 0, bytes: ascii('fLaC'), type: 'audio/flac' },
  { at: 0, bytes: [0x00, 0x61, 0x73, 0x6d], type: 'application/wasm' }
]

/** Tags that, after leading white space, make a text HTML (as the WHATWG sniffing rules list them). */
const HTML_TAGS = ['<!doctype html', '<html', '<head', '<script', '<iframe', '<h1', '<div', '<font', '<table', '<a', '<style', '<title', '<b', '<body', '<br', '<p', '<!--']

/**
 * The media type of a content from its first bytes ({@link SNIFF_BYTES} are enough): MP4
 * (`ftyp` box), WebM/Matroska, Ogg, MP3, FLAC, WAV, AVI, PNG, JPEG, GIF, WebP, PDF, ZIP, gzip,
 * WebAssembly, HTML, SVG, XML, JSON and UTF-8 text; `application/octet-stream` for anything else.
 * An empty content is text.
 *
 * @example
 * ```ts
 * sniffContentType(new TextEncoder().encode('%PDF-1.7 …'))  // 'application/pdf'
 * sniffContentType(new TextEncoder().encode('{"a": 1}'))    // 'application/json'
 * sniffContentType(new Uint8Array([0, 1, 2, 3]))            // 'application/octet-stream'
 * ```
 */
export function sniffContentType (bytes: Uint8Array): string {
  const head = bytes.subarray(0, SNIFF_BYTES)
  for (const signature of SIGNATURES) if (startsWith(head, signature.bytes, signature.at)) return signature.type
  if (startsWith(head, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...head.subarray(8, 12))
    if (brand === 'M4A ') return 'audio/mp4'
    if (brand === 'qt  ') return 'video/quicktime'
    return 'video/mp4'
  }
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) {
    return indexOf(head, ascii('webm')) !== -1 ? 'video/webm' : 'video/x-matroska'
  }
  if (startsWith(head, ascii('RIFF')) && head.length >= 12) {
    const form = String.fromCharCode(...head.subarray(8, 12))
    if (form === 'WEBP') return 'image/webp'
    if (form === 'WAVE') return 'audio/wav'
    if (form === 'AVI ') return 'video/x-msvideo'
  }
  // MPEG audio frame sync without an ID3 tag: 11 set bits, a valid layer.
  if (head.length >= 2 && head[0] === 0xff && (head[1] & 0xe0) === 0xe0 && (head[1] & 0x06) !== 0) return 'audio/mpeg'
  if (!isText(head, bytes.length > SNIFF_BYTES)) return OCTET_STREAM
  return textType(new TextDecoder().decode(head), bytes.length <= SNIFF_BYTES)
}

/** HTML, SVG, XML, JSON or plain text, for bytes that are text. */
function textType (text: string, whole: boolean): string {
  const start = text.replace(/^[\s\uFEFF]+/, '')
  const lower = start.slice(0, 64).toLowerCase()
  for (const tag of HTML_TAGS) {
    if (lower.startsWith(tag)) {
      const after = lower.charAt(tag.length)
      if (after === '' || after === '>' || after === ' ' || after === '\t' || after === '\n' || after === '\r' || tag === '<!--') return HTML
    }
  }
  if (lower.startsWith('<svg')) return 'image/svg+xml'
  if (lower.startsWith('<?xml')) return start.includes('<svg') ? 'image/svg+xml' : 'text/xml; charset=utf-8'
  if (looksLikeJson(start, whole)) return 'application/json'
  return TEXT
}

/** A JSON object or array: a whole text that parses, or the start of a longer one that opens like one. */
function looksLikeJson (text: string, whole: boolean): boolean {
  const first = text.charAt(0)
  if (first !== '{' && first !== '[') return false
  if (whole) {
    try {
      JSON.parse(text)
      return true
    } catch {
      return false
    }
  }
  const next = text.slice(1).trimStart().charAt(0)
  return first === '{' ? next === '"' || next === '}' : /^[[{"\]0-9tfn-]$/.test(next)
}

/**
 * True for bytes that are UTF-8 text: no control characters but tab, line feed, form feed,
 * carriage return and escape, and valid UTF-8 (a sequence cut at the end of a `truncated` sample
 * counts as valid).
 */
function isText (bytes: Uint8Array, truncated: boolean): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) return false
    if (b === 0x7f) return false
    if (b < 0x80) continue
    const length = b >= 0xf0 ? (b <= 0xf4 ? 4 : 0) : b >= 0xe0 ? 3 : b >= 0xc2 ? 2 : 0
    if (length === 0) return false
    if (i + length > bytes.length) return truncated
    for (let k = 1; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return false
    i += length - 1
  }
  return true
}

function indexOf (bytes: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let k = 0; k < needle.length; k++) if (bytes[i + k] !== needle[k]) continue outer
    return i
  }
  return -1
}
