/**
 * The operator predicts with the migration settings KubeVirt will use: the KubeVirt resource's
 * spec.configuration.migrations, overridden by the MigrationPolicy KubeVirt matches to the VMI.
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
