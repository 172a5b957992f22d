import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Starts the real worker process (apps/worker/src/main.ts). Node itself with tsx's loader, not the tsx
 * binary: the pid must be the worker's own, or a SIGKILL would only kill a wrapper.
 */
export function spawnWorker(env: Record<string, string>): ChildProcess {
  return spawnService('apps/worker/src/main.ts', env)
}

/** Starts the real API process (apps/api/src/server.ts). */
export function spawnApi(env: Record<string, string>): ChildProcess {
  return spawnService('apps/api/src/server.ts', env)
}

function spawnService(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `${root}${entry}`], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (chunk: Buffer) => { out = (out + chunk.toString()).slice(-20_000) })
  child.stderr?.on('data', () => undefined)
  Object.defineProperty(child, 'output', { get: () => out })
  return child
}

export const outputOf = (child: ChildProcess): string => (child as ChildProcess & { output: string }).output

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

export function configEnv(config: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(config)) if (v !== undefined && v !== null) out[k] = String(v)
  return out
}
