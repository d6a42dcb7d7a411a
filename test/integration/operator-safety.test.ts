/**
 * "Never make things worse", on the real control plane with the simulated KubeVirt: each test is a
 * behaviour the operator got wrong before (a retry loop, one 0 bit/s link stopping every plan, an
 * outcome counted twice, a hidden double claim, a departure time dropped, a shared disk taken for a
 * local one, a second VM sent to a full client while a finished migration's VMI lagged) and
 * asserts the resulting state.
 */
import { expect } from 'chai';
import { KubeActuator } from '../../src/actuation/actuator.js';
import { MigrationFollower } from '../../src/controllers/migration/follower.js';
import type { KubeClient } from '../../src/kube/client.js';
import { EventRecorder } from '../../src/kube/events.js';
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { objectKey } from '../../src/kube/objects.js';
import { PlacementAnnotations, PlacementLabels, type OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { OperatorMetrics } from '../../src/observability/metrics.js';
import type { Informer } from '../../src/runtime/informer.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { linkAnnotations, OperatorWorld } from './operator-support.js';
import { adminClient, eventually, newNamespace } from './support.js';

interface Event extends KubeObject {
  reason?: string;
  type?: string;
  note?: string;
  regarding?: { kind?: string; name?: string; namespace?: string };
}

const calm = { 'offline-first.io/dirty-rate': '1MB/s' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function fakeCache<T extends KubeObject>(items: T[]): Informer<T> {
  const byKey = new Map(items.map((i) => [objectKey(i), i]));
  return { get: (k: string) => byKey.get(k), list: () => [...byKey.values()] } as unknown as Informer<T>;
}

describe('the operator never makes things worse', function () {
  this.timeout(120_000);
  let client: KubeClient;
  let w: OperatorWorld;
  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    w = new OperatorWorld(client, await newNamespace(client, 'safe'));
  });
  afterEach(async () => {
    await w.stop();
  });

  async function events(namespace = w.ns): Promise<Event[]> {
    return (await client.list<Event>(Resources.event, namespace)).items;
  }

  it('backs off after each failed migration, blocks the pair after 3 failures in a row, and tries again once the link changes', async () => {
    await w.server('s1');
    const ws = await w.workstation('ws', '900Mbit/s');
    await putVmi(client, { name: 'doomed', namespace: w.ns, node: w.node('s1'), memory: '1Gi', labels: { app: 'lab' }, annotations: { ...calm, 'sim.offline-first.io/fail': 'injected failure', 'sim.offline-first.io/duration-seconds': '10' } });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('pool', { failureBackoff: { base: '1s', max: '4s', maxFailuresPerTarget: 3 } });
    const d = await w.decision('pool', 'doomed', (x) => x.reason === 'RepeatedFailures', 'the pair blocked for repeated failures', 60_000);
    expect(d.message).to.match(/3 RepeatedFailures|RepeatedFailures/);
    // Blocked: nothing more is tried while the inputs stay the same.
    await sleep(3000);
    const ms = (await w.migrations()).sort((a, b) => Number(a.metadata.annotations![PlacementAnnotations.attempt]) - Number(b.metadata.annotations![PlacementAnnotations.attempt]));
    console.log(`      [safety] ${ms.length} migrations of a VM whose migrations always fail, then blocked (a retry loop made 6 in 53 s)`);
    expect(ms.map((m) => m.status?.phase)).to.deep.equal(['Failed', 'Failed', 'Failed']);
    expect(ms.map((m) => m.metadata.annotations![PlacementAnnotations.attempt])).to.deep.equal(['1', '2', '3']);
    expect(ms.map((m) => m.metadata.annotations![PlacementAnnotations.failuresBefore])).to.deep.equal(['0', '1', '2']);
    // Each retry waited its backoff after the previous failure: 1 s, then 2 s (jitter only adds).
    for (let i = 1; i < ms.length; i++) {
      const endedAt = Date.parse(ms[i - 1]!.status!.migrationState!.endTimestamp!);
      const createdAt = Date.parse(ms[i]!.metadata.creationTimestamp!);
      // creationTimestamp has whole seconds: allow for its truncation.
      expect(createdAt - endedAt, `wait before attempt ${i + 1}`).to.be.at.least(1000 * 2 ** (i - 1) - 1000);
    }
    // The link changes (a new measurement, a third slower): the pair is tried once more.
    await client.mergePatch(Resources.node, undefined, ws, { metadata: { annotations: linkAnnotations('600Mbit/s') } });
    await eventually('a fourth attempt after the link changed', async () => ((await w.migrations()).length === 4 ? true : undefined), 30_000);
  });

  it('plans every other placement while one client reports 0 bit/s, brings that leaving client\'s VM home, and says so on the placement and the node', async () => {
    await w.server('s1');
    const bad = await w.workstation('ws-bad', undefined, { annotations: { ...linkAnnotations('0bit/s'), 'offline-first.io/leaving': 'true' }, labels: { 'test.offline-first.io/group': 'a' } });
    const good = await w.workstation('ws-good', '900Mbit/s', { labels: { 'test.offline-first.io/group': 'b' } });
    await putVmi(client, { name: 'stranded', namespace: w.ns, node: bad, memory: '1Gi', labels: { app: 'a' }, annotations: calm });
    await putVmi(client, { name: 'mover', namespace: w.ns, node: w.node('s1'), memory: '1Gi', labels: { app: 'b' }, annotations: calm });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('a', { vmSelector: { matchLabels: { app: 'a' } }, clientNodeSelector: { matchLabels: { ...w.pool, 'test.offline-first.io/group': 'a' } } });
    await w.placement('b', { vmSelector: { matchLabels: { app: 'b' } }, clientNodeSelector: { matchLabels: { ...w.pool, 'test.offline-first.io/group': 'b' } } });
    await w.nodeOf('mover', good, 30_000);
    await w.nodeOf('stranded', w.node('s1'), 30_000);
    const p = await eventually('InputsValid False on placement a', async () => {
      const c = (await w.getPlacement('a')).status?.conditions?.find((x) => x.type === 'InputsValid');
      return c?.status === 'False' ? c : undefined;
    });
    expect(p.message).to.match(/link\.offline-first\.io\/bandwidth: expected a bandwidth above 0/);
    expect((await w.getPlacement('b')).status?.conditions?.find((x) => x.type === 'InputsValid')?.status).to.equal('True');
    const warning = await eventually('a Warning Event on the node', async () =>
      (await events('default')).find((e) => e.reason === 'InvalidInput' && e.regarding?.kind === 'Node' && e.regarding.name === bad),
    );
    expect(warning.type).to.equal('Warning');
  });

  it('reads a date-less departure time (17:30) as leaving now: the VM comes home and the placement says why', async () => {
    const home = await w.server('s1');
    const ws = await w.workstation('ws', '900Mbit/s', { annotations: { 'offline-first.io/departure-time': '17:30' } });
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: ws, memory: '1Gi', labels: { app: 'lab' }, annotations: calm });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('pool');
    await w.nodeOf('vm-1', home, 30_000);
    const c = await eventually('InputsValid False', async () => (await w.getPlacement('pool')).status?.conditions?.find((x) => x.type === 'InputsValid' && x.status === 'False'));
    expect(c.message).to.match(/departure-time: expected an RFC 3339 time.*treated as leaving now/);
  });

  it('says VMClaimedByOtherPlacement on a newer placement whose VMs an older one owns', async () => {
    await w.server('s1');
    await w.workstation('ws', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: w.node('s1'), memory: '1Gi', labels: { app: 'lab' }, annotations: calm });
    await w.startOperator();
    await w.placement('older', { mode: 'Recommend' });
    await sleep(1100); // creationTimestamp has whole seconds: the older one must be older.
    await w.placement('newer', { mode: 'Recommend' });
    const c = await eventually('SelectorsMatch on the newer placement', async () => (await w.getPlacement('newer')).status?.conditions?.find((x) => x.type === 'SelectorsMatch'));
    expect(c).to.include({ status: 'False', reason: 'VMClaimedByOtherPlacement' });
    expect(c.message).to.match(/vm-1 is also selected by the older placement/);
    expect((await w.getPlacement('newer')).status?.conditions?.find((x) => x.type === 'Ready')).to.include({ status: 'False', reason: 'VMClaimedByOtherPlacement' });
  });

  it('sends no second VM to a client that fits one while the VMI still shows its old node after the migration succeeded', async () => {
    await w.server('s1');
    // 3 GiB allocatable: one 2 GiB VM (plus launcher overhead) fits, two do not.
    const ws = await w.workstation('ws', '900Mbit/s', { memory: '3Gi' });
    for (const name of ['vm-1', 'vm-2']) {
      await putVmi(client, { name, namespace: w.ns, node: w.node('s1'), memory: '2Gi', labels: { app: 'lab' }, annotations: { ...calm, 'sim.offline-first.io/duration-seconds': '2' } });
    }
    // virt-controller's Succeeded reaches the watcher 3 s before virt-handler's new node on the VMI.
    await w.startKubevirt({ vmiUpdateLagMs: 3000 });
    await w.startOperator();
    await w.placement('pool', { concurrency: { maxPerPlacement: 4, maxPerClientNode: 1 } });
    await eventually('one VM on the client', async () => ((await client.list<VirtualMachineInstance>(Resources.vmi, w.ns)).items.some((v) => v.status?.nodeName === ws) ? true : undefined));
    await sleep(3000);
    const onClient = (await client.list<VirtualMachineInstance>(Resources.vmi, w.ns)).items.filter((v) => v.status?.nodeName === ws);
    expect(onClient, 'VMs on the client').to.have.length(1);
    expect(await w.migrations(), 'migrations').to.have.length(1);
  });

  it('does not move a VM whose hostDisk is shared (network storage) when offline capability is wanted', async () => {
    await w.server('s1');
    await w.workstation('ws', '900Mbit/s');
    await putVmi(client, {
      name: 'nfs-vm',
      namespace: w.ns,
      node: w.node('s1'),
      memory: '1Gi',
      labels: { app: 'lab' },
      annotations: calm,
      volumes: [{ name: 'rootdisk', hostDisk: { path: '/mnt/nfs/rootdisk.img', type: 'Disk', shared: true } }],
    });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('pool');
    const d = await w.decision('pool', 'nfs-vm', (x) => x.action === 'Blocked', 'a decision');
    expect(d).to.include({ reason: 'NotOfflineCapable' });
    expect(d.message).to.match(/sharedHostDisk/);
    expect(await w.migrations()).to.have.length(0);
  });

  it('counts a migration outcome once when two followers report it from the same stale object at once', async () => {
    await w.server('s1');
    const ws = await w.workstation('ws', '900Mbit/s');
    const vmi = await putVmi(client, { name: 'vm-1', namespace: w.ns, node: w.node('s1'), memory: '1Gi', labels: { app: 'lab' }, annotations: { ...calm, 'sim.offline-first.io/duration-seconds': '10' } });
    await w.startKubevirt();
    const placement = await w.placement('pool', { mode: 'Recommend' });
    await client.create<VirtualMachineInstanceMigration>(Resources.migration, {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'ofp-vm-1-manual', namespace: w.ns, labels: { [PlacementLabels.placement]: 'pool', [PlacementLabels.direction]: 'ToClient' }, annotations: { [PlacementAnnotations.predictedSeconds]: '10.0' } },
      spec: { vmiName: 'vm-1', addedNodeSelector: { 'kubernetes.io/hostname': ws } },
    });
    await eventually('the migration to succeed', async () => (isMigrationFinal(await client.get<VirtualMachineInstanceMigration>(Resources.migration, w.ns, 'ofp-vm-1-manual')) ? true : undefined), 30_000);
    await w.kubevirt!.stop();
    w.kubevirt = undefined;
    // The object as both followers' caches hold it: finished, not yet claimed, no longer changing.
    const stale = await client.get<VirtualMachineInstanceMigration>(Resources.migration, w.ns, 'ofp-vm-1-manual');
    const current = await w.vmi('vm-1');
    const metrics = [new OperatorMetrics({ defaultMetrics: false }), new OperatorMetrics({ defaultMetrics: false })];
    const followers = metrics.map(
      (m, i) => new MigrationFollower(new KubeActuator(client, new EventRecorder(client, `replica-${i}`)), fakeCache([stale]), fakeCache<VirtualMachineInstance>([current ?? vmi]), fakeCache<OfflineFirstPlacement>([placement]), m),
    );
    await Promise.all([...followers.map((f) => f.reconcile(objectKey(stale))), ...followers.map((f) => f.reconcile(objectKey(stale)))]);
    let counted = 0;
    for (const m of metrics) counted += (await m.migrations.get()).values.reduce((s, v) => s + v.value, 0);
    expect(counted, 'outcomes counted').to.equal(1);
    const reported = (await events()).filter((e) => e.reason === 'MigrationSucceeded');
    expect(reported.map((e) => e.regarding?.kind).sort()).to.deep.equal(['OfflineFirstPlacement', 'VirtualMachineInstance']);
    const after = await client.get<VirtualMachineInstanceMigration>(Resources.migration, w.ns, 'ofp-vm-1-manual');
    expect(after.metadata.annotations?.[PlacementAnnotations.observedPhase]).to.equal('Succeeded');
  });
});
