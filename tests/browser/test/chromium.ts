import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'

/** Debian's Chromium (`apt-get install -y chromium`); CODIO_CHROMIUM names another binary. */
export const CHROMIUM = process.env.CODIO_CHROMIUM ?? '/usr/bin/chromium'

/** True when the browser the tests drive is installed. */
export const hasChromium = existsSync(CHROMIUM)

/** What is said, and shown as a skipped test's name, when Chromium is missing. */
export const SKIPPED = `Chromium is not installed at ${CHROMIUM}, so the tests in a real browser were skipped (the page's download from Node.js nodes, ban of a liar and resume from IndexedDB; the storage compliance suite on Chromium's IndexedDB). Install it with \`apt-get install -y chromium\` and run them again`

if (!hasChromium) process.stderr.write(`\n${SKIPPED}\n\n`)

/** Starts headless Chromium (within 30 s). */
export async function launchChromium (): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'], timeout: 30_000 })
}
