/** Characters of a value a message shows at most. */
const SHOWN = 80

/**
 * A value as an error message shows it: JSON-like, at most about 80 characters (`…` marks what
 * was left out). Never throws and takes time bounded by what it shows, however large or deeply
 * nested the value (a config file can hold anything).
 *
 * @example
 * ```ts
 * describeValue('lots')                 // '"lots"'
 * describeValue(-0)                     // '-0'
 * describeValue([[[[[[[[[[[[1]]]]]]]]]]]) // '[[[[[[[[[[[[1]]]]]]]]]]]'
 * describeValue('x'.repeat(1000))       // '"xxx…': its first 80 characters, then …
 * ```
 */
export function describeValue (value: unknown): string {
  const out = { text: '', room: SHOWN }
  write(value, out)
  return out.room < 0 ? `${out.text.slice(0, SHOWN)}…` : out.text
}

function put (text: string, out: { text: string, room: number }): boolean {
  out.text += text.slice(0, Math.max(0, out.room) + 1)
  out.room -= text.length
  return out.room >= 0
}

function write (value: unknown, out: { text: string, room: number }): boolean {
  if (typeof value === 'string') return put(JSON.stringify(value.slice(0, SHOWN + 1)), out)
  if (typeof value === 'number') return put(Object.is(value, -0) ? '-0' : String(value), out)
  if (value === null || typeof value !== 'object') return put(String(value), out)
  if (Array.isArray(value)) {
    if (!put('[', out)) return false
    for (let i = 0; i < value.length; i++) {
      if ((i > 0 && !put(',', out)) || !write(value[i], out)) return false
    }
    return put(']', out)
  }
  if (!put('{', out)) return false
  let first = true
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    if ((!first && !put(',', out)) || !put(`${JSON.stringify(key.slice(0, SHOWN + 1))}:`, out) || !write((value as Record<string, unknown>)[key], out)) return false
    first = false
  }
  return put('}', out)
}
