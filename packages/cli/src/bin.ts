#!/usr/bin/env node
import { run } from './run.js'
import { InterruptedError } from './errors.js'

const controller = new AbortController()
let signals = 0
const onSignal = (signal: NodeJS.Signals): void => {
  signals++
  // The first signal stops the command cleanly; a second one does not wait.
  if (signals > 1) process.exit(signal === 'SIGINT' ? 130 : 143)
  controller.abort(new InterruptedError(signal))
}
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)
// A closed stdout or stderr (`codio-chunk cat … | head`) is handled by run(), which stops the
// command; an error on them reported after that is no crash.
process.stdout.on('error', () => {})
process.stderr.on('error', () => {})

process.exitCode = await run(process.argv.slice(2), { signal: controller.signal })
// Nothing the command started may keep the process alive once it has finished.
setTimeout(() => process.exit(), 2000).unref()
