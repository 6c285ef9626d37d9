import { describe, expect, it } from 'vitest'
import type { PeerStats } from '@codio-chunk/core'
import { bar, progressLine, shortPeerId, statusLines, totals } from '../src/ui/progress.js'
import { LiveDisplay } from '../src/ui/live-display.js'
import type { OutputStream } from '../src/io.js'

const ESC = '\x1b'

function peer (overrides: Partial<PeerStats> = {}): PeerStats {
  return {
    peerId: '12D3KooWAbCdEfGhIjKlMnOpQrStUvWxYz',
    address: 'tcp://127.0.0.1:4001',
    direction: 'outbound',
    bytesSent: 0,
    bytesReceived: 0,
    uploadRate: 0,
    downloadRate: 0,
    ratio: 0,
    choked: false,
    chokedBy: false,
    interested: false,
    wanted: false,
    badChunks: 0,
    timeouts: 0,
    requestsOut: 0,
    requestsIn: 0,
    bytesQueued: 0,
    optimistic: false,
    snubbed: false,
    ...overrides
  }
}

/** A stream that records what is written; a terminal when `isTTY`. */
class FakeStream implements OutputStream {
  readonly writes: string[] = []
  constructor (readonly isTTY?: boolean, readonly columns?: number) {}
  write (chunk: string | Uint8Array): boolean {
    this.writes.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk))
    return true
  }

  get text (): string { return this.writes.join('') }
}

/** Plays terminal output onto a screen of lines (the sequences LiveDisplay uses only). */
function screenOf (text: string): string[] {
  const screen: string[] = []
  let row = 0
  const re = new RegExp(`${ESC}\\[(\\d*)([FK])|\\n|[^${ESC}\\n]+`, 'gy')
  for (const match of text.matchAll(re)) {
    const token = match[0]
    if (token === '\n') {
      row++
    } else if (match[2] === 'F') {
      row = Math.max(0, row - Number(match[1] === '' ? 1 : match[1]))
    } else if (match[2] === 'K') {
      screen[row] = ''
    } else {
      screen[row] = (screen[row] ?? '') + token
    }
  }
  return screen.map(line => line ?? '')
}

describe('bar', () => {
  it('fills a share of its width', () => {
    expect(bar(0, 10)).toBe('░'.repeat(10))
    expect(bar(1, 10)).toBe('█'.repeat(10))
    expect(bar(0.5, 10)).toBe('█████░░░░░')
    expect(bar(0.25)).toHaveLength(24)
    expect(bar(0.25)).toBe('█'.repeat(6) + '░'.repeat(18))
  })

  it('clamps the fraction and treats not-a-number as 0', () => {
    expect(bar(-0.5, 8)).toBe('░'.repeat(8))
    expect(bar(1.7, 8)).toBe('█'.repeat(8))
    expect(bar(Number.NaN, 8)).toBe('░'.repeat(8))
    expect(bar(Number.POSITIVE_INFINITY, 8)).toBe('░'.repeat(8))
  })

  it('never throws on an odd width', () => {
    expect(bar(0.5, 0)).toBe('')
    expect(bar(0.5, -3)).toBe('')
    expect(bar(1, 4.7)).toBe('████')
  })
})

describe('progressLine', () => {
  it('shows bar, percent, bytes, rate, peers and eta', () => {
    const line = progressLine({ progress: 0.5, downloadedBytes: 512, totalBytes: 1024, downloadRate: 100, peers: 3, eta: 5120 })
    expect(line).toBe(`${bar(0.5)}  50.0%  512 B / 1.0 KiB  100 B/s  3 peers  eta 5.1 s`)
  })

  it('says peer for one peer and eta ? when nothing arrives', () => {
    const line = progressLine({ progress: 0, downloadedBytes: 0, totalBytes: 64 * 1024 ** 2, downloadRate: 0, peers: 1, eta: undefined })
    expect(line).toContain('  0.0%')
    expect(line).toContain('0 B / 64.0 MiB')
    expect(line).toContain('1 peer ')
    expect(line.endsWith('eta ?')).toBe(true)
  })

  it('keeps the percent within 0 to 100 like the bar', () => {
    expect(progressLine({ progress: 1.2, downloadedBytes: 1, totalBytes: 1, downloadRate: 0, peers: 0, eta: 0 })).toContain('100.0%')
    expect(progressLine({ progress: Number.NaN, downloadedBytes: 0, totalBytes: 0, downloadRate: 0, peers: 0, eta: 0 })).toContain('  0.0%')
  })

  it('shows a long eta in minutes', () => {
    expect(progressLine({ progress: 0.1, downloadedBytes: 1, totalBytes: 10, downloadRate: 1, peers: 2, eta: 185_000 })).toContain('eta 3m 05s')
  })
})

