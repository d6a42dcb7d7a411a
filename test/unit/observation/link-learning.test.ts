/**
 * The operator's finished migrations as link observations, and the gatherer applying what they teach
 * to each client's link (the measurement kept beside it).
 */
import { expect } from 'chai';
import { LinkCorrectionRule } from '../../../src/domain/placement/link-correction.js';
import type { VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import { PlacementAnnotations, PlacementLabels } from '../../../src/kube/placement.js';
import { Annotations } from '../../../src/observation/annotations.js';
import { gather } from '../../../src/observation/gather.js';
import { learnedLinkCorrections, linkObservation } from '../../../src/observation/link-learning.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';
import { placement } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

/** A succeeded ToClient migration of ours to pc-1, predicted at 60 s over pc-1's 40 MB/s link, that ran `seconds`. */
function finished(name: string, seconds: number, o: { phase?: 'Succeeded' | 'Failed'; ours?: boolean; annotations?: Record<string, string | undefined>; endedAtMs?: number; stateOnly?: boolean } = {}): VirtualMachineInstanceMigration {
  const end = o.endedAtMs ?? NOW - 60_000;
  const start = end - seconds * 1000;
  const annotations = Object.fromEntries(
    Object.entries({
      [PlacementAnnotations.predictedSeconds]: '60.0',
      [PlacementAnnotations.predictedBytes]: '2000000000',
      [PlacementAnnotations.predictedBandwidth]: '40000000',
      [PlacementAnnotations.linkNode]: 'pc-1',
      [PlacementAnnotations.linkBandwidth]: '40000000',
      [PlacementAnnotations.linkCorrection]: '1.000',
      ...o.annotations,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const phase = o.phase ?? 'Succeeded';
  return {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachineInstanceMigration',
    metadata: {
      name,
      namespace: 'lab',
      ...(o.ours === false ? {} : { labels: { [PlacementLabels.placement]: 'room-b12', [PlacementLabels.direction]: 'ToClient' } }),
      annotations,
    },
    spec: { vmiName: 'vm-1', addedNodeSelector: { 'kubernetes.io/hostname': 'pc-1' } },
    status: {
      phase,
      migrationState: { startTimestamp: iso(start), endTimestamp: iso(end), completed: phase === 'Succeeded' },
      ...(o.stateOnly
        ? {}
        : {
            phaseTransitionTimestamps: [
              { phase: 'Running', phaseTransitionTimestamp: iso(start) },
              { phase, phaseTransitionTimestamp: iso(end) },
            ],
          }),
    },
  };
}

describe('linkObservation', () => {
  // [what, migration, time scale, ratio (undefined: no observation)]
  const cases: [string, VirtualMachineInstanceMigration, number, number | undefined][] = [
    ['ran as predicted', finished('m', 60), 1, 1],
    ['took twice as long', finished('m', 120), 1, 0.5],
    ["KubeVirt's migrationState times when the phase times are missing", finished('m', 120, { stateOnly: true }), 1, 0.5],
    ['in scaled time: 0.6 real seconds at 10 ms per reported second is 60 s', finished('m', 0.6), 0.01, 1],
    ['a failed migration', finished('m', 120, { phase: 'Failed' }), 1, undefined],
    ['not ours', finished('m', 120, { ours: false }), 1, undefined],
    ['from before link learning (no link recorded)', finished('m', 120, { annotations: { [PlacementAnnotations.linkNode]: undefined } }), 1, undefined],
    ['no correction recorded: 1', finished('m', 120, { annotations: { [PlacementAnnotations.linkCorrection]: undefined } }), 1, 0.5],
    ['an unreadable byte count', finished('m', 120, { annotations: { [PlacementAnnotations.predictedBytes]: 'lots' } }), 1, undefined],
    ['too short to time', finished('m', 5, { annotations: { [PlacementAnnotations.predictedSeconds]: '5.0' } }), 1, undefined],
  ];
  for (const [what, m, timeScale, ratio] of cases) {
    it(`${what}: ${ratio ?? 'none'}`, () => {
      const o = linkObservation(m, timeScale);
      if (ratio === undefined) expect(o).to.equal(undefined);
      else {
        expect(o?.node).to.equal('pc-1');
        expect(o?.ratio).to.be.closeTo(ratio, 1e-6);
      }
    });
  }
});

describe('learned link corrections in the gathered input', () => {
  const MEASURED = iso(NOW - 60_000);
  const observed = (migrations: VirtualMachineInstanceMigration[]) => ({
    placements: [placement('room-b12', '2026-01-10T08:00:00Z')],
    vmis: [vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'pc-1', labels: { app: 'lab' } })],
    migrations,
    nodes: [cloudServer('home-1'), clientWorkstation('pc-1', { annotations: { [Annotations.linkBandwidth]: '320Mbit/s', [Annotations.linkMeasuredAt]: MEASURED } })],
    nowMs: NOW,
  });

  it("multiplies a client's measured link by what its migrations achieved, keeping the measurement", () => {
    const migrations = [finished('m-1', 120), finished('m-2', 120), finished('m-3', 118)];
    const learned = learnedLinkCorrections(migrations, NOW).get('pc-1')!;
    expect(learned.observations).to.equal(3);
    const link = gather(observed(migrations)).input.nodes.find((n) => n.name === 'pc-1')!.link!;
    expect(link.correction).to.equal(learned.factor);
    expect(link.correction).to.be.within(0.5, 0.5 ** (3 / (3 + LinkCorrectionRule.priorWeight)) + 0.01);
    expect(link.measuredBandwidthBytesPerSecond).to.equal(40e6);
    expect(link.bandwidthBytesPerSecond).to.be.closeTo(40e6 * learned.factor, 1e-6);
  });

  it('leaves a link without observations as measured', () => {
    const link = gather(observed([finished('m-1', 120, { phase: 'Failed' })])).input.nodes.find((n) => n.name === 'pc-1')!.link!;
    expect(link).to.deep.equal({ bandwidthBytesPerSecond: 40e6, rttMs: 0, measuredAtMs: Date.parse(MEASURED), source: 'annotation' });
  });
});
