import { expect } from 'chai';
import type { MigrationPolicy } from '../../../src/kube/kubevirt.js';
import type { OfflineFirstPlacementSpec } from '../../../src/kube/placement.js';
import { managedPolicyIntent, managedPolicyName, managedPolicyOwner, policyUpToDate } from '../../../src/observation/managed-policy.js';
import { placement } from './fixtures.js';

const room = (spec: Partial<OfflineFirstPlacementSpec>) => placement('room', '2026-01-10T08:00:00Z', spec);
const selectors = { namespaceSelector: { 'kubernetes.io/metadata.name': 'lab' }, virtualMachineInstanceSelector: { app: 'lab' } };

describe('the managed MigrationPolicy of a placement', () => {
  // [what, spec.migration, the policy's spec (undefined: no policy), refused, fields not carried]
  const cases: [string, OfflineFirstPlacementSpec['migration'], Record<string, unknown> | undefined, boolean, number][] = [
    ['nothing set', {}, undefined, false, 0],
    ['a bandwidth cap, in bytes per second', { bandwidthLimit: '400Mbit/s' }, { selectors, bandwidthPerMigration: '50000000' }, false, 0],
    ['auto-converge off, stated', { allowAutoConverge: false }, { selectors, allowAutoConverge: false }, false, 0],
    ['every field a policy carries', { bandwidthLimit: '8MB/s', allowAutoConverge: true, allowPostCopy: false, completionTimeoutPerGiB: 300 }, { selectors, bandwidthPerMigration: '8000000', allowAutoConverge: true, allowPostCopy: false, completionTimeoutPerGiB: 300 }, false, 0],
    ['only progressTimeout', { progressTimeout: 90 }, undefined, false, 1],
    ['a cap and progressTimeout', { bandwidthLimit: '8MB/s', progressTimeout: 90 }, { selectors, bandwidthPerMigration: '8000000' }, false, 1],
  ];
  for (const [what, migration, spec, refused, notCarried] of cases) {
    it(`for ${what}: ${spec ? 'a policy' : 'none'}`, () => {
      const intent = managedPolicyIntent(room({ migration }));
      expect(intent?.desired?.spec).to.deep.equal(spec);
      expect(intent?.refusal !== undefined).to.equal(refused);
      expect(intent?.notCarried.length ?? 0).to.equal(notCarried);
    });
  }

  it("adds a policy per link class with settings: spec.migration overridden by the class, selecting one label more", () => {
    const intent = managedPolicyIntent(
      room({
        migration: { allowAutoConverge: true, allowPostCopy: true },
        linkClasses: [
          { name: 'wan', nodeSelector: { matchLabels: { link: 'wan' } }, bandwidthLimit: '20Mbit/s', allowPostCopy: false },
          { name: 'lan', nodeSelector: { matchLabels: { link: 'lan' } } },
        ],
      }),
    )!;
    expect(intent.desired?.metadata.name).to.equal('offline-first.lab.room');
    expect(intent.classes.map((c) => c.name)).to.deep.equal(['wan']);
    const wan = intent.classes[0]!.desired;
    expect(wan.metadata.name).to.equal('offline-first.lab.room.wan');
    expect(wan.metadata.labels).to.include({ 'placement.offline-first.io/link-class': 'wan' });
    expect(wan.spec).to.deep.equal({
      selectors: { namespaceSelector: selectors.namespaceSelector, virtualMachineInstanceSelector: { app: 'lab', 'placement.offline-first.io/link-class': 'wan' } },
      allowAutoConverge: true,
      allowPostCopy: false,
      bandwidthPerMigration: '2500000',
    });
    expect(managedPolicyOwner(wan)).to.equal('lab/room');
  });

  it('keeps class policies without a placement policy when only a class sets something', () => {
    const intent = managedPolicyIntent(room({ linkClasses: [{ name: 'wan', nodeSelector: { matchLabels: { link: 'wan' } }, bandwidthLimit: '20Mbit/s' }] }))!;
    expect(intent.desired).to.equal(undefined);
    expect(intent.classes).to.have.length(1);
  });

  it('is refused, not written wider, for a vmSelector with matchExpressions', () => {
    const intent = managedPolicyIntent(room({ vmSelector: { matchLabels: { app: 'lab' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] }, migration: { allowAutoConverge: true } }));
    expect(intent?.desired).to.equal(undefined);
    expect(intent?.refusal).to.contain('matchLabels only');
  });

  it('is named after the placement and labelled with it, so it can be found without an owner reference', () => {
    const desired = managedPolicyIntent(room({ migration: { allowAutoConverge: true } }))!.desired!;
    expect(desired.metadata.name).to.equal('offline-first.lab.room');
    expect(managedPolicyOwner(desired)).to.equal('lab/room');
    expect(managedPolicyOwner({ metadata: { name: 'someone-elses', labels: { 'placement.offline-first.io/placement': 'room' } } } as MigrationPolicy)).to.equal(undefined);
  });

  it('keeps a long name within 253 characters and distinct', () => {
    const a = managedPolicyName('lab', 'x'.repeat(250));
    const b = managedPolicyName('lab', `${'x'.repeat(249)}y`);
    expect(a.length).to.be.at.most(253);
    expect(a).to.not.equal(b);
    expect(a).to.match(/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/);
  });

  it('is up to date only when labels and spec say the same, whatever the key order', () => {
    const desired = managedPolicyIntent(room({ migration: { bandwidthLimit: '8MB/s', allowAutoConverge: true } }))!.desired!;
    const reordered: MigrationPolicy = { ...desired, metadata: { ...desired.metadata, uid: 'u', labels: { ...desired.metadata.labels, extra: 'x' } }, spec: { allowAutoConverge: true, bandwidthPerMigration: '8000000', selectors } };
    expect(policyUpToDate(reordered, desired)).to.equal(true);
    expect(policyUpToDate({ ...reordered, spec: { ...reordered.spec, allowAutoConverge: false } }, desired)).to.equal(false);
    expect(policyUpToDate({ ...reordered, metadata: { name: desired.metadata.name } }, desired)).to.equal(false);
  });
});
