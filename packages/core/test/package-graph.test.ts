// The shape of the workspace, checked: no import circles inside any package, no dependency circles
// between packages, the interface package depends on nothing of ours, and plugins depend on the
// contracts (and the wire protocol or content model where they need them), never on the engine.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

interface Workspace {
  name: string
  dir: string
  dependencies: string[]
  devDependencies: string[]
}

function workspaces (): Workspace[] {
  const dirs = ['packages', 'tests', 'examples'].flatMap(group => {
    const base = join(root, group)
    return existsSync(base) ? readdirSync(base).map(name => join(base, name)) : []
  })
  dirs.push(join(root, 'benchmarks'))
  return dirs.filter(dir => existsSync(join(dir, 'package.json'))).map(dir => {
    const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>
    const ours = (field: string): string[] => Object.keys((json[field] ?? {}) as Record<string, string>).filter(name => name.startsWith('@codio-chunk/'))
    return { name: json.name as string, dir, dependencies: [...ours('dependencies'), ...ours('peerDependencies')], devDependencies: ours('devDependencies') }
  })
}

function sourceFiles (dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sourceFiles(path, out)
    else if (/\.(ts|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path)
  }
  return out
}

/** Every module specifier a file imports or re-exports, types included (comments ignored). */
function specifiers (file: string): string[] {
  const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const out: string[] = []
  for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)) out.push(match[1])
  for (const match of code.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(match[1])
  for (const match of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(match[1])
  return out
}

/** The cycles of a directed graph, each as the list of its nodes (one per strongly connected component). */
function cycles (graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    indices.set(node, index)
    low.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number))
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indices.get(next) as number))
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop() as string
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component)
    }
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return found
}

/** Checks that a package's dependencies and the imports of its sources name only `allowed` packages of ours. */
function expectOnlyDependsOn (pkg: Workspace, allowed: Set<string>): void {
  expect(pkg.dependencies.filter(name => !allowed.has(name)), pkg.name).toEqual([])
  for (const file of sourceFiles(join(pkg.dir, 'src'))) {
    const ours = specifiers(file).filter(s => s.startsWith('@codio-chunk/')).map(s => s.split('/').slice(0, 2).join('/'))
    expect(ours.filter(name => !allowed.has(name)), relative(root, file)).toEqual([])
  }
}

const all = workspaces()
const byName = new Map(all.map(w => [w.name, w]))
const packages = all.filter(w => relative(root, w.dir).startsWith('packages'))

describe('workspace shape', () => {
  it('has no dependency circles between packages (dev dependencies included)', () => {
    const graph = new Map(all.map(w => [w.name, [...w.dependencies, ...w.devDependencies].filter(name => byName.has(name))]))
    expect(cycles(graph)).toEqual([])
  })

  it('has no import circles inside any package', () => {
    const found: string[] = []
    for (const pkg of packages) {
      const files = sourceFiles(join(pkg.dir, 'src'))
      const graph = new Map<string, string[]>()
      for (const file of files) {
        const local = specifiers(file).filter(s => s.startsWith('.')).map(s => resolve(dirname(file), s).replace(/\.js$/, '.ts'))
        graph.set(file, local.filter(target => files.includes(target)))
      }
      for (const cycle of cycles(graph)) found.push(`${pkg.name}: ${cycle.map(f => relative(pkg.dir, f)).join(' <-> ')}`)
    }
    expect(found).toEqual([])
  })

  it('keeps the interface package free of our other packages and of Node.js', () => {
    const iface = byName.get('@codio-chunk/interface') as Workspace
    expect(iface.dependencies).toEqual([])
    for (const file of sourceFiles(join(iface.dir, 'src'))) {
      const foreign = specifiers(file).filter(s => !s.startsWith('.') && !s.startsWith('multiformats'))
      expect(foreign, relative(root, file)).toEqual([])
    }
  })

  it('lets plugins depend on contracts, the wire protocol, the content model and chunk availability, never on the engine', () => {
    const allowed = new Set(['@codio-chunk/interface', '@codio-chunk/protocol', '@codio-chunk/content', '@codio-chunk/pieces'])
    const plugins = packages.filter(w => /\/(transport|strategy|verifier|storage|discovery)-[^/]+$/.test(w.dir) || w.name === '@codio-chunk/interface-tests')
    expect(plugins.length).toBeGreaterThanOrEqual(10)
    for (const plugin of plugins) expectOnlyDependsOn(plugin, allowed)
  })

  it('lets add-ons (the gateway, Node-only) depend on the engine and what it is made of, and only the command line and private packages depend on them', () => {
    const allowed = new Set(['@codio-chunk/interface', '@codio-chunk/protocol', '@codio-chunk/content', '@codio-chunk/engine'])
    const addOns = packages.filter(w => w.name === '@codio-chunk/gateway')
    expect(addOns.length).toBe(1)
    for (const addOn of addOns) {
      expectOnlyDependsOn(addOn, allowed)
      const dependents = packages.filter(w => w.dependencies.includes(addOn.name)).map(w => w.name)
      expect(dependents.filter(name => name !== '@codio-chunk/cli'), addOn.name).toEqual([])
    }
  })

  it('keeps the browser-neutral packages free of Node.js built-ins', () => {
    for (const name of ['interface', 'protocol', 'content', 'pieces', 'engine']) {
      for (const file of sourceFiles(join(root, 'packages', name, 'src'))) {
        expect(specifiers(file).filter(s => s.startsWith('node:')), relative(root, file)).toEqual([])
      }
    }
  })
})
