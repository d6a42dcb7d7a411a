/**
 * The operator predicts with the migration settings KubeVirt will use: the KubeVirt resource's
 * spec.configuration.migrations, overridden by the MigrationPolicy KubeVirt matches to the VMI, the
 * placement's own managed policy included.
 * Both are cluster-wide, so each test deletes what it created, and its policy selects only its
 * own namespace and VMIs.
 */
import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import type { KubeVirt, MigrationPolicy } from '../../src/kube/kubevirt.js';
import { Resources } from '../../src/kube/resources.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { OperatorWorld } from './operator-support.js';
import { adminClient, eventually, newNamespace } from './support.js';

describe("the operator predicts with KubeVirt's migration settings", function () {
  this.timeout(90_000);
  let client: KubeClient;
  let w: OperatorWorld;
  let created: { kubevirt?: string; policy?: string };
  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    w = new OperatorWorld(client, await newNamespace(client, 'kvs'));
    created = {};
  });
  afterEach(async () => {
    await w.stop();
    if (created.kubevirt) await client.delete(Resources.kubevirt, w.ns, created.kubevirt).catch(() => undefined);
    if (created.policy) await client.delete(Resources.migrationPolicy, undefined, created.policy).catch(() => undefined);
  });

  const kubevirt = async (migrations: Record<string, unknown>): Promise<void> => {
    await client.create<KubeVirt>(Resources.kubevirt, { apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'kubevirt', namespace: w.ns }, spec: { configuration: { migrations } } });
    created.kubevirt = 'kubevirt';
  };

  it("stays when KubeVirt's completion budget would abort the move, moves a VM its MigrationPolicy gives more time and names the policy, and re-plans when the KubeVirt resource goes", async () => {
    const home = await w.server('server-1');
    // 100 Mbit/s: a 1 GiB VM (2 GB to KubeVirt's budget) takes about 95 s: within 150 s per GiB, not 40.
    await w.workstation('ws-1', '100Mbit/s');
    await w.workstation('ws-2', '100Mbit/s');
    const calm = { 'offline-first.io/dirty-rate': '1MB/s' };
    await putVmi(client, { name: 'vm-plain', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: calm });
    await putVmi(client, { name: 'vm-patient', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', 'test.offline-first.io/patience': 'long' }, annotations: calm });
    await kubevirt({ completionTimeoutPerGiB: 40 });
    const policy = `${w.ns}-patient`;
    await client.create<MigrationPolicy>(Resources.migrationPolicy, {
      apiVersion: 'migrations.kubevirt.io/v1alpha1',
      kind: 'MigrationPolicy',
      metadata: { name: policy },
      spec: { selectors: { namespaceSelector: { 'kubernetes.io/metadata.name': w.ns }, virtualMachineInstanceSelector: { 'test.offline-first.io/patience': 'long' } }, completionTimeoutPerGiB: 300 },
    });
    created.policy = policy;
    await w.startOperator();
    await w.placement('room', { mode: 'Recommend' });
    await w.decision('room', 'vm-plain', (d) => d.action === 'Stay' && d.reason === 'KubevirtWouldAbort', "Stay: KubeVirt's 40 s per GiB would abort it");
    const patient = await w.decision('room', 'vm-patient', (d) => d.action === 'MoveToClient', "MoveToClient under its policy's 300 s per GiB");
    expect(patient.predicted?.migrationPolicy).to.equal(policy);
    await client.delete(Resources.kubevirt, w.ns, 'kubevirt');
    created.kubevirt = undefined;
    const plain = await w.decision('room', 'vm-plain', (d) => d.action === 'MoveToClient', "MoveToClient within KubeVirt's default 150 s per GiB");
    expect(plain.predicted?.migrationPolicy).to.equal(undefined);
  });

  it('keeps a MigrationPolicy for a placement whose spec.migration sets settings: selecting exactly its VMs, following the spec, gone with the placement', async () => {
    const home = await w.server('server-1');
    await w.workstation('ws-1', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', { migration: { bandwidthLimit: '400Mbit/s', allowAutoConverge: true } });
    const name = `offline-first.${w.ns}.room`;
    const policy = () => client.get<MigrationPolicy>(Resources.migrationPolicy, undefined, name).catch(() => undefined);
    const first = await eventually('the managed MigrationPolicy', policy);
    expect(first.spec).to.deep.equal({
      selectors: { namespaceSelector: { 'kubernetes.io/metadata.name': w.ns }, virtualMachineInstanceSelector: { app: 'lab' } },
      bandwidthPerMigration: '50000000',
      allowAutoConverge: true,
    });
    expect((await w.getPlacement('room')).metadata.finalizers).to.include('placement.offline-first.io/migration-policy');
    // The move is run by the simulated KubeVirt with the policy it matches, the one the prediction used.
    const vmi = await w.nodeOf('vm-1', w.node('ws-1'));
    expect(vmi.status?.migrationState?.migrationPolicyName).to.equal(name);
    const applied = (await w.getPlacement('room')).status?.conditions?.find((c) => c.type === 'MigrationSettingsApplied');
    expect(applied).to.include({ status: 'True', reason: 'PolicyApplied' });

    await client.mergePatch(Resources.placement, w.ns, 'room', { spec: { migration: { bandwidthLimit: '200Mbit/s', allowAutoConverge: null, completionTimeoutPerGiB: 300 } } });
    const updated = await eventually('the policy to follow the spec', async () => {
      const p = await policy();
      return p?.spec?.bandwidthPerMigration === '25000000' ? p : undefined;
    });
    expect(updated.spec).to.deep.equal({
      selectors: { namespaceSelector: { 'kubernetes.io/metadata.name': w.ns }, virtualMachineInstanceSelector: { app: 'lab' } },
      bandwidthPerMigration: '25000000',
      completionTimeoutPerGiB: 300,
    });

    await client.delete(Resources.placement, w.ns, 'room');
    await eventually('the placement and its policy gone', async () => ((await policy()) === undefined && (await client.get(Resources.placement, w.ns, 'room').catch(() => undefined)) === undefined ? true : undefined));
  });

  it('migrates to a link class\'s clients with the class\'s policy: the VMI is labelled with the class just before, and the policy for the class wins', async () => {
    const home = await w.server('server-1');
    const wan = await w.workstation('ws-wan', '900Mbit/s', { labels: { 'test.offline-first.io/link': 'broadband' } });
    const lan = await w.workstation('ws-lan', '900Mbit/s');
    const calm = { 'offline-first.io/dirty-rate': '1MB/s' };
    await putVmi(client, { name: 'vm-wan', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', seat: wan }, annotations: calm });
    await putVmi(client, { name: 'vm-lan', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', seat: lan }, annotations: calm });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', {
      clientBinding: { labelKey: 'seat' },
      migration: { allowAutoConverge: true },
      linkClasses: [{ name: 'wan', nodeSelector: { matchLabels: { 'test.offline-first.io/link': 'broadband' } }, bandwidthLimit: '200Mbit/s', allowPostCopy: false }],
    });
    const base = `offline-first.${w.ns}.room`;
    const wanPolicy = `${base}.wan`;
    const classPolicy = await eventually('the link class policy', () => client.get<MigrationPolicy>(Resources.migrationPolicy, undefined, wanPolicy).catch(() => undefined));
    expect(classPolicy.spec).to.deep.equal({
      selectors: { namespaceSelector: { 'kubernetes.io/metadata.name': w.ns }, virtualMachineInstanceSelector: { app: 'lab', 'placement.offline-first.io/link-class': 'wan' } },
      allowAutoConverge: true,
      bandwidthPerMigration: '25000000',
      allowPostCopy: false,
    });
    const onWan = await w.nodeOf('vm-wan', wan);
    expect(onWan.metadata.labels?.['placement.offline-first.io/link-class']).to.equal('wan');
    expect(onWan.status?.migrationState?.migrationPolicyName).to.equal(wanPolicy);
    const onLan = await w.nodeOf('vm-lan', lan);
    expect(onLan.metadata.labels).not.to.have.property('placement.offline-first.io/link-class');
    expect(onLan.status?.migrationState?.migrationPolicyName).to.equal(base);
  });

  it('refuses to move VMs that another MigrationPolicy governs in a way KubeVirt prefers, and says so', async () => {
    const home = await w.server('server-1');
    await w.workstation('ws-1', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', tier: 'gold' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    // Two VMI labels and the namespace: a better match than the placement's policy (one VMI label and the namespace).
    const other = `${w.ns}-gold`;
    await client.create<MigrationPolicy>(Resources.migrationPolicy, {
      apiVersion: 'migrations.kubevirt.io/v1alpha1',
      kind: 'MigrationPolicy',
      metadata: { name: other },
      spec: { selectors: { namespaceSelector: { 'kubernetes.io/metadata.name': w.ns }, virtualMachineInstanceSelector: { app: 'lab', tier: 'gold' } }, allowAutoConverge: false },
    });
    created.policy = other;
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', { migration: { allowAutoConverge: true } });
    const d = await w.decision('room', 'vm-1', (x) => x.action === 'Blocked', 'blocked');
    expect(d.reason).to.equal('MigrationSettingsNotApplied');
    expect(d.message).to.contain(other);
    const condition = (await w.getPlacement('room')).status?.conditions?.find((c) => c.type === 'MigrationSettingsApplied');
    expect(condition).to.include({ status: 'False', reason: 'OverriddenByPolicy' });
    expect(condition?.message).to.contain('vm-1');
    expect(await w.migrations()).to.have.length(0);
  });

  it("keeps to the KubeVirt resource's parallelMigrationsPerCluster", async () => {
    const home = await w.server('server-1', { memory: '64Gi' });
    await w.workstation('ws-1', '900Mbit/s');
    await w.workstation('ws-2', '900Mbit/s');
    for (const name of ['vm-1', 'vm-2']) {
      await putVmi(client, { name, namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    }
    await kubevirt({ parallelMigrationsPerCluster: 1 });
    // No simulated KubeVirt: a migration stays open, holding the cluster's one slot (KubeVirt's default 5 would let both start).
    await w.startOperator();
    await w.placement('room');
    const waiting = await eventually('one VM waiting for the cluster limit', async () => {
      const decisions = (await w.getPlacement('room')).status?.decisions ?? [];
      return decisions.find((d) => d.action === 'Wait' && d.reason === 'ConcurrencyLimit');
    });
    expect(waiting.vm).to.be.oneOf(['vm-1', 'vm-2']);
    expect(waiting.message).to.contain('KubeVirt parallelMigrationsPerCluster 1');
    // Open migrations elsewhere in the shared cluster count too, so this test's VMs may have none; never both.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await w.migrations()).length).to.be.at.most(1);
  });
});
