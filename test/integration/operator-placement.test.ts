import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { OperatorWorld } from './operator-support.js';
import { adminClient, newNamespace } from './support.js';

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
  });
});
