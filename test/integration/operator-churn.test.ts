/**
 * A live cluster never stands still: kubelets report, virt-handler rewrites guest-agent readings and
 * its heartbeat, link agents refresh their measurements. None of that may start a plan; a burst of
 * changes the planner reads is one plan (plan-triggers.ts, plan-pacing.ts).
 */
import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import type { VirtualMachineInstance } from '../../src/kube/kubevirt.js';
import type { Node } from '../../src/kube/node.js';
import { Resources } from '../../src/kube/resources.js';
import type { Operator } from '../../src/operator/operator.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { linkAnnotations, OperatorWorld } from './operator-support.js';
import { adminClient, eventually, newNamespace } from './support.js';

async function plans(op: Operator): Promise<number> {
  return (await op.metrics.planDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
}

async function events(op: Operator, effect: 'plan' | 'deferred' | 'ignored'): Promise<number> {
  return (await op.metrics.watchEvents.get()).values.filter((v) => v.labels.effect === effect).reduce((s, v) => s + v.value, 0);
}

/** No plan for `quietMs`. */
async function quiet(op: Operator, quietMs = 1500): Promise<number> {
  let last = await plans(op);
  let since = Date.now();
  return eventually('the operator to be idle', async () => {
    const now = await plans(op);
    if (now !== last) {
      last = now;
      since = Date.now();
    }
    return Date.now() - since >= quietMs ? now : undefined;
  }, 30_000);
}

describe('the operator under churn', function () {
  this.timeout(90_000);
  let client: KubeClient;
  let w: OperatorWorld;
  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    w = new OperatorWorld(client, await newNamespace(client, 'churn'));
  });
  afterEach(async () => {
    await w.stop();
  });

  it('plans for none of the heartbeats and readings that change nothing it reads, and once for a burst of changes', async () => {
    const home = await w.server('server-1');
    const clients = [await w.workstation('ws-1', '5Mbit/s'), await w.workstation('ws-2', '5Mbit/s')];
    const vms = ['vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5'];
    for (const vm of vms) await putVmi(client, { name: vm, namespace: w.ns, node: home, memory: '1Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    // No periodic re-plan within the test: every plan below is started by an event.
    const op = await w.startOperator({ resyncMs: 600_000 });
    await w.placement('room');
    await w.decision('room', 'vm-5', (d) => d.action === 'Stay', 'planned');
    const before = await quiet(op);
    const ignoredBefore = await events(op, 'ignored');
    const deferredBefore = await events(op, 'deferred');
    const planBefore = await events(op, 'plan');

    // Three rounds of what kubelet, virt-handler and a link agent write on a live cluster.
    let writes = 0;
    for (let round = 1; round <= 3; round++) {
      // Condition times are stored to the second: a round in the same second as the last would change nothing.
      await new Promise((r) => setTimeout(r, 1100));
      const now = new Date().toISOString();
      for (const name of [home, ...clients]) {
        const node = await client.get<Node>(Resources.node, undefined, name);
        const conditions = node.status!.conditions!.map((c) => ({ ...c, lastHeartbeatTime: now }));
        await client.mergePatch(Resources.node, undefined, name, { status: { conditions } }, 'status');
        await client.mergePatch(Resources.node, undefined, name, { metadata: { annotations: { 'kubevirt.io/heartbeat': now } } });
        writes += 2;
      }
      for (const vm of vms) {
        const vmi = await w.vmi(vm);
        const conditions = [...(vmi.status?.conditions ?? []).filter((c) => c.type !== 'AgentConnected'), { type: 'AgentConnected', status: round % 2 ? 'False' : 'True', lastProbeTime: null, lastTransitionTime: now }];
        const status = { conditions, interfaces: [{ name: 'default', ipAddress: `10.0.0.${round}` }], memory: { guestCurrent: `${round}Gi` } };
        await client.mergePatch<VirtualMachineInstance>(Resources.vmi, w.ns, vm, { status }, 'status');
        writes++;
      }
      // A link agent's refresh: the same link, measured again.
      for (const name of clients) await client.mergePatch(Resources.node, undefined, name, { metadata: { annotations: linkAnnotations('5.1Mbit/s') } });
    }
    const seen = async () => ({ ignored: (await events(op, 'ignored')) - ignoredBefore, deferred: (await events(op, 'deferred')) - deferredBefore, plan: (await events(op, 'plan')) - planBefore });
    await eventually('the operator to see every write', async () => {
      const s = await seen();
      return s.ignored >= writes && s.deferred >= 6 ? true : undefined;
    }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${writes} writes, 6 link refreshes; seen ${JSON.stringify(await seen())}`);
    });
    expect(await quiet(op), 'plans during the churn').to.equal(before);

    // A burst: five VMs leave the placement's selector at once, and one plan takes them all out.
    await Promise.all(vms.map((vm) => client.mergePatch(Resources.vmi, w.ns, vm, { metadata: { labels: { app: 'other' } } })));
    await eventually('the placement to select no VM', async () => (((await w.getPlacement('room')).status?.decisions ?? []).length === 0 ? true : undefined));
    const after = await quiet(op);
    expect(after - before, 'plans for the burst').to.be.within(1, 2);
  });
});
