/**
 * Finds the control-plane binaries: KUBEBUILDER_ASSETS when it holds them, else the project's
 * version-keyed cache, building what is missing with scripts/build-tools.sh (progress on stderr).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ToolPaths {
  readonly kubeApiserver: string;
  readonly etcd: string;
  readonly helm?: string;
}

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Runs the build script for the given tools and returns the directory holding them. */
export function buildTools(tools: readonly string[], onProgress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<string> {
  const script = join(projectRoot, 'scripts', 'build-tools.sh');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(script, [...tools], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let tail: string[] = [];
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n').filter(Boolean)) {
        onProgress(line);
        tail = [...tail, line].slice(-30);
      }
    });
    child.on('error', (err) => reject(new Error(`cannot run ${script}: ${err.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolvePromise(out.trim().split('\n').pop() ?? '');
      else reject(new Error(`building ${tools.join(', ')} failed (exit ${code}):\n${tail.join('\n')}`));
    });
  });
}

export async function controlPlaneTools(opts: { withHelm?: boolean; onProgress?: (line: string) => void } = {}): Promise<ToolPaths> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  let dir: string;
  let helmDir: string | undefined;
  if (assets && existsSync(join(assets, 'kube-apiserver')) && existsSync(join(assets, 'etcd'))) {
    dir = assets;
    if (opts.withHelm) helmDir = existsSync(join(assets, 'helm')) ? assets : await buildTools(['helm'], opts.onProgress);
  } else {
    dir = await buildTools(opts.withHelm ? ['etcd', 'kube-apiserver', 'helm'] : ['etcd', 'kube-apiserver'], opts.onProgress);
    helmDir = opts.withHelm ? dir : undefined;
  }
  return {
    kubeApiserver: join(dir, 'kube-apiserver'),
    etcd: join(dir, 'etcd'),
    ...(helmDir ? { helm: join(helmDir, 'helm') } : {}),
  };
}
