/**
 * The migration the controller creates for a planned move: a deterministic name (so a restarted or
 * duplicated operator adopts rather than duplicates), pinned to the target, labelled to its placement.
 */
import { expect } from 'chai';
import { migrationFor, migrationName } from '../../../src/actuation/migration-object.js';
import type { PlannedMigration } from '../../../src/domain/placement/index.js';
import type { VirtualMachineInstance } from '../../../src/kube/kubevirt.js';
import { MANAGED_BY, PlacementAnnotations, PlacementLabels } from '../../../src/kube/placement.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function vmi(name = 'vm-1', opts: { uid?: string; lastMigrationUid?: string } = {}): VirtualMachineInstance {
  const v = vmiFromFixture({ name, namespace: 'lab', node: 'home-1' });
  v.metadata.uid = opts.uid ?? '6f1c2a4e-0000-4000-8000-000000000001';
  if (opts.lastMigrationUid) v.status = { ...v.status, migrationState: { migrationUid: opts.lastMigrationUid, completed: true, sourceNode: 'pc-1', targetNode: 'home-1' } };
  return v;
}

const planned = (overrides: Partial<PlannedMigration> = {}): PlannedMigration => ({
  vmKey: 'lab/vm-1',
  placementKey: 'lab/room-b12',
  sourceNode: 'home-1',
  targetNode: 'pc-1',
  direction: 'ToClient',
  predictedSeconds: 42.345,
  budgetSeconds: 450,
  reason: 'OfflineCapabilityWanted',
  inputs: 'b1.d2.m3.u-.k-',
  attempt: 1,
  failuresBefore: 0,
  targetFailuresBefore: 0,
  predictedBytes: 1.2e9,
  predictedBandwidthBytesPerSecond: 28.9e6,
  link: { node: 'pc-1', measuredBandwidthBytesPerSecond: 57.8e6, correction: 0.5 },
  ...overrides,
});

describe('migrationName', () => {
  it('is the same for the same VMI, history, attempt number and target', () => {
    expect(migrationName(vmi(), 'pc-1', 0)).to.equal(migrationName(vmi(), 'pc-1', 0));
    expect(migrationName(vmi('vm-1', { lastMigrationUid: 'mig-a' }), 'pc-1', 2)).to.equal(migrationName(vmi('vm-1', { lastMigrationUid: 'mig-a' }), 'pc-1', 2));
  });

  it('starts with ofp- and the VMI name', () => {
    expect(migrationName(vmi('desk-04'), 'pc-1', 0)).to.match(/^ofp-desk-04-[0-9a-f]{10}$/);
  });

  const reference = migrationName(vmi('vm-1', { lastMigrationUid: 'mig-a' }), 'pc-1', 0);
  // [what changed, name after the change]
  const changes: [string, () => string][] = [
    ["the VMI's last migration", () => migrationName(vmi('vm-1', { lastMigrationUid: 'mig-b' }), 'pc-1', 0)],
    ['the VMI has not migrated yet', () => migrationName(vmi('vm-1'), 'pc-1', 0)],
    ['the attempt number', () => migrationName(vmi('vm-1', { lastMigrationUid: 'mig-a' }), 'pc-1', 1)],
    ['the target node', () => migrationName(vmi('vm-1', { lastMigrationUid: 'mig-a' }), 'pc-2', 0)],
    ['the VMI (a new one with the same name)', () => migrationName(vmi('vm-1', { uid: 'another-uid', lastMigrationUid: 'mig-a' }), 'pc-1', 0)],
  ];
  for (const [what, rename] of changes) {
    it(`changes when ${what} changes`, () => expect(rename()).not.to.equal(reference));
  }

  const names: [string, string][] = [
    ['a short name', 'vm-1'],
    ['a dotted name', 'desk.04.room-b12'],
    ['upper case and underscores', 'Desk_04'],
    ['a name of 63 characters', 'a'.repeat(63)],
    ['a name of 253 characters with dots', `${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(60)}.${'e'.repeat(70)}`],
    ['a name whose cut ends on a hyphen', `${'f'.repeat(38)}--${'g'.repeat(20)}`],
    ['a name of only odd characters', '...'],
    ['a name ending in a dot', 'vm.'],
  ];
  for (const [what, name] of names) {
    it(`is a DNS-1123 label of at most 63 characters for ${what}`, () => {
      const n = migrationName(vmi(name), 'pc-1', 0);
      expect(n.length).to.be.at.most(63);
      expect(n).to.match(DNS1123_LABEL);
    });
  }

  it('tells apart VMIs whose names differ only in characters it replaces', () => {
    expect(migrationName(vmi('desk.04', { uid: 'u-1' }), 'pc-1', 0)).not.to.equal(migrationName(vmi('desk-04', { uid: 'u-2' }), 'pc-1', 0));
  });
});

