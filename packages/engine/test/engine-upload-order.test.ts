import { describe, expect, it } from 'vitest'
import { MAX_OVERTAKES, UploadOrder } from '../src/upload/upload-order.js'

interface Item { name: string, rank: number, overtaken: number }
const item = (name: string, rank: number): Item => ({ name, rank, overtaken: 0 })
const drain = (order: UploadOrder<Item>): string[] => {
  const out: string[] = []
  for (let next = order.next(); next !== undefined; next = order.next()) out.push(next.name)
  return out
}

describe('UploadOrder', () => {
  it('hands out the lowest rank first and keeps arrival order among equal ranks', () => {
    const order = new UploadOrder<Item>((i) => i.rank)
    for (const i of [item('a', 3), item('b', 1), item('c', 3), item('d', 1), item('e', 2)]) order.push(i)
    expect(order.size).toBe(5)
    expect(drain(order)).toEqual(['b', 'd', 'e', 'a', 'c'])
    expect(order.size).toBe(0)
    expect(order.next()).toBeUndefined()
  })

  it('reads the rank when choosing, so ranks may change while items wait', () => {
    const a = item('a', 1)
    const b = item('b', 2)
    const order = new UploadOrder<Item>((i) => i.rank)
    order.push(a)
    order.push(b)
    a.rank = 5 // e.g. other peers announced chunk a meanwhile
    expect(drain(order)).toEqual(['b', 'a'])
  })

  it('never lets an item be overtaken more than maxOvertakes times', () => {
    const order = new UploadOrder<Item>((i) => i.rank, 2)
    order.push(item('common', 9))
    const served: string[] = []
    // A stream of rarer requests keeps arriving behind it.
    for (let k = 0; k < 5; k++) {
      order.push(item(`rare${k}`, 0))
      served.push((order.next() as Item).name)
    }
    expect(served.slice(0, 3)).toEqual(['rare0', 'rare1', 'common'])
    expect(served.slice(3)).toEqual(['rare2', 'rare3'])
    expect(drain(order)).toEqual(['rare4'])
  })

  it('is plain arrival order when every rank is equal, and defaults to a small overtake bound', () => {
    const order = new UploadOrder<Item>(() => 0)
    for (const name of ['a', 'b', 'c']) order.push(item(name, 0))
    expect(drain(order)).toEqual(['a', 'b', 'c'])
    expect(MAX_OVERTAKES).toBeGreaterThan(0)
  })
})
