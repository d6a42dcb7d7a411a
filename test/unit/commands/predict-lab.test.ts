/**
 * `predict` is the operator's prediction, and on the lab's held-out runs it is as accurate as the
 * calibration report says: given each run's page-sampling readings (in the annotation's syntax), the
 * guest's used memory and the link's measured goodput, exactly as the operator would be given them.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HELD_OUT_P90_TARGET, isTraining, percentile } from '../../../lab/calibration/calibrate.js';
import { readLabFile } from '../../../lab/calibration/records.js';

const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));
const FILES = ['lab/results/full-grid.jsonl', 'lab/results/quick-grid.jsonl', 'lab/results/quick-grid-heldout.jsonl'];

describe('offline-first predict on the lab\'s held-out runs', function () {
  this.timeout(120_000);

  it(`predicts their migration time within the documented p90 (${HELD_OUT_P90_TARGET * 100} %), from the operator's inputs`, function () {
    if (!FILES.every(existsSync)) this.skip();
    const runs = FILES.flatMap((f) => readLabFile(f).runs).filter((r) => !isTraining(r) && r.outcome === 'completed' && r.totalSeconds !== undefined);
    expect(runs.length).to.be.at.least(15);
    const errors = runs.map((run) => {
      const readings = run.readings.map((r) => `${r.seconds}s/${r.samplePages}=${r.mibPerSecond}`).join(',');
      const r = spawnSync(process.execPath, [
        cli, 'predict',
        '--memory', `${run.vm.memoryBytes}B`,
        '--guest-used', `${run.vm.guestUsedBytes}B`,
        '--dirty-rate-readings', readings,
        '--bandwidth', `${run.vm.linkGoodputBytesPerSecond}B/s`,
        // The time the migration takes, as the calibration compares it: no KubeVirt budget.
        '--completion-timeout-per-gib', '0',
        '--json',
      ], { encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      const predicted = (JSON.parse(r.stdout) as { totalSeconds: number | null }).totalSeconds;
      expect(predicted, `${run.id}: predicted to converge`).to.be.a('number');
      return Math.abs(predicted! - run.totalSeconds!) / run.totalSeconds!;
    });
    const p90 = percentile(errors, 90);
    console.log(`      [predict] ${errors.length} held-out runs: p50 ${(percentile(errors, 50) * 100).toFixed(1)} %, p90 ${(p90 * 100).toFixed(1)} %, max ${(Math.max(...errors) * 100).toFixed(1)} %`);
    expect(p90).to.be.at.most(HELD_OUT_P90_TARGET);
  });
});