describe('migrationFor', () => {
  it('builds the VirtualMachineInstanceMigration for a move to a client', () => {
    const v = vmi();
    expect(migrationFor(v, planned({ attempt: 4, failuresBefore: 2, targetFailuresBefore: 1 }))).to.deep.equal({
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: {
        name: migrationName(v, 'pc-1', 4),
        namespace: 'lab',
        labels: {
          [PlacementLabels.placement]: 'room-b12',
          [PlacementLabels.direction]: 'ToClient',
          [PlacementLabels.managedBy]: MANAGED_BY,
        },
        annotations: {
          [PlacementAnnotations.predictedSeconds]: '42.3',
          [PlacementAnnotations.budgetSeconds]: '450',
          [PlacementAnnotations.reason]: 'OfflineCapabilityWanted',
          [PlacementAnnotations.attempt]: '4',
          [PlacementAnnotations.failuresBefore]: '2',
          [PlacementAnnotations.targetFailuresBefore]: '1',
          [PlacementAnnotations.inputs]: 'b1.d2.m3.u-.k-',
          [PlacementAnnotations.predictedBytes]: '1200000000',
          [PlacementAnnotations.predictedBandwidth]: '28900000',
          [PlacementAnnotations.linkNode]: 'pc-1',
          [PlacementAnnotations.linkBandwidth]: '57800000',
          [PlacementAnnotations.linkCorrection]: '0.500',
        },
      },
      spec: { vmiName: 'vm-1', addedNodeSelector: { 'kubernetes.io/hostname': 'pc-1' } },
    });
  });

  it('pins a return home to the home node and labels it Home', () => {
    const m = migrationFor(vmi(), planned({ sourceNode: 'pc-1', targetNode: 'home-2', direction: 'Home', reason: 'ClientLeaving' }));
    expect(m.spec.addedNodeSelector).to.deep.equal({ 'kubernetes.io/hostname': 'home-2' });
    expect(m.metadata.labels).to.include({ [PlacementLabels.direction]: 'Home', [PlacementLabels.placement]: 'room-b12' });
    expect(m.metadata.annotations).to.include({ [PlacementAnnotations.reason]: 'ClientLeaving' });
    expect(m.metadata.name).to.equal(migrationName(vmi(), 'home-2', 1));
  });

  it('records no link when the prediction used none (a return home on the minimum bandwidth)', () => {
    const { link: _link, ...noLink } = planned();
    const annotations = migrationFor(vmi(), noLink).metadata.annotations ?? {};
    expect(annotations).to.include({ [PlacementAnnotations.predictedBytes]: '1200000000' });
    expect(annotations).not.to.have.any.keys(PlacementAnnotations.linkNode, PlacementAnnotations.linkBandwidth, PlacementAnnotations.linkCorrection);
  });

  it('gives the same object for the same plan twice (nothing random or timed in it)', () => {
    expect(migrationFor(vmi(), planned({ attempt: 3 }))).to.deep.equal(migrationFor(vmi(), planned({ attempt: 3 })));
  });
});