describe('totals and shortPeerId', () => {
  it('adds up rates and bytes over peers', () => {
    expect(totals([])).toEqual({ peers: 0, uploadRate: 0, downloadRate: 0, bytesSent: 0, bytesReceived: 0 })
    expect(totals([peer({ uploadRate: 10, bytesSent: 100 }), peer({ downloadRate: 5, bytesReceived: 7, uploadRate: 1 })])).toEqual({
      peers: 2, uploadRate: 11, downloadRate: 5, bytesSent: 100, bytesReceived: 7
    })
  })

  it('shortens long peer ids only', () => {
    expect(shortPeerId('12D3KooWAbCdEfGhIjKlMnOpQrStUvWxYz')).toBe('12D3KooW…WxYz')
    expect(shortPeerId('short-id')).toBe('short-id')
  })
})

describe('statusLines', () => {
  it('has a summary line for no peers', () => {
    expect(statusLines([], 1)).toEqual(['0 peers  ↑ 0 B/s  ↓ 0 B/s  sent 0 B  received 0 B  1 content stored'])
  })

  it('shows each peer with its choke state, busiest first', () => {
    const lines = statusLines([
      peer({ peerId: '12D3KooWquietquietquietQUIET', address: 'tcp://127.0.0.1:1', choked: true }),
      peer({ peerId: '12D3KooWbusybusybusybusyBUSY', address: 'tcp://127.0.0.1:2', uploadRate: 2048, interested: true, bytesSent: 4096 })
    ], 2)
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe('2 peers  ↑ 2.0 KiB/s  ↓ 0 B/s  sent 4.0 KiB  received 0 B  2 contents stored')
    expect(lines[1]).toContain('12D3KooW…BUSY')
    expect(lines[1]).toContain('tcp://127.0.0.1:2')
    expect(lines[1]).toMatch(/unchoked +interested/)
    expect(lines[1]).toContain('↑   2.0 KiB/s ↓       0 B/s')
    expect(lines[2]).toContain('12D3KooW…UIET')
    expect(lines[2]).toMatch(/ choked {3}/)
    expect(lines[2]).not.toContain('unchoked')
    expect(lines[2]).not.toContain('interested')
  })

  it('marks the optimistic unchoke and snubbing peers', () => {
    const lines = statusLines([
      peer({ peerId: '12D3KooWluckyluckyluckyLUCKY', uploadRate: 2, interested: true, optimistic: true }),
      peer({ peerId: '12D3KooWslowslowslowslowSLOW', uploadRate: 1, choked: true, snubbed: true })
    ], 1)
    expect(lines[1]).toMatch(/UCKY .* optimistic interested/)
    expect(lines[2]).toMatch(/SLOW .* choked .*snubbed/)
    expect(lines[2]).not.toContain('optimistic')
  })

  it('shows at most maxPeers peers and a line for the rest', () => {
    const stats = Array.from({ length: 12 }, (_, i) => peer({ peerId: `12D3KooWpeer${String(i).padStart(20, '0')}`, uploadRate: i }))
    const lines = statusLines(stats, 0)
    expect(lines).toHaveLength(1 + 8 + 1)
    expect(lines[0]).toMatch(/^12 peers /)
    expect(lines[0]).toContain('0 contents stored')
    expect(lines[1]).toContain('…0011')
    expect(lines[9]).toBe('  … and 4 more')
    expect(statusLines(stats, 0, 2).at(-1)).toBe('  … and 10 more')
    expect(statusLines(stats.slice(0, 8), 0)).toHaveLength(9)
  })

  it('does not reorder the caller\'s array', () => {
    const stats = [peer({ uploadRate: 1, peerId: 'a' }), peer({ uploadRate: 5, peerId: 'b' })]
    statusLines(stats, 0)
    expect(stats.map(s => s.peerId)).toEqual(['a', 'b'])
  })
})

