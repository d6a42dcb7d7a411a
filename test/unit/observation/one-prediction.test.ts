/**
 * One way from the world to the model: for the same VM and link, the planner, `predict`, the
 * simulated KubeVirt, the simulator and the lab calibration predict the same migration, because
 * all of them build the model's input with migrationInput.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseDirtyRateReadings } from '../../../src/observation/annotations.js';
import { LAB_CALIBRATION } from '../../../src/domain/migration/calibration.js';
import { calibratedInput } from '../../../src/domain/migration/model-input.js';
import { predictMigration } from '../../../src/domain/migration/predict.js';
import { PredictionCache } from '../../../src/domain/placement/cost.js';
import { gather } from '../../../src/observation/gather.js';
import { placementPolicy } from '../../../src/observation/placement-policy.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';
import { placement as fixturePlacement } from './fixtures.js';
import { predictSimulatedRun } from '../../../src/sim/kubevirt/predicted-run.js';
import { KUBEVIRT_DEFAULT_OPTIONS, simulatedRun } from '../../../src/sim/scenario/migration-run.js';
import type { ScenarioVm } from '../../../src/sim/scenario/types.js';

const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url));
const MiB = 2 ** 20;
// 4.5 MB/s: on one of the planner's 3-significant-digit bandwidth buckets, so all five run at the same rate.
const LINK = '36Mbit/s';
const LINK_BYTES = 36e6 / 8;

function predictCli(args: string[]): { totalSeconds: number; converges: boolean; abortedByKubevirt: boolean } {
  const r = spawnSync(process.execPath, [cli, 'predict', '--memory', '2Gi', '--bandwidth', LINK, ...args, '--json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).to.equal(0);
  return JSON.parse(r.stdout) as { totalSeconds: number; converges: boolean; abortedByKubevirt: boolean };
}

const placement = fixturePlacement('room', '2026-01-12T08:00:00Z');

/** The planner's prediction for the VMI over the link, from its own observation and cost model. */
function plannerSeconds(annotations: Record<string, string>): number {
  const vmi = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1', memory: '2Gi', labels: { app: 'lab' }, annotations });
  const g = gather({ placements: [placement], vmis: [vmi], migrations: [], nodes: [cloudServer('server-1')], nowMs: Date.UTC(2026, 0, 12, 9) });
  const policy = placementPolicy(placement);
  if ('error' in policy) throw new Error(policy.error);
  return new PredictionCache().forVm(g.input.vms[0]!, policy.policy).predict(LINK_BYTES).totalSeconds;
}

function simulatedKubevirtSeconds(annotations: Record<string, string>): number {
  const vmi = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1', memory: '2Gi', annotations });
  const ws = clientWorkstation('ws-1', { annotations: { 'link.offline-first.io/bandwidth': LINK, 'link.offline-first.io/measured-at': '2026-01-12T09:00:00Z' } });
  return predictSimulatedRun(vmi, cloudServer('server-1'), ws).totalSeconds;
}

describe('one prediction for one migration, whoever asks', () => {
  it('from page-sampling readings and the guest\'s used memory: planner, predict, simulated KubeVirt and the lab calibration agree', () => {
    const readings = '1s=2,1s=0,1s=2,1s=4,1s=0,1s=2,1s/16384=2,1s/16384=1,5s/16384=1';
    const annotations = { 'offline-first.io/dirty-rate-readings': readings, 'offline-first.io/guest-used': '800Mi' };
    const lab = predictMigration(
      calibratedInput(
        { memoryBytes: 2 * 2 ** 30, guestUsedBytes: 800 * MiB, dirtyRateReadings: parseDirtyRateReadings(readings, 'readings'), linkGoodputBytesPerSecond: LINK_BYTES, completionTimeoutPerGiB: 150 },
        LAB_CALIBRATION,
      ),
    ).totalSeconds;
    const answers = {
      planner: plannerSeconds(annotations),
      predict: predictCli(['--dirty-rate-readings', readings, '--guest-used', '800Mi']).totalSeconds,
      simulatedKubevirt: simulatedKubevirtSeconds(annotations),
      labCalibration: lab,
    };
    expect(answers.planner).to.be.within(100, 450);
    for (const [who, seconds] of Object.entries(answers)) expect(seconds, who).to.be.closeTo(answers.planner, 1e-6);
  });

  it('predict rounds the link down as the planner does, so both agree on any link', () => {
    const annotations = { 'offline-first.io/dirty-rate': '1MB/s' };
    const vmi = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1', memory: '2Gi', labels: { app: 'lab' }, annotations });
    const g = gather({ placements: [placement], vmis: [vmi], migrations: [], nodes: [cloudServer('server-1')], nowMs: 0 });
    const policy = placementPolicy(placement);
    if ('error' in policy) throw new Error(policy.error);
    const planner = new PredictionCache().forVm(g.input.vms[0]!, policy.policy).predict(37e6 / 8).totalSeconds;
    const r = spawnSync(process.execPath, [cli, 'predict', '--memory', '2Gi', '--bandwidth', '37Mbit/s', '--dirty-rate', '1MB/s', '--json'], { encoding: 'utf8' });
    expect((JSON.parse(r.stdout) as { totalSeconds: number }).totalSeconds).to.be.closeTo(planner, 1e-6);
  });

  it('from dirty-rate windows: planner, predict, simulated KubeVirt and the simulator agree', () => {
    const annotations = { 'offline-first.io/dirty-rate-windows': '1s=2MB/s,5s=1.5MB/s', 'offline-first.io/guest-used': '1Gi' };
    const vm: ScenarioVm = {
      key: 'lab/vm-1',
      name: 'vm-1',
      namespace: 'lab',
      labels: {},
      memoryBytes: 2 * 2 ** 30,
      guestUsedBytes: 2 ** 30,
      dirtyRate: { kind: 'windows', windows: [{ seconds: 1, bytesPerSecond: 2e6 }, { seconds: 5, bytesPerSecond: 1.5e6 }] },
      dirtyRateText: { windows: '1s=2MB/s,5s=1.5MB/s' },
      dirtyRateKnown: true,
      cpuModel: 'host-model',
      startNode: 'server-1',
      volumes: ['containerDisk'],
      liveMigratable: true,
    };
    const answers = {
      planner: plannerSeconds(annotations),
      predict: predictCli(['--dirty-rate-window', '1s=2MB/s', '--dirty-rate-window', '5s=1.5MB/s', '--guest-used', '1Gi']).totalSeconds,
      simulatedKubevirt: simulatedKubevirtSeconds(annotations),
      simulator: simulatedRun(vm, LINK_BYTES, KUBEVIRT_DEFAULT_OPTIONS).prediction.totalSeconds,
    };
    expect(answers.planner).to.be.within(100, 450);
    for (const [who, seconds] of Object.entries(answers)) expect(seconds, who).to.be.closeTo(answers.planner, 1e-6);
  });
});
