/**
 * Chunk availability: sets of chunk indices with fast random and ordered access, what each peer
 * holds of a content, and the rarity index kept incrementally from bitfields, haves and departures.
 * The engine keeps these up to date; a Strategy reads them through its `PickView`. No Node.js
 * built-ins.
 */
export * from './chunk-set.js'
export * from './availability.js'
export * from './peer-chunks.js'