describe('LiveDisplay', () => {
  it('draws nothing on a stream that is not a terminal', () => {
    for (const stream of [new FakeStream(), new FakeStream(false, 80)]) {
      const display = new LiveDisplay(stream)
      expect(display.enabled).toBe(false)
      display.render(['a', 'b'])
      display.render(['c'])
      display.clear()
      expect(stream.writes).toEqual([])
    }
  })

  it('draws lines, then moves the cursor up to redraw them in place', () => {
    const stream = new FakeStream(true, 80)
    const display = new LiveDisplay(stream)
    expect(display.enabled).toBe(true)
    display.render(['one', 'two'])
    expect(stream.writes[0]).toBe(`${ESC}[2Kone\n${ESC}[2Ktwo\n`)
    display.render(['three', 'four'])
    expect(stream.writes[1].startsWith(`${ESC}[2F`)).toBe(true)
    expect(screenOf(stream.text)).toEqual(['three', 'four'])
  })

  it('clears the lines left over when the block gets shorter', () => {
    const stream = new FakeStream(true, 80)
    const display = new LiveDisplay(stream)
    display.render(['a', 'b', 'c'])
    display.render(['x'])
    expect(stream.writes[1].startsWith(`${ESC}[3F`)).toBe(true)
    expect(screenOf(stream.text)).toEqual(['x', '', ''])
    display.render(['y', 'z'])
    expect(screenOf(stream.text)).toEqual(['y', 'z', ''])
  })

  it('clear removes the drawn lines and leaves the cursor where the block began', () => {
    const stream = new FakeStream(true, 80)
    const display = new LiveDisplay(stream)
    display.clear()
    expect(stream.writes).toEqual([])
    display.render(['a', 'b'])
    display.clear()
    expect(stream.writes[1]).toBe(`${ESC}[2F${ESC}[2K\n${ESC}[2K\n${ESC}[2F`)
    stream.write('done\n')
    expect(screenOf(stream.text)).toEqual(['done', ''])
    display.clear()
    expect(stream.writes).toHaveLength(3)
  })

  it('keep leaves the lines on screen and draws the next block below them', () => {
    const stream = new FakeStream(true, 80)
    const display = new LiveDisplay(stream)
    display.render(['first'])
    display.keep()
    display.render(['second'])
    expect(stream.writes[1]).toBe(`${ESC}[2Ksecond\n`)
    expect(screenOf(stream.text)).toEqual(['first', 'second'])
  })

  it('cuts lines to the terminal width', () => {
    const stream = new FakeStream(true, 30)
    const display = new LiveDisplay(stream)
    display.render(['x'.repeat(100), 'short'])
    const [long, short] = screenOf(stream.text)
    expect(long).toBe('x'.repeat(28) + '…')
    expect(long.length).toBeLessThan(30)
    expect(short).toBe('short')
  })

  it('keeps at least 20 columns on a tiny or unknown terminal width', () => {
    const tiny = new FakeStream(true, 5)
    new LiveDisplay(tiny).render(['y'.repeat(50)])
    expect(screenOf(tiny.text)[0]).toBe('y'.repeat(19) + '…')
    const unknown = new FakeStream(true)
    new LiveDisplay(unknown).render(['z'.repeat(150)])
    expect(screenOf(unknown.text)[0]).toHaveLength(99)
  })

  it('keeps a line with a line break on one screen line', () => {
    const stream = new FakeStream(true, 80)
    const display = new LiveDisplay(stream)
    display.render(['a\nb', 'c'])
    display.render(['d', 'e'])
    expect(screenOf(stream.text)).toEqual(['d', 'e'])
  })
})
