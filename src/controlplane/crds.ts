/** Installs CustomResourceDefinitions from YAML files and waits until the API server serves them. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import type { KubeClient } from '../kube/client.js';
import type { Condition, KubeObject } from '../kube/objects.js';
import { Resources } from '../kube/resources.js';
import { projectRoot } from './tools.js';

interface Crd extends KubeObject {
  status?: { conditions?: Condition[] };
}

/** The project's own CRDs (shipped with the chart). */
export const projectCrdDir = join(projectRoot, 'crds');
/** Test copies of KubeVirt's CRDs (only for the local control plane). */
export const kubevirtSimCrdDir = join(projectRoot, 'crds', 'kubevirt-sim');

export function readCrds(dir: string): Crd[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  return files.flatMap((f) =>
    (yaml.loadAll(readFileSync(join(dir, f), 'utf8')) as Crd[]).filter((d) => d?.kind === 'CustomResourceDefinition'),
  );
}

export async function installCrds(client: KubeClient, dirs: readonly string[], timeoutMs = 30_000): Promise<string[]> {
  const crds = dirs.flatMap(readCrds);
  for (const crd of crds) await client.apply(Resources.crd, crd, { fieldManager: 'offline-first-harness' });
  const names = crds.map((c) => c.metadata.name!);
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await client.get<Crd>(Resources.crd, undefined, name);
      const established = crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      if (established) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return names;
}
