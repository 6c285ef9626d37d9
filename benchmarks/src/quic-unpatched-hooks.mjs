// Module resolution hook: `@matrixai/quic` and `@matrixai/quic/<path>` → the unpatched copy's dist.
let target

export function initialize (data) {
  target = data.target
}

export async function resolve (specifier, context, next) {
  if (specifier === '@matrixai/quic') return { url: new URL('dist/index.js', target).href, shortCircuit: true, format: 'module' }
  if (specifier.startsWith('@matrixai/quic/')) return { url: new URL('dist/' + specifier.slice('@matrixai/quic/'.length), target).href, shortCircuit: true, format: 'module' }
  return next(specifier, context)
}
