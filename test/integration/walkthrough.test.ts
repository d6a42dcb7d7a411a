/**
 * The README's walkthrough ("The first hour") runs as written: its ```sh blocks, in order, in one
 * bash, with the kubectl that `cluster up` hands out. `npm run X` runs package.json's script X
 * without its `npm run -s build` step (the suite runs on the build it was given). The cluster lives
 * in a temporary directory (OFFLINE_FIRST_CLUSTER_DIR, TMPDIR), so a cluster of your own is left alone.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../src/controlplane/tools.js';
import { cliPath, freshTmpDir, processesMentioning } from './process-support.js';

/** The ```sh blocks of the README section whose heading starts with `heading`. */
export function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`README has no section "## ${heading}"`);
  const rest = readme.slice(start + 1);
  const end = rest.slice(3).search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end + 3);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/** A bash function `npm` that runs `npm run [-s] SCRIPT [-- ARGS]` as package.json says, minus the build step. */
function npmShim(): string {
  const scripts = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const cases = ['cluster', 'kubectl'].map((name) => {
    const command = scripts[name]!.replace(/^npm run -s build && /, '');
    return `    ${name}) (cd ${JSON.stringify(projectRoot)} && ${command} "\${args[@]}") ;;`;
  });
  return [
    'npm() {',
    '  local args=("$@")',
    '  [ "${args[0]}" = run ] || { echo "walkthrough: unexpected npm $*" >&2; return 2; }',
    '  args=("${args[@]:1}"); [ "${args[0]}" = -s ] && args=("${args[@]:1}")',
    '  local script=${args[0]}; args=("${args[@]:1}"); [ "${args[0]:-}" = -- ] && args=("${args[@]:1}")',
    '  case "$script" in',
    ...cases,
    '    *) echo "walkthrough: npm run $script is not in the shim" >&2; return 2 ;;',
    '  esac',
    '}',
  ].join('\n');
}

describe('the README walkthrough, run as written', function () {
  this.timeout(120_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    dir = freshTmpDir('walkthrough');
    env = { ...process.env, OFFLINE_FIRST_CLUSTER_DIR: join(dir, 'cluster'), TMPDIR: join(dir, 'tmp'), PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
    mkdirSync(env.TMPDIR!);
  });

  after(() => {
    // Whatever happened, no cluster stays up.
    spawnSync(process.execPath, [cliPath, 'cluster', 'down'], { env, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings the cluster up, plans, moves two VMs, brings one home before its workstation leaves, and goes down leaving nothing', async () => {
    const blocks = shellBlocks(readFileSync(join(projectRoot, 'README.md'), 'utf8'), 'The first hour');
    expect(blocks.length, 'the walkthrough has its commands in ```sh blocks').to.be.greaterThan(3);
    const script = ['set -euo pipefail -x', npmShim(), ...blocks, 'echo "kubectl used: $(command -v kubectl)"'].join('\n');
    const child = spawn('bash', ['-c', script], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, out).to.equal(0);

    expect(out).to.match(/node\/ws-237-01\s+Ready/);
    expect(out).to.match(/^student-03\tStay\t\tDirtyRateTooHigh$/m);
    expect(out).to.match(/Recommended\s+offlinefirstplacement\/lab-room\s+student-01: MoveToClient dc-1 -> ws-237-01/);
    expect(out).to.match(/^(?:\S+\/)?student-01\s+\S+\s+Running\s+ws-237-01$/m);
    expect(out).to.match(/ReturningHome\s+offlinefirstplacement\/lab-room\s+student-01: returning home from ws-237-01/);
    expect(out).to.match(/^student-01\s+\S+\s+Running\s+dc-\d$/m);
    expect(out).to.contain(`kubectl used: ${join(process.env.OFFLINE_FIRST_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME!, '.cache'), 'offline-first', 'tools'), 'bin')}`);

    expect(existsSync(env.OFFLINE_FIRST_CLUSTER_DIR!), 'cluster down removes the state directory').to.equal(false);
    expect(readdirSync(env.TMPDIR!), 'nothing left in the temp dir').to.deep.equal([]);
    expect(processesMentioning(dir)).to.deep.equal([]);
  });
});
