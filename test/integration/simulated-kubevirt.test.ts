import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { KubeVirt, MigrationPolicy, VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import { KubevirtLabels } from '../../src/kube/kubevirt.js';
import { Resources } from '../../src/kube/resources.js';
import { clientWorkstation, cloudServer, putNode } from '../../src/sim/fixtures/nodes.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { SIM_FAIL_ANNOTATION } from '../../src/sim/kubevirt/migration-controller.js';
import { SimulatedKubevirt } from '../../src/sim/kubevirt/simulated-kubevirt.js';
import { adminClient, controlPlane, eventually, newNamespace } from './support.js';

const PHASES = ['Pending', 'Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running', 'Succeeded'];

describe('the simulated KubeVirt', function () {
  this.timeout(60_000);
  let client: KubeClient;
  before(() => {
    client = adminClient();
  });
  let ns: string;
  let kubevirt: SimulatedKubevirt;
  let cloud: string;
  let clients: string[];

  beforeEach(async () => {
    ns = await newNamespace(client, 'sim');
    cloud = `${ns}-server-1`;
    clients = [1, 2, 3].map((i) => `${ns}-ws-${i}`);
    await putNode(client, cloudServer(cloud));
    for (const c of clients) await putNode(client, clientWorkstation(c));
    kubevirt = await SimulatedKubevirt.start(client, { namespace: ns, ca: controlPlane().ca, realMsPerSimSecond: 20 });
  });

  afterEach(async () => {
    await kubevirt?.stop();
  });

  const migrate = (name: string, vmiName: string, node?: string, annotations?: Record<string, string>) =>
    client.create<VirtualMachineInstanceMigration>(Resources.migration, {
      metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
      spec: { vmiName, ...(node ? { addedNodeSelector: { 'kubernetes.io/hostname': node } } : {}) },
    });
  const getMigration = (name: string) => client.get<VirtualMachineInstanceMigration>(Resources.migration, ns, name);
  const getVmi = (name: string) => client.get<VirtualMachineInstance>(Resources.vmi, ns, name);
  const finalPhase = (name: string) =>
    eventually(`migration ${name} to finish`, async () => {
      const m = await getMigration(name);
      return m.status?.phase === 'Succeeded' || m.status?.phase === 'Failed' ? m : undefined;
    });
  async function refused(p: Promise<unknown>): Promise<KubeApiError> {
    try {
      await p;
    } catch (err) {
      if (err instanceof KubeApiError) return err;
      throw err;
    }
    throw new Error('the migration was admitted');
  }

  it('moves a VMI from a cloud node to the client pinned by addedNodeSelector, through every phase', async () => {
    await putVmi(client, { name: 'vm-1', namespace: ns, node: cloud });
    const created = await migrate('to-ws-2', 'vm-1', clients[1]);
    expect(created.metadata.labels?.[KubevirtLabels.vmiName]).to.equal('vm-1');
    expect(created.metadata.finalizers).to.include(KubevirtLabels.migrationJobFinalizer);

    const done = await finalPhase('to-ws-2');
    expect(done.status?.phase).to.equal('Succeeded');
    expect(done.status?.phaseTransitionTimestamps?.map((p) => p.phase)).to.deep.equal(PHASES);

    const vmi = await getVmi('vm-1');
    expect(vmi.status?.nodeName).to.equal(clients[1]);
    expect(vmi.metadata.labels?.[KubevirtLabels.nodeName]).to.equal(clients[1]);
    expect(vmi.metadata.labels?.[KubevirtLabels.migrationTargetNodeName]).to.equal(undefined);
    expect(vmi.status?.migrationState).to.include({ sourceNode: cloud, targetNode: clients[1], completed: true, migrationUid: done.metadata.uid });
    expect(vmi.status?.migrationState?.startTimestamp).to.be.a('string');
    expect(vmi.status?.migrationState?.endTimestamp).to.be.a('string');
    // The finalizer is released once the migration is final.
    await eventually('finalizer removed', async () => ((await getMigration('to-ws-2')).metadata.finalizers?.length ? undefined : true));
  });

  it('refuses a second migration of the same VMI while the first is open', async () => {
    await putVmi(client, { name: 'vm-1', namespace: ns, node: cloud });
    await migrate('first', 'vm-1', clients[0]);
    const err = await refused(migrate('second', 'vm-1', clients[1]));
    expect(err.status).to.be.within(400, 499);
    expect(err.message).to.contain('in-flight migration detected');
    // Once the first one is final, a new migration is admitted again.
    await finalPhase('first');
    await migrate('third', 'vm-1', clients[1]);
    expect((await finalPhase('third')).status?.phase).to.equal('Succeeded');
    expect((await getVmi('vm-1')).status?.nodeName).to.equal(clients[1]);
  });

  it('refuses migrations of a missing, stopped or non-migratable VMI, naming the cause', async () => {
    await putVmi(client, { name: 'stopped', namespace: ns, node: cloud, phase: 'Succeeded' });
    await putVmi(client, { name: 'pinned', namespace: ns, node: cloud, liveMigratable: 'DisksNotLiveMigratable' });
    expect((await refused(migrate('a', 'ghost', clients[0]))).message).to.contain('does not exist');
    expect((await refused(migrate('b', 'stopped', clients[0]))).message).to.contain('finalized state');
    expect((await refused(migrate('c', 'pinned', clients[0]))).message).to.contain('DisksNotLiveMigratable');
  });

  it('never picks the source node: a migration pinned to it cannot be scheduled', async () => {
    await putVmi(client, { name: 'vm-1', namespace: ns, node: cloud });
    await migrate('to-self', 'vm-1', cloud);
    await new Promise((r) => setTimeout(r, 300));
    const m = await getMigration('to-self');
    expect(m.status?.phase).to.equal('Pending');
    expect((await getVmi('vm-1')).status?.nodeName).to.equal(cloud);
  });

  it('fails at once a migration pinned to a node without the kubernetes.io/hostname label, saying how to fix the node', async () => {
    const handMade = clientWorkstation(`${ns}-hand-made`);
    delete handMade.metadata.labels!['kubernetes.io/hostname'];
    await putNode(client, handMade);
    await putVmi(client, { name: 'vm-1', namespace: ns, node: cloud });
    await migrate('unlabelled', 'vm-1', handMade.metadata.name);
    const m = await finalPhase('unlabelled');
    expect(m.status?.phase).to.equal('Failed');
    expect(m.status?.migrationState?.failureReason).to.contain(`node ${handMade.metadata.name} has no such label`);
    expect((await getVmi('vm-1')).status?.nodeName).to.equal(cloud);
  });

  it('fails a migration on request and leaves the VMI where it was', async () => {
    await putVmi(client, { name: 'vm-1', namespace: ns, node: cloud });
    await migrate('doomed', 'vm-1', clients[0], { [SIM_FAIL_ANNOTATION]: 'connection to target lost' });
    const m = await finalPhase('doomed');
    expect(m.status?.phase).to.equal('Failed');
    const vmi = await getVmi('vm-1');
    expect(vmi.status?.nodeName).to.equal(cloud);
    expect(vmi.status?.migrationState).to.include({ failed: true, failureReason: 'connection to target lost' });
  });

  it('aborts a running migration when it is deleted', async () => {
    await kubevirt.stop();
    kubevirt = await SimulatedKubevirt.start(client, { namespace: ns, ca: controlPlane().ca, realMsPerSimSecond: 20, durationSeconds: () => 1000 });
    await putVmi(client, { name: 'vm-1', namespace: ns, node: cloud });
    await migrate('long', 'vm-1', clients[0]);
    await eventually('migration running', async () => ((await getMigration('long')).status?.phase === 'Running' ? true : undefined));
    await client.delete(Resources.migration, ns, 'long');
    await eventually('migration gone', async () => {
      try {
        await getMigration('long');
        return undefined;
      } catch {
        return true;
      }
    });
    const vmi = await getVmi('vm-1');
    expect(vmi.status?.nodeName).to.equal(cloud);
    expect(vmi.status?.migrationState).to.include({ abortRequested: true, abortStatus: 'Succeeded', failed: true });
  });

  it('times migrations with the cost model and fails the ones KubeVirt would abort', async () => {
    await kubevirt.stop();
    kubevirt = await SimulatedKubevirt.start(client, { namespace: ns, ca: controlPlane().ca, realMsPerSimSecond: 2 });
    const measuredAt = new Date().toISOString();
    const wan = (name: string) => clientWorkstation(name, { annotations: { 'link.offline-first.io/bandwidth': '37Mbit/s', 'link.offline-first.io/measured-at': measuredAt } });
    await putNode(client, wan(clients[0]!));
    await putVmi(client, { name: 'calm', namespace: ns, node: cloud, memory: '1Gi', annotations: { 'offline-first.io/guest-used': '200Mi', 'offline-first.io/dirty-rate': '0.5MB/s' } });
    await putVmi(client, { name: 'busy', namespace: ns, node: cloud, memory: '1Gi', annotations: { 'offline-first.io/dirty-rate': '20MB/s' } });
    await migrate('calm-out', 'calm', clients[0]);
    await migrate('busy-out', 'busy', clients[0]);
    const calm = await finalPhase('calm-out');
    const busy = await finalPhase('busy-out');
    expect(calm.status?.phase).to.equal('Succeeded');
    expect(busy.status?.phase).to.equal('Failed');
    expect(busy.status?.migrationState?.failureReason).to.equal('Live migration is not completed after 300 seconds and has been aborted');
    // Simulated time: 200 MiB over 37 Mbit/s is about 45 s; the abort comes at KubeVirt's 300 s budget.
    const ran = (m: VirtualMachineInstanceMigration) => {
      const t = m.status!.phaseTransitionTimestamps!;
      return (Date.parse(t.at(-1)!.phaseTransitionTimestamp) - Date.parse(t.find((p) => p.phase === 'Running')!.phaseTransitionTimestamp)) / 2;
    };
    expect(ran(calm)).to.be.within(40, 120);
    expect(ran(busy)).to.be.within(290, 600);
    expect((await getVmi('busy')).status?.nodeName).to.equal(cloud);
  });

  it('holds migrations in Pending beyond 5 per cluster and 2 outbound per node', async () => {
    await kubevirt.stop();
    kubevirt = await SimulatedKubevirt.start(client, { namespace: ns, ca: controlPlane().ca, realMsPerSimSecond: 20, durationSeconds: () => 10 });
    const servers = [cloud, `${ns}-server-2`, `${ns}-server-3`, `${ns}-server-4`];
    for (const s of servers.slice(1)) await putNode(client, cloudServer(s));
    for (let i = 0; i < 12; i++) await putVmi(client, { name: `vm-${i}`, namespace: ns, node: servers[i % 4]! });
    for (let i = 0; i < 12; i++) await migrate(`m-${i}`, `vm-${i}`, clients[i % 3]);
    const peaks = { cluster: 0, perNode: 0 };
    await eventually('all migrations final', async () => {
      const list = await client.list<VirtualMachineInstanceMigration>(Resources.migration, ns);
      const active = list.items.filter((m) => ['Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running'].includes(m.status?.phase ?? ''));
      peaks.cluster = Math.max(peaks.cluster, active.length);
      const bySource = new Map<string, number>();
      for (const m of active) bySource.set(m.status!.migrationState!.sourceNode!, (bySource.get(m.status!.migrationState!.sourceNode!) ?? 0) + 1);
      peaks.perNode = Math.max(peaks.perNode, ...bySource.values(), 0);
      return list.items.every((m) => m.status?.phase === 'Succeeded') ? true : undefined;
    }, 40_000);
    expect(peaks.cluster).to.be.at.most(5).and.at.least(2);
    expect(peaks.perNode).to.be.at.most(2);
    expect(kubevirt.controller.peakActive).to.be.at.most(5);
  });

  it("runs migrations with the KubeVirt resource's settings, overridden by the MigrationPolicy matching the VMI", async () => {
    await kubevirt.stop();
    kubevirt = await SimulatedKubevirt.start(client, { namespace: ns, ca: controlPlane().ca, realMsPerSimSecond: 2 });
    const policy = `${ns}-patient`;
    await client.create<KubeVirt>(Resources.kubevirt, { metadata: { name: 'kubevirt', namespace: ns }, spec: { configuration: { migrations: { completionTimeoutPerGiB: 40, parallelMigrationsPerCluster: 1 } } } });
    await client.create<MigrationPolicy>(Resources.migrationPolicy, {
      metadata: { name: policy },
      spec: { selectors: { namespaceSelector: { 'kubernetes.io/metadata.name': ns }, virtualMachineInstanceSelector: { 'test.offline-first.io/patience': 'long' } }, completionTimeoutPerGiB: 300 },
    });
    try {
      const measuredAt = new Date().toISOString();
      for (const c of clients.slice(0, 2)) {
        await putNode(client, clientWorkstation(c, { annotations: { 'link.offline-first.io/bandwidth': '37Mbit/s', 'link.offline-first.io/measured-at': measuredAt } }));
      }
      const calm = { 'offline-first.io/dirty-rate': '0.5MB/s' };
      await putVmi(client, { name: 'plain', namespace: ns, node: cloud, memory: '1Gi', annotations: calm });
      await putVmi(client, { name: 'patient', namespace: ns, node: cloud, memory: '1Gi', labels: { 'test.offline-first.io/patience': 'long' }, annotations: calm });
      // Let the caches see the KubeVirt resource and the policy before the migrations start.
      await eventually('the settings cached', () => (kubevirt.controller.kubevirts.size === 1 && kubevirt.controller.migrationPolicies.get(policy) ? true : undefined));
      await migrate('plain-out', 'plain', clients[0]);
      await migrate('patient-out', 'patient', clients[1]);
      // 1 GiB over 37 Mbit/s takes about 230 s: past 40 s per GB of a 2 GB budget, within 300.
      const plain = await finalPhase('plain-out');
      const patient = await finalPhase('patient-out');
      expect(plain.status?.migrationState?.failureReason).to.equal('Live migration is not completed after 80 seconds and has been aborted');
      expect(patient.status?.phase).to.equal('Succeeded');
      expect(kubevirt.controller.peakActive).to.equal(1);
    } finally {
      await client.delete(Resources.kubevirt, ns, 'kubevirt');
      await client.delete(Resources.migrationPolicy, undefined, policy);
    }
  });
});
