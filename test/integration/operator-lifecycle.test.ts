import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import { isMigrationFinal, type VirtualMachineInstance } from '../../src/kube/kubevirt.js';
import { Resources } from '../../src/kube/resources.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { OperatorWorld } from './operator-support.js';
import { adminClient, eventually, newNamespace } from './support.js';

const ACTIVE = new Set(['Scheduling', 'Scheduled', 'PreparingTarget', 'TargetReady', 'Running']);

describe('the operator under limits, modes, departures and restarts', function () {
  this.timeout(120_000);
  let client: KubeClient;
  let w: OperatorWorld;
  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    w = new OperatorWorld(client, await newNamespace(client, 'life'));
  });
  afterEach(async () => {
    await w.stop();
  });

  const calm = { 'offline-first.io/dirty-rate': '1MB/s' };

  it('with 30 VMs and 10 clients never exceeds a limit and never sends two VMs to a node that fits one', async () => {
    const servers = [await w.server('s1'), await w.server('s2'), await w.server('s3')];
    const clients: string[] = [];
    // 3 GiB allocatable: one 2 GiB VM (plus launcher overhead) fits, two do not.
    for (let i = 0; i < 10; i++) clients.push(await w.workstation(`ws-${i}`, '900Mbit/s', { memory: '3Gi' }));
    for (let i = 0; i < 30; i++) {
      await putVmi(client, { name: `vm-${i}`, namespace: w.ns, node: servers[i % 3]!, memory: '2Gi', labels: { app: 'lab' }, annotations: { ...calm, 'sim.offline-first.io/duration-seconds': '60' } });
    }
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('pool', { concurrency: { maxPerPlacement: 4, maxPerClientNode: 1 } });
    const peaks = { open: 0, active: 0, perClient: 0, perSource: 0 };
    let onClients = 0;
    await eventually('10 VMs on clients and nothing open', async () => {
      const ms = await w.migrations();
      const open = ms.filter((m) => !isMigrationFinal(m));
      const active = open.filter((m) => ACTIVE.has(m.status?.phase ?? ''));
      peaks.open = Math.max(peaks.open, open.length);
      peaks.active = Math.max(peaks.active, active.length);
      // Per node named by the migration; one not yet scheduled (Pending, no source yet) holds no node's slot.
      const count = (key: (m: (typeof ms)[number]) => string | undefined) => {
        const c = new Map<string, number>();
        for (const m of open) {
          const k = key(m);
          if (k !== undefined) c.set(k, (c.get(k) ?? 0) + 1);
        }
        return Math.max(0, ...c.values());
      };
      peaks.perClient = Math.max(peaks.perClient, count((m) => m.spec.addedNodeSelector?.['kubernetes.io/hostname']));
      peaks.perSource = Math.max(peaks.perSource, count((m) => m.status?.migrationState?.sourceNode));
      const vmis = (await client.list<VirtualMachineInstance>(Resources.vmi, w.ns)).items;
      const perNode = new Map<string, number>();
      for (const v of vmis) perNode.set(v.status!.nodeName!, (perNode.get(v.status!.nodeName!) ?? 0) + 1);
      for (const c of clients) expect(perNode.get(c) ?? 0, `VMs on ${c}`).to.be.at.most(1);
      onClients = clients.reduce((n, c) => n + (perNode.get(c) ?? 0), 0);
      return onClients === 10 && open.length === 0 ? true : undefined;
    }, 90_000);
    expect(peaks.open, 'open migrations of the placement').to.be.at.most(4);
    expect(peaks.active, 'active migrations in the cluster').to.be.at.most(5);
    expect(peaks.perClient, 'inbound per client').to.equal(1);
    expect(peaks.perSource, 'outbound per source').to.be.at.most(2);
    expect(await w.migrations()).to.have.length(10);
    await eventually('the status to count 10 of 30 on clients', async () => ((await w.getPlacement('pool')).status?.placed === '10/30' ? true : undefined));
  });

  it('in Recommend mode creates no migration; switched to Enforce it carries out the same plan', async () => {
    const home = await w.server('s1');
    const ws = await w.workstation('ws', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: calm });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('trial', { mode: 'Recommend' });
    const d = await w.decision('trial', 'vm-1', (x) => x.action === 'MoveToClient', 'a recommended move');
    expect(d.desiredNode).to.equal(ws);
    // Several plans later there is still no migration.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await w.migrations()).to.have.length(0);
    expect((await w.vmi('vm-1')).status?.nodeName).to.equal(home);
    await client.mergePatch(Resources.placement, w.ns, 'trial', { spec: { mode: 'Enforce' } });
    await w.nodeOf('vm-1', ws);
    expect(await w.migrations()).to.have.length(1);
  });

  it('brings VMs home before their client leaves', async () => {
    const home = await w.server('s1');
    const ws = await w.workstation('ws', '900Mbit/s');
    for (const name of ['vm-1', 'vm-2']) {
      await putVmi(client, { name, namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', 'offline-first.io/workstation': ws }, annotations: calm });
    }
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', { clientBinding: { labelKey: 'offline-first.io/workstation' }, concurrency: { maxPerPlacement: 2, maxPerClientNode: 2 } });
    await w.nodeOf('vm-1', ws);
    await w.nodeOf('vm-2', ws);
    const departure = Date.now() + 30_000;
    await client.mergePatch(Resources.node, undefined, ws, { metadata: { annotations: { 'offline-first.io/departure-time': new Date(departure).toISOString() } } });
    for (const name of ['vm-1', 'vm-2']) {
      const v = await w.nodeOf(name, home, 30_000);
      expect(Date.parse(v.status!.migrationState!.endTimestamp!)).to.be.below(departure);
    }
    const home2 = (await w.migrations()).filter((m) => m.metadata.labels?.['placement.offline-first.io/direction'] === 'Home');
    expect(home2).to.have.length(2);
    // Leaving, the client gets nothing new.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await w.migrations()).filter((m) => !isMigrationFinal(m))).to.have.length(0);
  });

  it('after a restart mid-migration adopts what is in flight and creates no duplicate', async () => {
    const servers = [await w.server('s1'), await w.server('s2')];
    const clients = [await w.workstation('a', '900Mbit/s'), await w.workstation('b', '900Mbit/s'), await w.workstation('c', '900Mbit/s')];
    for (let i = 0; i < 3; i++) {
      // 1,200 simulated seconds = 6 s real: long enough to see all three running at once on a loaded
      // machine, and to restart the operator in the middle.
      await putVmi(client, { name: `vm-${i}`, namespace: w.ns, node: servers[i % 2]!, memory: '1Gi', labels: { app: 'lab', 'offline-first.io/workstation': clients[i]! }, annotations: { ...calm, 'sim.offline-first.io/duration-seconds': '1200' } });
    }
    await w.startKubevirt();
    const first = await w.startOperator();
    await w.placement('room', { clientBinding: { labelKey: 'offline-first.io/workstation' } });
    // All three in flight at once (their phases may differ on a loaded machine), none finished yet.
    await eventually('three migrations in flight', async () => {
      const ms = await w.migrations();
      return ms.length === 3 && ms.every((m) => !isMigrationFinal(m) && m.status?.phase !== undefined && m.status.phase !== 'Pending') ? true : undefined;
    });
    await first.stop();
    w.operators.splice(w.operators.indexOf(first), 1);
    await w.startOperator();
    for (let i = 0; i < 3; i++) await w.nodeOf(`vm-${i}`, clients[i]!);
    await new Promise((r) => setTimeout(r, 1500));
    const ms = await w.migrations();
    expect(ms).to.have.length(3);
    expect(ms.every((m) => m.status?.phase === 'Succeeded')).to.equal(true);
    // The new operator reported each outcome once.
    expect(ms.every((m) => m.metadata.annotations?.['placement.offline-first.io/observed-phase'] === 'Succeeded')).to.equal(true);
  });

  it('with two replicas and leader election only one ever acts, and the other takes over', async () => {
    const home = await w.server('s1');
    const clients = [await w.workstation('a', '900Mbit/s'), await w.workstation('b', '900Mbit/s')];
    for (let i = 0; i < 2; i++) {
      await putVmi(client, { name: `vm-${i}`, namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', 'offline-first.io/workstation': clients[i]! }, annotations: { ...calm, 'sim.offline-first.io/duration-seconds': '200' } });
    }
    await w.startKubevirt();
    const election = { namespace: w.ns, leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
    const a = await w.startOperator({ leaderElection: election });
    const b = await w.startOperator({ leaderElection: election });
    let both = 0;
    let samples = 0;
    const sampler = setInterval(() => {
      samples++;
      if (a.isActing() && b.isActing()) both++;
    }, 10);
    try {
      await eventually('a leader', () => (a.isActing() || b.isActing() ? true : undefined));
      await w.placement('room', { clientBinding: { labelKey: 'offline-first.io/workstation' } });
      await eventually('a migration created', async () => ((await w.migrations()).length > 0 ? true : undefined));
      const leader = a.isActing() ? a : b;
      const standby = leader === a ? b : a;
      await leader.stop();
      w.operators.splice(w.operators.indexOf(leader), 1);
      await eventually('the standby to lead', () => (standby.isActing() ? true : undefined), 10_000);
      for (let i = 0; i < 2; i++) await w.nodeOf(`vm-${i}`, clients[i]!);
    } finally {
      clearInterval(sampler);
    }
    expect(samples).to.be.greaterThan(50);
    expect(both, 'samples where both replicas acted').to.equal(0);
    expect(await w.migrations()).to.have.length(2);
  });

  it('reports VMs on a client that went NotReady as running offline, and brings them home when it returns leaving', async () => {
    const home = await w.server('s1');
    const ws = await w.workstation('ws', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', 'offline-first.io/workstation': ws }, annotations: calm });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', { clientBinding: { labelKey: 'offline-first.io/workstation' } });
    await w.nodeOf('vm-1', ws);
    const notReady = { type: 'Ready', status: 'False', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() };
    await client.mergePatch(Resources.node, undefined, ws, { status: { conditions: [notReady] } }, 'status');
    const d = await w.decision('room', 'vm-1', (x) => x.reason === 'ClientOffline', 'ClientOffline');
    expect(d.node).to.equal(ws);
    const p = await eventually('runningOffline counted', async () => {
      const x = await w.getPlacement('room');
      return x.status?.vms?.runningOffline === 1 ? x : undefined;
    });
    expect(p.status?.placed).to.equal('1/1');
    expect(await w.migrations()).to.have.length(1);
    // The workstation comes back, announcing it leaves now: the VM goes home.
    await client.mergePatch(Resources.node, undefined, ws, { metadata: { annotations: { 'offline-first.io/leaving': 'true' } } });
    await client.mergePatch(Resources.node, undefined, ws, { status: { conditions: [{ ...notReady, status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] } }, 'status');
    await w.nodeOf('vm-1', home);
  });
});
