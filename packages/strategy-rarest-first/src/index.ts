export { rarestFirst } from './rarest-first.js'
export type { RarestFirstOptions } from './rarest-first.js'
export { pickRarest } from './pick-rarest.js'
