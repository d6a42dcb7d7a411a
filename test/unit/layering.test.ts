/**
 * Imports flow one way (STYLE.md): each top-level folder of src/ may import only the folders listed
 * for it. The rules that matter most: the domain imports nothing outside itself; the simulator never
 * imports the controllers (it reaches the operator's view of the world through observation/ and its
 * writes through actuation/, as the operator does); observation and actuation sit below controllers.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { projectRoot } from '../../src/controlplane/tools.js';

const ALLOWED: Record<string, readonly string[]> = {
  domain: [],
  kube: ['domain'],
  observation: ['domain', 'kube'],
  actuation: ['domain', 'kube'],
  runtime: ['kube'],
  observability: ['domain', 'kube'],
  controlplane: ['kube'],
  link: [],
  agent: ['kube', 'link', 'runtime'],
  controllers: ['actuation', 'domain', 'kube', 'observability', 'observation', 'runtime'],
  sim: ['actuation', 'controlplane', 'domain', 'kube', 'observation', 'runtime'],
  devcluster: ['controlplane', 'kube', 'observation', 'operator', 'sim'],
  operator: ['actuation', 'controllers', 'kube', 'observability', 'observation', 'runtime'],
  commands: ['actuation', 'agent', 'controlplane', 'devcluster', 'domain', 'kube', 'link', 'observability', 'observation', 'operator', 'runtime', 'sim'],
  '.': ['commands'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function folderOf(src: string, file: string): string {
  const rel = relative(src, file).split(sep);
  return rel.length === 1 ? '.' : rel[0]!;
}

describe('layering of src/', () => {
  const src = join(projectRoot, 'src');
  const files = sources(src);
  const edges = files.flatMap((file) => {
    const from = folderOf(src, file);
    return [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => ({
      file: relative(src, file),
      from,
      to: folderOf(src, normalize(join(dirname(file), m[1]!))),
    }));
  });

  it('knows every top-level folder', () => {
    for (const f of new Set(files.map((x) => folderOf(src, x)))) expect(ALLOWED, `src/${f} has no layering rule`).to.have.property(f);
  });

  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`src/${folder} imports only ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
      const wrong = edges.filter((e) => e.from === folder && e.to !== folder && !allowed.includes(e.to)).map((e) => `${e.file} imports ${e.to}/`);
      expect(wrong).to.deep.equal([]);
    });
  }
});
