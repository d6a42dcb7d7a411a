/** Helm for the integration tests: the pinned helm the control plane brought, run on the repository's chart. */
import { spawnSync } from 'node:child_process';
import * as yaml from 'js-yaml';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { controlPlane } from './support.js';

export interface Manifest extends KubeObject {
  apiVersion: string;
  kind: string;
  // Rendered objects are read loosely: the assertions say what each must hold.
  spec?: any;
  data?: Record<string, string>;
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

export function helm(args: readonly string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const bin = controlPlane().tools.helm;
  if (!bin) throw new Error('the control plane was started without helm (controlPlaneTools({ withHelm: true }))');
  const r = spawnSync(bin, [...args], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function parseAll(text: string): Manifest[] {
  return yaml.loadAll(text).filter((d): d is Manifest => typeof d === 'object' && d !== null);
}
