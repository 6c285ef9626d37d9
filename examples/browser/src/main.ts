import { BrowserNode } from './download.js'
import type { CodioState } from './download.js'
import { parseAddressList } from './providers.js'
import { render } from './view.js'

declare global {
  interface Window {
    /** The page's state, for people in the console and for tests. */
    codioState: CodioState
  }
}

const params = new URLSearchParams(location.search)
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const cidInput = $<HTMLInputElement>('cid')
const peersInput = $<HTMLTextAreaElement>('peers')
const gatewayInput = $<HTMLInputElement>('gateway')
const startButton = $<HTMLButtonElement>('start')
const clearButton = $<HTMLButtonElement>('clear')

cidInput.value = params.get('cid') ?? ''
peersInput.value = (params.get('peers') ?? '').split(',').filter(a => a !== '').join('\n')
gatewayInput.value = params.get('gateway') ?? ''

const node = new BrowserNode(params.get('db') ?? 'codio-chunk-demo', () => { render(node.state) })
window.codioState = node.state
render(node.state)

let running: AbortController | undefined

async function start (): Promise<void> {
  running?.abort()
  const controller = new AbortController()
  running = controller
  startButton.disabled = true
  try {
    await node.download({
      cid: cidInput.value,
      addresses: parseAddressList(peersInput.value),
      gateway: gatewayInput.value.trim(),
      downloadLimit: Number(params.get('downloadLimit') ?? 0) || 0
    }, controller.signal)
  } finally {
    startButton.disabled = false
  }
}

startButton.addEventListener('click', () => { void start() })
clearButton.addEventListener('click', () => {
  void node.clear().then((count) => { $('note').textContent = `deleted ${count} stored content${count === 1 ? '' : 's'}` })
})

// The hashing backend is measured at once, so it is known before the first chunk arrives.
void node.chooseBackend().then(() => { if (params.get('auto') === '1' && cidInput.value !== '') void start() })
