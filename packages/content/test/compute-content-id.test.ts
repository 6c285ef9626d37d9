import { describe, expect, it } from 'vitest'
import { computeContentId } from '../src/index.js'

const HELLO_V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const HELLO_V1 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
const hello = new TextEncoder().encode('hello world\n')

describe('computeContentId', () => {
  it('computes what ipfs add prints, from bytes or a stream', async () => {
    expect((await computeContentId(hello, { cidVersion: 0 })).toString()).toBe(HELLO_V0)
    expect((await computeContentId(hello)).toString()).toBe(HELLO_V1)
    async function * stream (): AsyncGenerator<Uint8Array> { yield hello.subarray(0, 5); yield hello.subarray(5) }
    expect((await computeContentId(stream(), { cidVersion: 0 })).toString()).toBe(HELLO_V0)
  })
})
