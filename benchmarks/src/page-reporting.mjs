// Free page reporting: a virtual machine's kernel handing freed memory back to its host
// (virtio-balloon's VIRTIO_BALLOON_F_REPORTING, as Firecracker and cloud VMs use). Memory the host
// took back is faulted in again on its next use, so a process that writes into fresh page cache
// right after another one freed hundreds of MiB can run at half speed. The compare scenario saw
// exactly that on such a machine: a codio-chunk download right after a libtorrent run was slower
// than its row's median in 22 of 30 runs, and in 1 of 6 once reporting was held back for 60 s.
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs'

const PARAMETERS = '/sys/module/page_reporting/parameters'

/**
 * The kernel's free page reporting settings, or undefined when the kernel does not report free
 * pages (no page_reporting module: not a VM, or a VM without a reporting balloon).
 *
 * @example
 * const reporting = pageReporting()
 * if (reporting !== undefined) console.log(pageReportingNote(reporting))
 */
export function pageReporting () {
  const read = (name) => {
    try {
      return Number(readFileSync(`${PARAMETERS}/${name}`, 'utf8').trim())
    } catch {
      return undefined
    }
  }
  const order = read('page_reporting_order')
  if (order === undefined) return undefined
  return { order, minFreeMs: read('min_free_ms') ?? null }
}

/** One line for a scenario's output: what the setting does to the figures, and how to hold it back. */
export function pageReportingNote (reporting) {
  const delay = reporting.minFreeMs === null ? '' : ` after ${reporting.minFreeMs} ms`
  return `Note: this machine hands freed memory back to its host (free page reporting, blocks of ${4 << reporting.order} KiB${delay}); a run that writes into fresh memory after another run freed a lot can take up to twice as long. The compare scenario holds that back itself when run as root (or: echo 60000 > ${PARAMETERS}/min_free_ms, and put the old value back after)`
}

/** True if this process may hold free page reporting back (the kernel has the setting and it is writable: root). */
export function canHoldPageReporting () {
  try {
    accessSync(`${PARAMETERS}/min_free_ms`, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * Holds free page reporting back: freed memory stays with this machine for `ms` before the kernel
 * may report it, for the length of a measurement. Needs root. Returns a function that puts the
 * previous setting back (also called when the process exits). Throws an Error saying why when the
 * machine does not report free pages or the setting cannot be written.
 *
 * @example
 * const release = holdPageReporting(60_000)
 * try { await measure() } finally { release() }
 */
export function holdPageReporting (ms = 60_000) {
  const reporting = pageReporting()
  if (reporting === undefined) throw new Error('--hold-page-reporting: this machine does not report free pages to a host (no /sys/module/page_reporting); leave the flag out')
  if (reporting.minFreeMs === null) throw new Error(`--hold-page-reporting: this kernel has no ${PARAMETERS}/min_free_ms setting to hold reporting back with`)
  const file = `${PARAMETERS}/min_free_ms`
  try {
    writeFileSync(file, String(ms))
  } catch (err) {
    throw new Error(`--hold-page-reporting: could not write ${file} (${err.code ?? err.message}); it needs root`)
  }
  let released = false
  const release = () => {
    if (released) return
    released = true
    process.off('exit', release)
    try { writeFileSync(file, String(reporting.minFreeMs)) } catch {}
  }
  process.on('exit', release)
  return release
}
