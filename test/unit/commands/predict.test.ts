import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LAB_CALIBRATION } from '../../../src/domain/migration/calibration.js';

const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));

function predict(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, 'predict', ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const slowLink = ['--memory', '2Gi', '--bandwidth', '37Mbit/s'];
const GOODPUT = LAB_CALIBRATION.goodputFactor;

describe('offline-first predict', () => {
  it('prints one JSON object with the prediction', () => {
    const { code, stdout, stderr } = predict(...slowLink, '--dirty-rate', '1MB/s', '--completion-timeout-per-gib', '0', '--json');
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout.trim().split('\n')).to.have.length(1);
    const p = JSON.parse(stdout) as Record<string, unknown>;
    expect(p).to.include({ converges: true, abortedByKubevirt: false, mode: 'PreCopy', rounds: 5, completionBudgetSeconds: null });
    // The migration runs at the lab's share of the link (LAB_CALIBRATION.goodputFactor), as the operator predicts it.
    expect(p.totalSeconds as number).to.be.closeTo(603, 2);
    expect(p.downtimeMs as number).to.be.within(200, 320);
    expect(p.transferredBytes as number).to.be.closeTo(2.75e9, 0.02e9);
  });

  it('prints null for the numbers of a migration that never ends', () => {
    const { code, stdout } = predict(...slowLink, '--dirty-rate', '20MB/s', '--completion-timeout-per-gib', '0', '--json');
    expect(code).to.equal(0);
    expect(JSON.parse(stdout)).to.include({ converges: false, mode: 'NotConverging', totalSeconds: null, rounds: null });
  });

  it('reports KubeVirt’s abort at the default budget (2 GiB over 37 Mbit/s: 450 s)', () => {
    const { stdout } = predict(...slowLink, '--dirty-rate', '1MB/s', '--json');
    expect(JSON.parse(stdout)).to.include({ abortedByKubevirt: true, abortReason: 'CompletionTimeout', totalSeconds: 450 });
  });

  it('fits a curve from several windows and honours the policy flags', () => {
    const { code, stdout } = predict(
      ...slowLink,
      '--guest-used', '140Mi',
      '--dirty-rate-window', '1s=2.5MB/s',
      '--dirty-rate-window', '5s=1.9MB/s',
      '--downtime-limit', '100ms',
      '--block-migration-disk', '1Gi',
      '--post-copy',
      '--auto-converge',
      '--json',
    );
    expect(code).to.equal(0);
    const p = JSON.parse(stdout) as { dirtying: { hotSetBytes: number }; switchoverThresholdBytes: number; diskCopySeconds: number };
    expect(p.dirtying.hotSetBytes).to.be.greaterThan(0);
    // 37 Mbit/s is 4.625 MB/s, rounded down to the planner's 3-significant-digit bucket: 4.62 MB/s.
    expect(p.switchoverThresholdBytes).to.be.closeTo(4.62e6 * GOODPUT * 0.1, 1e-6);
    expect(p.diskCopySeconds).to.be.closeTo(2 ** 30 / (4.62e6 * GOODPUT), 1e-6);
  });

  it("copies --block-migration-disk but counts only --budget-disk in KubeVirt's budget", () => {
    const lan = ['--memory', '2Gi', '--bandwidth', '1Gbit/s', '--dirty-rate', '1MB/s'];
    const copied = JSON.parse(predict(...lan, '--block-migration-disk', '20Gi', '--json').stdout) as { completionBudgetSeconds: number; diskCopySeconds: number };
    expect(copied.completionBudgetSeconds).to.equal(450);
    expect(copied.diskCopySeconds).to.be.closeTo((20 * 2 ** 30) / (125e6 * GOODPUT), 1e-6);
    const counted = JSON.parse(predict(...lan, '--block-migration-disk', '20Gi', '--budget-disk', '1Gi', '--json').stdout) as { completionBudgetSeconds: number };
    expect(counted.completionBudgetSeconds).to.equal(600);
    const table = predict(...lan, '--block-migration-disk', '20Gi', '--budget-disk', '1Gi').stdout;
    expect(table).to.match(/^KubeVirt budget\s+10m \(150 s × 4 GB started\)$/m);
  });

  it('prints a readable table with units', () => {
    const { code, stdout } = predict(...slowLink, '--dirty-rate', '1MB/s', '--completion-timeout-per-gib', '0');
    expect(code).to.equal(0);
    expect(stdout).to.match(/^outcome\s+completes after 10m4s$/m);
    expect(stdout).to.match(/^rounds\s+5$/m);
    expect(stdout).to.match(/^transferred\s+2\.57 GiB \(2\.76 GB\)$/m);
    expect(stdout).to.match(/^KubeVirt budget\s+disabled$/m);
  });

  it('shows its flags and accepted units with --help', () => {
    const { code, stdout } = predict('--help');
    expect(code).to.equal(0);
    expect(stdout).to.contain('--dirty-rate-window DURATION=RATE');
    expect(stdout).to.contain('37Mbit/s');
  });

  const usageErrors: [string, string[], RegExp][] = [
    ['a bandwidth that is not a rate', ['--memory', '2Gi', '--dirty-rate', '1MB/s', '--bandwidth', 'fast'], /--bandwidth: expected a rate like 37Mbit\/s or 2\.5MB\/s, got "fast"/],
    ['an ambiguous Mbps', ['--memory', '2Gi', '--dirty-rate', '1MB/s', '--bandwidth', '37Mbps'], /--bandwidth: .*ambiguous/],
    ['a zero bandwidth', ['--memory', '2Gi', '--dirty-rate', '1MB/s', '--bandwidth', '0Mbit/s'], /--bandwidth: must be greater than 0/],
    ['a bad memory size', ['--memory', '2K', '--dirty-rate', '1MB/s', '--bandwidth', '37Mbit/s'], /--memory: expected a size/],
    ['a missing memory size', ['--dirty-rate', '1MB/s', '--bandwidth', '37Mbit/s'], /missing required flag --memory/],
    ['no dirty rate', [...slowLink], /missing dirty rate/],
    ['a bad budget disk size', [...slowLink, '--dirty-rate', '1MB/s', '--budget-disk', 'big'], /--budget-disk: expected a size/],
    ['both kinds of dirty rate', [...slowLink, '--dirty-rate', '1MB/s', '--dirty-rate-window', '1s=1MB/s'], /give one of --dirty-rate-readings, --dirty-rate or --dirty-rate-window/],
    ['a window without its rate', [...slowLink, '--dirty-rate-window', '5s'], /--dirty-rate-window: expected a window and its rate like 5s=1\.9MB\/s, got "5s"/],
    ['a window of zero length', [...slowLink, '--dirty-rate-window', '0s=1MB/s'], /--dirty-rate-window: must be greater than 0/],
    ['a downtime limit without a unit it knows', [...slowLink, '--dirty-rate', '1MB/s', '--downtime-limit', 'short'], /--downtime-limit: expected a duration/],
    ['a downtime limit above QEMU’s maximum', [...slowLink, '--dirty-rate', '1MB/s', '--downtime-limit', '3000s'], /--downtime-limit: must be at most 33m20s \(QEMU's maximum\), got "3000s"/],
    ['an unknown flag', [...slowLink, '--dirty-rate', '1MB/s', '--fast'], /unknown flag --fast/],
    ['a stray argument', [...slowLink, '--dirty-rate', '1MB/s', 'now'], /unexpected argument "now"/],
  ];
  for (const [name, args, message] of usageErrors) {
    it(`exits 2 with one line naming the problem for ${name}`, () => {
      const { code, stdout, stderr } = predict(...args);
      expect(code).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr.trim().split('\n')).to.have.length(1);
      expect(stderr).to.match(message);
    });
  }
});
