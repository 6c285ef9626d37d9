#!/usr/bin/env node
import { run } from './run.js'

const controller = new AbortController()
let signals = 0
const onSignal = (signal: NodeJS.Signals): void => {
  signals++
  // The first signal stops the command cleanly; a second one does not wait.
  if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143)
  controller.abort(new Error(`received ${signal}`))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

process.exitCode = await run(process.argv.slice(2), { signal: controller.signal })
// Nothing the command started may keep the process alive once it has finished.
setTimeout(() => process.exit(), 2000).unref()
