import { expect } from 'chai';
import { NodeLabels } from '../../../src/domain/placement/index.js';
import { predictMigration } from '../../../src/domain/migration/predict.js';
import type { VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import { clientWorkstation, cloudServer } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';
import { LAB_HELD_OUT_TIME_ERRORS } from '../../../src/sim/kubevirt/lab-error.js';
import { labErrorFor, simulatedRun } from '../../../src/sim/kubevirt/predicted-run.js';
import { migrationTargetSelector, unschedulableHostnamePin } from '../../../src/sim/kubevirt/target-selector.js';

const migration = (target: string): VirtualMachineInstanceMigration => ({ metadata: { name: 'm', namespace: 'lab' }, spec: { vmiName: 'vm-1', addedNodeSelector: { 'kubernetes.io/hostname': target } } });

describe('the simulated KubeVirt: a migration target\'s node selector, as KubeVirt builds it', () => {
  const server = cloudServer('server-1', { cpuVendor: 'Intel', hostModel: 'Cascadelake-Server', hostModelRequiredFeatures: ['invtsc'] });
  const serverLabels = server.metadata.labels ?? {};

  it('pins a host-model VM to targets that know the source\'s host model and its required features, of the same vendor', () => {
    const s = migrationTargetSelector(migration('pc-1'), vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1' }), serverLabels);
    expect(s).to.include({
      'kubernetes.io/hostname': 'pc-1',
      [NodeLabels.kubevirtSchedulable]: 'true',
      [`${NodeLabels.cpuModelMigrationPrefix}Cascadelake-Server`]: 'true',
      [`${NodeLabels.cpuFeaturePrefix}invtsc`]: 'true',
      [`${NodeLabels.cpuVendorPrefix}Intel`]: 'true',
    });
  });

  it('asks a named model of a VM that names one, and its required features, and never host-model labels', () => {
    const vmi = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1', cpuModel: 'Skylake-Client-IBRS' });
    vmi.spec.domain.cpu = { ...vmi.spec.domain.cpu, features: [{ name: 'vmx', policy: 'require' }, { name: 'pcid', policy: 'forbid' }] };
    const s = migrationTargetSelector(migration('pc-1'), vmi, serverLabels);
    expect(s).to.include({ [`${NodeLabels.cpuModelPrefix}Skylake-Client-IBRS`]: 'true', [`${NodeLabels.cpuFeaturePrefix}vmx`]: 'true' });
    expect(Object.keys(s).filter((k) => k.startsWith(NodeLabels.cpuModelMigrationPrefix))).to.deep.equal([]);
    expect(s).not.to.have.property(`${NodeLabels.cpuFeaturePrefix}pcid`);
  });

  it('lets the VMI\'s own node selector win a key clash with addedNodeSelector', () => {
    const vmi = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1' });
    vmi.spec.nodeSelector = { 'kubernetes.io/hostname': 'server-2' };
    expect(migrationTargetSelector(migration('pc-1'), vmi, serverLabels)['kubernetes.io/hostname']).to.equal('server-2');
  });

  it('refuses an AMD client for a VM from an Intel server (the vendor label KubeVirt >= 1.8 adds)', () => {
    const amd = clientWorkstation('pc-amd', { cpuVendor: 'AMD' }).metadata.labels ?? {};
    const s = migrationTargetSelector(migration('pc-amd'), vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'server-1', cpuModel: 'host-passthrough' }), serverLabels);
    expect(Object.entries(s).every(([k, v]) => k === 'kubernetes.io/hostname' || amd[k] === v)).to.equal(false);
  });
});

describe('the simulated KubeVirt: a migration pinned to a node without the hostname label', () => {
  const handMade = clientWorkstation('pc-1');
  delete handMade.metadata.labels!['kubernetes.io/hostname'];

  it('can never be scheduled, and the reason names the node, the label and the fix', () => {
    const reason = unschedulableHostnamePin(migration('pc-1'), [cloudServer('server-1'), handMade]);
    expect(reason).to.match(/node pc-1 has no such label/).and.to.contain('kubectl label node pc-1 kubernetes.io/hostname=pc-1');
  });

  it('may still be scheduled when a node carries the label, or when no node of that name exists yet (KubeVirt waits)', () => {
    expect(unschedulableHostnamePin(migration('pc-1'), [clientWorkstation('pc-1')])).to.equal(undefined);
    expect(unschedulableHostnamePin(migration('pc-9'), [handMade])).to.equal(undefined);
    expect(unschedulableHostnamePin({ ...migration('pc-1'), spec: { vmiName: 'vm-1' } }, [handMade])).to.equal(undefined);
  });
});

describe('the simulated KubeVirt: runs deviated as lab migrations were', () => {
  const p = predictMigration({ memoryBytes: 2 * 2 ** 30, dirtyRate: { kind: 'constant', bytesPerSecond: 1e6 }, bandwidthBytesPerSecond: 10e6 });

  it('runs exactly as predicted without an error, longer or shorter with one', () => {
    expect(simulatedRun(p).seconds).to.equal(p.totalSeconds);
    expect(simulatedRun(p, 0.05).seconds).to.be.closeTo(p.totalSeconds * 1.05, 1e-9);
    expect(simulatedRun(p, -0.05).failure).to.equal(undefined);
  });

  it('is aborted at KubeVirt\'s budget when the deviation pushes it past', () => {
    const tight = predictMigration({ memoryBytes: 2 * 2 ** 30, dirtyRate: { kind: 'constant', bytesPerSecond: 1e6 }, bandwidthBytesPerSecond: 10e6, completionTimeoutPerGiB: p.totalSeconds / 3 + 0.5 });
    expect(tight.completes).to.equal(true);
    const run = simulatedRun(tight, 0.0934);
    expect(run.seconds).to.equal(tight.completionBudgetSeconds);
    expect(run.failure).to.match(/not completed after \d+ seconds and has been aborted/);
  });

  it('draws each migration\'s deviation from the lab\'s held-out errors, the same for the same migration', () => {
    const drawn = Array.from({ length: 200 }, (_, i) => labErrorFor(`uid-${i}`));
    for (const e of drawn) expect(LAB_HELD_OUT_TIME_ERRORS).to.include(e);
    expect(new Set(drawn).size).to.be.greaterThan(10);
    expect(labErrorFor('uid-7')).to.equal(labErrorFor('uid-7'));
  });
});
