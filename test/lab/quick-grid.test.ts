/**
 * The quick lab grid for real (lab/README.md): QEMU migrations between two network namespaces,
 * then each fresh run against the calibrated model (docs/lab-calibration.md). Needs root (netns,
 * tc, apt-get) and ~4 minutes; waits for /tmp/offline-first-lab.lock if another lab run holds it.
 * `lab/setup.sh` installs QEMU and the rest when missing.
 *
 * Run with `npm run -s build && mocha --config test/mocharc.lab.json` (as root).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluate, QUICK_RUN_MAX_APE, type RunResult } from '../../lab/calibration/calibrate.js';
import { readLabFile } from '../../lab/calibration/records.js';

const QUICK_IDS = ['quick-lan-w128M-r8M', 'quick-wan-idle', 'quick-wan-w32M-r512K', 'quick-wan-w64M-r16M', 'quick-lan-w128M-hammer'];

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
}

describe('quick lab grid, run afresh, against the calibrated model', function () {
  let dir: string;
  let results: RunResult[] = [];

  before(function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, tc, apt-get): run this suite as root, as CI does');
    dir = mkdtempSync(join(tmpdir(), 'offline-first-lab-test-'));
    const out = join(dir, 'quick-grid.jsonl');
    run('lab/setup.sh', []);
    run(process.execPath, ['dist/lab/cli.js', 'quick', '--out', out]);
    const file = readLabFile(out);
    expect(file.broken, `broken runs in ${out}`).to.equal(0);
    expect(file.runs.map((r) => r.id).sort()).to.deep.equal([...QUICK_IDS].sort());
    results = evaluate(file.runs);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('no run failed', () => {
    expect(results.filter((r) => r.run.outcome === 'failed').map((r) => r.run.id)).to.deep.equal([]);
  });

  it(`each converging run's total time within ${QUICK_RUN_MAX_APE * 100} % of the prediction`, () => {
    const converging = results.filter((r) => r.measuredConverges);
    expect(converging.length).to.be.at.least(3);
    for (const r of converging) {
      expect(r.predictedConverges, `${r.run.id} converged but is predicted not to`).to.equal(true);
      expect(r.ape, `${r.run.id}: measured ${r.run.totalSeconds} s, predicted ${r.predictedSeconds} s`).to.be.at.most(QUICK_RUN_MAX_APE);
    }
  });

  it('every run that did not converge within its bound is predicted not to', () => {
    for (const r of results.filter((x) => !x.measuredConverges)) {
      expect(r.predictedConverges, `${r.run.id} predicted to converge in ${r.prediction.totalSeconds} s`).to.equal(false);
    }
  });
});
