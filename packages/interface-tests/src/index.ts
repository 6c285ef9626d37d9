export * from './transport.js'
export * from './strategy.js'
export * from './storage.js'
export * from './verifier.js'
