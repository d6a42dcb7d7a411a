import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import type { NodeLink } from '../../src/kube/node-link.js';
import type { KubeObject } from '../../src/kube/objects.js';
import { Resources } from '../../src/kube/resources.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { OperatorWorld } from './operator-support.js';
import { adminClient, eventually, newNamespace } from './support.js';

describe('the operator moves VMs to clients', function () {
  this.timeout(90_000);
  let client: KubeClient;
  let w: OperatorWorld;
  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    w = new OperatorWorld(client, await newNamespace(client, 'op'));
  });
  afterEach(async () => {
    await w.stop();
  });

  it("plans with the link agent's NodeLink where a client has no link annotation, says so, and treats an old record as stale", async () => {
    const home = await w.server('server-1');
    const ws = await w.workstation('ws', undefined);
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    const record = async (measuredAt: string) => {
      const existing = await client.get<NodeLink>(Resources.nodeLink, undefined, ws).catch(() => undefined);
      const base = existing ?? (await client.create<NodeLink>(Resources.nodeLink, { apiVersion: 'placement.offline-first.io/v1alpha1', kind: 'NodeLink', metadata: { name: ws } }));
      await client.mergePatch(Resources.nodeLink, undefined, base.metadata.name!, { status: { bandwidthBytesPerSecond: 100e6, rttMs: 4, measuredAt, probes: 3 } }, 'status');
    };
    try {
      await record(new Date(Date.now() - 3600_000).toISOString());
      await w.startOperator();
      await w.placement('room', { mode: 'Recommend' });
      const stale = await w.decision('room', 'vm-1', (x) => x.action === 'Stay', 'stays: the record is older than linkMaxAge');
      expect(stale.reason).to.equal('StaleLinkData');
      await record(new Date().toISOString());
      const move = await w.decision('room', 'vm-1', (x) => x.action === 'MoveToClient', 'a move on the fresh record');
      expect(move.desiredNode).to.equal(ws);
      expect(move.predicted?.linkSource).to.equal('agent');
    } finally {
      await client.delete(Resources.nodeLink, undefined, ws).catch(() => undefined);
    }
  });

  it('moves an eligible VM to the best-scoring compatible client', async () => {
    const home = await w.server('server-1');
    await w.workstation('amd', '900Mbit/s', { cpuVendor: 'AMD' });
    await w.workstation('slow', '40Mbit/s');
    const fast = await w.workstation('fast', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room');
    await w.nodeOf('vm-1', fast);
    const migrations = await w.migrations();
    expect(migrations).to.have.length(1);
    expect(migrations[0]!.spec.addedNodeSelector).to.deep.equal({ 'kubernetes.io/hostname': fast });
    expect(migrations[0]!.metadata.labels).to.include({ 'placement.offline-first.io/placement': 'room', 'placement.offline-first.io/direction': 'ToClient' });
    const d = await w.decision('room', 'vm-1', (x) => x.action === 'Stay' && x.node === fast, 'placed on the fast client');
    expect(d.reason).to.be.a('string');
    const p = await w.getPlacement('room');
    expect(p.status?.placed).to.equal('1/1');
    expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).to.equal('True');
    // Events tell the story on the VMI and on the placement.
    const reasons = async (kind: string, name: string) =>
      (await client.list<KubeObject & { reason?: string; regarding?: { kind?: string; name?: string } }>(Resources.event, w.ns)).items
        .filter((e) => e.regarding?.kind === kind && e.regarding.name === name)
        .map((e) => e.reason);
    await eventually('VMI events', async () => ((await reasons('VirtualMachineInstance', 'vm-1')).includes('MigrationSucceeded') ? true : undefined));
    expect(await reasons('VirtualMachineInstance', 'vm-1')).to.include.members(['MovingToClient', 'MigrationSucceeded']);
    expect(await reasons('OfflineFirstPlacement', 'room')).to.include.members(['MovingToClient', 'MigrationSucceeded']);
  });

  it('shows in status why each blocked VM stays: one cause per VM', async () => {
    const home = await w.server('server-1', { memory: '512Gi' });
    const bind = (ws: string) => ({ 'offline-first.io/workstation': ws });
    const ok = await w.workstation('ok', '900Mbit/s');
    const amd = await w.workstation('amd', '900Mbit/s', { cpuVendor: 'AMD' });
    const arm = await w.workstation('arm', '900Mbit/s', { arch: 'arm64' });
    const small = await w.workstation('small', '900Mbit/s', { memory: '4Gi' });
    const slow = await w.workstation('slow', '10Mbit/s');
    const edge = await w.workstation('edge', '100Mbit/s');
    const stale = await w.workstation('stale', undefined, { annotations: { 'link.offline-first.io/bandwidth': '900Mbit/s', 'link.offline-first.io/measured-at': new Date(Date.now() - 2 * 3600_000).toISOString() } });
    const calm = { 'offline-first.io/dirty-rate': '1MB/s' };
    const vm = (name: string, ws: string, extra: Partial<Parameters<typeof putVmi>[1]> = {}) =>
      putVmi(client, { name, namespace: w.ns, node: home, memory: '2Gi', labels: { app: 'lab', ...bind(ws), ...extra.labels }, annotations: { ...calm, ...extra.annotations }, ...(extra.liveMigratable ? { liveMigratable: extra.liveMigratable } : {}), ...(extra.memory ? { memory: extra.memory } : {}) });
    await vm('vm-pinned', ok, { liveMigratable: 'HostDeviceNotLiveMigratable' });
    await vm('vm-amd', amd);
    await vm('vm-arm', arm);
    await vm('vm-big', small, { memory: '8Gi' });
    await vm('vm-slow', slow);
    await vm('vm-stale', stale);
    // 100 Mbit/s is 12.5 MB/s: dirtying at that rate never converges.
    await vm('vm-busy', edge, { labels: { app: 'lab-busy' }, annotations: { 'offline-first.io/dirty-rate': '12.5MB/s' } });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', { clientBinding: { labelKey: 'offline-first.io/workstation' } });
    await w.placement('busy', { vmSelector: { matchLabels: { app: 'lab-busy' } }, clientBinding: { labelKey: 'offline-first.io/workstation' }, thresholds: { maxDirtyRateRatio: 1 } });
    const expectations: [string, string, string][] = [
      ['room', 'vm-pinned', 'NotLiveMigratable'],
      ['room', 'vm-amd', 'CPUVendorMismatch'],
      ['room', 'vm-arm', 'ArchitectureMismatch'],
      ['room', 'vm-big', 'InsufficientMemory'],
      ['room', 'vm-slow', 'BandwidthBelowThreshold'],
      ['room', 'vm-stale', 'StaleLinkData'],
      ['busy', 'vm-busy', 'WouldNotConverge'],
    ];
    for (const [placement, name, reason] of expectations) {
      const d = await w.decision(placement, name, (x) => x.reason === reason, `reason ${reason}`);
      expect(d.action, `${name}: ${d.message}`).to.not.equal('MoveToClient');
      expect(d.node).to.equal(home);
    }
    expect(await w.migrations()).to.have.length(0);
  });

  it('holds a VM that just moved in its cooldown', async () => {
    const home = await w.server('server-1');
    const a = await w.workstation('a', '900Mbit/s');
    const b = await w.workstation('b', '900Mbit/s');
    await putVmi(client, { name: 'vm-1', namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab', 'offline-first.io/workstation': a }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    await w.startKubevirt();
    await w.startOperator();
    await w.placement('room', { clientBinding: { labelKey: 'offline-first.io/workstation' } });
    await w.nodeOf('vm-1', a);
    // The student moves to another seat: the binding changes right after the first move.
    await client.mergePatch(Resources.vmi, w.ns, 'vm-1', { metadata: { labels: { 'offline-first.io/workstation': b } } });
    const d = await w.decision('room', 'vm-1', (x) => x.reason === 'Cooldown', 'Cooldown');
    expect(d.node).to.equal(a);
    expect(await w.migrations()).to.have.length(1);
  });
});
