import { describe, expect, it } from 'vitest'
import { ConnectionState } from '../src/index.js'
import { ConnectionClosedError, GoodbyeCode, ProtocolError, silentLogger } from '@codio-chunk/interface'
import type { WireMessage } from '@codio-chunk/interface'

function fakeConnection (): { sent: WireMessage[], closedWith: Array<Error | undefined>, state: ConnectionState } {
  const sent: WireMessage[] = []
  const closedWith: Array<Error | undefined> = []
  const connection = {
    remoteAddress: 'tcp://127.0.0.1:1',
    send: (m: WireMessage) => { sent.push(m) },
    close: (error?: Error) => { closedWith.push(error); state.markClosed(error) }
  }
  const state: ConnectionState = new ConnectionState(connection, silentLogger)
  return { sent, closedWith, state }
}

describe('ConnectionState', () => {
  it('attaches the handler once and reports a close that came before start, once', async () => {
    const { state } = fakeConnection()
    const closes: Array<Error | undefined> = []
    const error = new Error('gone')
    expect(state.markClosed(error)).toBe(true)
    expect(state.markClosed(new Error('again'))).toBe(false)
    expect(state.start({ onMessage: () => {}, onClose: (e) => { closes.push(e) } })).toBe(false)
    expect(() => state.start({ onMessage: () => {}, onClose: () => {} })).toThrow(/already called/)
    await new Promise(resolve => queueMicrotask(() => { resolve(undefined) }))
    expect(closes).toEqual([error])
    expect(state.closeError).toBe(error)
  })

  it('turns a throwing handler into a goodbye and a close with a ProtocolError', () => {
    const { sent, closedWith, state } = fakeConnection()
    let closes = 0
    state.start({ onMessage: () => { throw new Error('boom') }, onClose: () => { closes++ } })
    state.deliver({ type: 'unchoke' })
    expect(sent).toEqual([expect.objectContaining({ type: 'goodbye', code: GoodbyeCode.ProtocolError })])
    expect(closedWith[0]).toBeInstanceOf(ProtocolError)
    expect(state.closed).toBe(true)
    expect(closes).toBe(1)
  })

  it('resolves drains at drained(), rejects them on close and on abort', async () => {
    const { state } = fakeConnection()
    state.start({ onMessage: () => {}, onClose: () => {} })
    await state.drain(false)
    const waiting = state.drain(true)
    expect(state.draining).toBe(true)
    state.drained()
    await waiting
    const controller = new AbortController()
    const aborted = state.drain(true, controller.signal)
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' })
    const closing = state.drain(true)
    state.markClosed(undefined)
    await expect(closing).rejects.toBeInstanceOf(ConnectionClosedError)
    await expect(state.drain(false)).rejects.toBeInstanceOf(ConnectionClosedError)
    expect(state.sendError({ type: 'unchoke' })).toBeInstanceOf(ConnectionClosedError)
  })
})
