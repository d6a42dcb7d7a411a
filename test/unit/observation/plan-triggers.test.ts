/**
 * Which watch events start a plan. The churn of a live cluster, as it reaches the caches (trimmed by
 * cached-fields.ts), is ignored; a refreshed link with about the same values is deferred; anything
 * the planner reads plans.
 */
import { expect } from 'chai';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../../src/kube/kubevirt.js';
import type { NodeLink } from '../../../src/kube/node-link.js';
import type { Node } from '../../../src/kube/node.js';
import { PlacementLabels } from '../../../src/kube/placement.js';
import { Annotations } from '../../../src/observation/annotations.js';
import { cachedNode, cachedVmi } from '../../../src/observation/cached-fields.js';
import { linkFreshForMs, migrationDeleteTrigger, migrationTrigger, nodeLinkTrigger, nodeTrigger, objectTrigger, placementTrigger, vmiTrigger, type PlanTrigger, type TriggerContext } from '../../../src/observation/plan-triggers.js';
import { clientWorkstation } from '../../../src/sim/fixtures/nodes.js';
import { vmiFromFixture } from '../../../src/sim/fixtures/vmis.js';
import { placement } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 12, 9, 0, 0);
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const ctx: TriggerContext = { nowMs: NOW, linkFreshForMs: 600_000 };

function node(annotations: Record<string, string>, change: (n: Node) => void = () => {}): Node {
  const n = clientWorkstation('pc-1', { annotations });
  n.metadata.resourceVersion = String(Math.floor(Math.random() * 1e9));
  n.metadata.annotations = { ...n.metadata.annotations, 'kubevirt.io/heartbeat': ago(0) };
  change(n);
  return cachedNode(n);
}

const link = (bandwidth: string, rtt: string | undefined, ageSeconds: number) => ({
  [Annotations.linkBandwidth]: bandwidth,
  ...(rtt ? { [Annotations.linkRtt]: rtt } : {}),
  [Annotations.linkMeasuredAt]: ago(ageSeconds),
});

describe('plan triggers', () => {
  describe('a node, as cached', () => {
    const base = link('100Mbit/s', '20ms', 280);
    const cases: [string, Node, Node, PlanTrigger, TriggerContext?][] = [
      ['kubelet heartbeat (Ready condition times, resourceVersion)', node(base), node(base, (n) => { n.status!.conditions![0]!.lastHeartbeatTime = ago(-10); }), 'ignored'],
      ['the first watch event after a list (items of a list carry no apiVersion or kind)', node(base, (n) => { delete n.apiVersion; delete n.kind; }), node(base), 'ignored'],
      ['virt-handler heartbeat annotation and another annotation', node(base), node(base, (n) => { n.metadata.annotations!['kubevirt.io/heartbeat'] = ago(-60); n.metadata.annotations!['node.alpha.kubernetes.io/ttl'] = '0'; }), 'ignored'],
      ['link refreshed, 5 % lower, RTT +1 ms', node(base), node(link('95Mbit/s', '21ms', 0)), 'deferred'],
      ['link refreshed, same values', node(base), node(link('100Mbit/s', '20ms', 0)), 'deferred'],
      ['link refreshed, 20 % higher', node(base), node(link('120Mbit/s', '20ms', 0)), 'plan'],
      ['a better link (5 -> 900 Mbit/s)', node(link('5Mbit/s', '20ms', 280)), node(link('900Mbit/s', '20ms', 0)), 'plan'],
      ['RTT up by 10 ms (a latency trigger may fire)', node(base), node(link('100Mbit/s', '30ms', 0)), 'plan'],
      ['RTT newly reported', node(link('100Mbit/s', undefined, 280)), node(base), 'plan'],
      ['the old link was stale: fresh again is news', node(link('100Mbit/s', '20ms', 700)), node(link('100Mbit/s', '20ms', 0)), 'plan'],
      ['the old link is stale for the strictest placement (5 min)', node(base), node(link('100Mbit/s', '20ms', 0)), 'plan', { nowMs: NOW, linkFreshForMs: 240_000 }],
      ['an older measurement replaces a newer one', node(link('100Mbit/s', '20ms', 10)), node(link('100Mbit/s', '20ms', 280)), 'plan'],
      ['an unreadable link', node(base), node(link('fast', '20ms', 0)), 'plan'],
      ['link refreshed together with a leaving announcement', node(base), node({ ...link('100Mbit/s', '20ms', 0), [Annotations.leaving]: 'true' }), 'plan'],
      ['a departure time', node(base), node({ ...base, [Annotations.departureTime]: ago(-3600) }), 'plan'],
      ['not Ready', node(base), node(base, (n) => { n.status!.conditions![0]!.status = 'False'; }), 'plan'],
      ['cordoned', node(base), node(base, (n) => { n.spec = { ...n.spec, unschedulable: true }; }), 'plan'],
      ['a label (KubeVirt schedulable)', node(base), node(base, (n) => { n.metadata.labels = { ...n.metadata.labels, 'kubevirt.io/schedulable': 'false' }; }), 'plan'],
      ['allocatable memory', node(base), node(base, (n) => { n.status!.allocatable = { ...n.status!.allocatable, memory: '8Gi' }; }), 'plan'],
    ];
    for (const [name, old, next, want, c] of cases) {
      it(`${name}: ${want}`, () => expect(nodeTrigger(old, next, () => c ?? ctx)).to.equal(want));
    }
    it('a new node plans', () => expect(nodeTrigger(undefined, node(base), () => ctx)).to.equal('plan'));
  });

  describe('a VMI, as cached', () => {
    const vmi = (change: (v: VirtualMachineInstance) => void = () => {}) => {
      const v = vmiFromFixture({ name: 'vm-1', namespace: 'lab', node: 'home-1', memory: '2Gi' });
      v.metadata.resourceVersion = String(Math.floor(Math.random() * 1e9));
      v.status = {
        ...v.status,
        conditions: [...(v.status?.conditions ?? []), { type: 'AgentConnected', status: 'True', lastProbeTime: null, lastTransitionTime: ago(100) }],
        interfaces: [{ ipAddress: '10.0.0.1', name: 'default' }],
        memory: { guestCurrent: '2Gi' },
      } as VirtualMachineInstance['status'];
      change(v);
      return cachedVmi(v);
    };
    const liveMigratable = (v: VirtualMachineInstance) => v.status!.conditions!.find((c) => c.type === 'LiveMigratable')!;
    const status = (v: VirtualMachineInstance) => v.status as Record<string, unknown> & NonNullable<VirtualMachineInstance['status']>;
    const cases: [string, VirtualMachineInstance, PlanTrigger][] = [
      ['guest agent readings (interfaces, guest memory)', vmi((v) => { status(v).interfaces = [{ ipAddress: '10.0.0.2', name: 'default' }]; status(v).memory = { guestCurrent: '3Gi' }; }), 'ignored'],
      ['AgentConnected flips', vmi((v) => { v.status!.conditions!.find((c) => c.type === 'AgentConnected')!.status = 'False'; }), 'ignored'],
      ['LiveMigratable probed again (times only)', vmi((v) => { liveMigratable(v).lastProbeTime = ago(0); }), 'ignored'],
      ['LiveMigratable turns False', vmi((v) => { Object.assign(liveMigratable(v), { status: 'False', reason: 'DisksNotLiveMigratable' }); }), 'plan'],
      ['moved to another node', vmi((v) => { v.status!.nodeName = 'pc-1'; }), 'plan'],
      ['stopped', vmi((v) => { v.status!.phase = 'Succeeded'; }), 'plan'],
      ['a dirty-rate annotation', vmi((v) => { v.metadata.annotations = { ...v.metadata.annotations, [Annotations.dirtyRate]: '3MB/s' }; }), 'plan'],
    ];
    for (const [name, next, want] of cases) {
      it(`${name}: ${want}`, () => expect(vmiTrigger(vmi(), next, () => true)).to.equal(want));
    }

    const moving = (uid: string, node = 'home-1', change: (v: VirtualMachineInstance) => void = () => {}) =>
      vmi((v) => {
        v.status!.nodeName = node;
        v.status!.migrationState = { migrationUid: uid, sourceNode: 'home-1', targetNode: 'home-2', startTimestamp: ago(10), ...(node === 'home-2' ? { completed: true, endTimestamp: ago(0) } : {}) };
        v.metadata.labels = { ...v.metadata.labels, 'kubevirt.io/nodeName': node };
        change(v);
      });
    const ours = (uid: string) => uid === 'ours';
    const moves: [string, VirtualMachineInstance, VirtualMachineInstance, PlanTrigger][] = [
      ["moved by another's migration", vmi(), moving('drain'), 'deferred'],
      ["arrived by another's migration", moving('drain'), moving('drain', 'home-2'), 'deferred'],
      ["moved by the operator's migration", vmi(), moving('ours'), 'plan'],
      ["arrived by the operator's migration (its target is free to count again)", moving('ours'), moving('ours', 'home-2'), 'plan'],
      ["moved by another's migration and stopped", moving('drain'), moving('drain', 'home-2', (v) => { v.status!.phase = 'Succeeded'; }), 'plan'],
    ];
    for (const [name, old, next, want] of moves) {
      it(`${name}: ${want}`, () => expect(vmiTrigger(old, next, ours)).to.equal(want));
    }
    it('a new VMI plans', () => expect(vmiTrigger(undefined, vmi(), ours)).to.equal('plan'));
  });

  describe('a migration', () => {
    const base: VirtualMachineInstanceMigration = {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstanceMigration',
      metadata: { name: 'm', namespace: 'lab', resourceVersion: '1', creationTimestamp: ago(60), labels: { [PlacementLabels.placement]: 'room', [PlacementLabels.direction]: 'ToClient' } },
      spec: { vmiName: 'vm-1' },
      status: { phase: 'Scheduling', phaseTransitionTimestamps: [{ phase: 'Pending', phaseTransitionTimestamp: ago(60) }, { phase: 'Scheduling', phaseTransitionTimestamp: ago(59) }] },
    };
    const step = (phase: string, state: Record<string, unknown> = {}, rv = '2'): VirtualMachineInstanceMigration => ({
      ...base,
      metadata: { ...base.metadata, resourceVersion: rv },
      status: { phase, phaseTransitionTimestamps: [...base.status!.phaseTransitionTimestamps!, { phase, phaseTransitionTimestamp: ago(30) }], migrationState: { sourceNode: 'home-1', targetNode: 'pc-1', ...state } },
    } as VirtualMachineInstanceMigration);
    const cases: [string, VirtualMachineInstanceMigration, VirtualMachineInstanceMigration, PlanTrigger][] = [
      ['its resourceVersion only', base, { ...base, metadata: { ...base.metadata, resourceVersion: '2' } }, 'ignored'],
      ['one step to another before it runs (the target known already)', step('Scheduled'), step('PreparingTarget', { targetPod: 'virt-launcher-x' }, '3'), 'ignored'],
      ['its target becomes known', base, step('Scheduled'), 'plan'],
      ['it starts running', step('TargetReady'), step('Running', { startTimestamp: ago(30) }, '3'), 'plan'],
      ['it ends', step('Running', { startTimestamp: ago(30) }), step('Succeeded', { startTimestamp: ago(30), endTimestamp: ago(0) }, '3'), 'plan'],
      ['it is being deleted (an abort)', step('Running'), { ...step('Running', {}, '3'), metadata: { ...base.metadata, resourceVersion: '3', deletionTimestamp: ago(0) } }, 'plan'],
      ['an annotation (the follower records the actual seconds)', base, { ...base, metadata: { ...base.metadata, annotations: { 'placement.offline-first.io/actual-seconds': '42' } } }, 'plan'],
    ];
    for (const [name, old, next, want] of cases) {
      it(`${name}: ${want}`, () => expect(migrationTrigger(old, next)).to.equal(want));
    }
    it('a new one plans', () => expect(migrationTrigger(undefined, base)).to.equal('plan'));

    const foreign = (m: VirtualMachineInstanceMigration): VirtualMachineInstanceMigration => ({ ...m, metadata: { ...m.metadata, labels: {} } });
    it("another's (a drain, the descheduler) is read at the next re-plan: created, running, ended, deleted", () => {
      expect(migrationTrigger(undefined, foreign(base))).to.equal('deferred');
      expect(migrationTrigger(foreign(step('TargetReady')), foreign(step('Running', { startTimestamp: ago(30) }, '3')))).to.equal('deferred');
      expect(migrationTrigger(foreign(step('Scheduled')), foreign(step('PreparingTarget', {}, '3')))).to.equal('ignored');
      expect(migrationDeleteTrigger(foreign(base))).to.equal('deferred');
      expect(migrationDeleteTrigger(base), "the operator's: its slots are free now").to.equal('plan');
    });
  });

  it('namespaces, policies and the KubeVirt resource plan on any change but their resourceVersion', () => {
    const ns = { metadata: { name: 'lab', resourceVersion: '1', labels: { a: 'b' } } };
    expect(objectTrigger(ns, { ...ns, metadata: { ...ns.metadata, resourceVersion: '2' } })).to.equal('ignored');
    expect(objectTrigger(ns, { metadata: { ...ns.metadata, labels: { a: 'c' } } })).to.equal('plan');
    expect(objectTrigger(undefined, ns)).to.equal('plan');
  });

  it('a placement plans on its spec and metadata, not on the status the operator wrote', () => {
    const p = placement('room', ago(3600));
    expect(placementTrigger(p, { ...p, status: { lastPlanTime: ago(0) } } as typeof p)).to.equal('ignored');
    expect(placementTrigger(p, { ...p, spec: { ...p.spec, mode: 'Recommend' } })).to.equal('plan');
    expect(placementTrigger(p, { ...p, metadata: { ...p.metadata, deletionTimestamp: ago(0) } })).to.equal('plan');
  });

  describe('a link agent record', () => {
    const record = (bandwidth: number, ageSeconds: number, extra: Partial<NonNullable<NodeLink['status']>> = {}): NodeLink => ({
      metadata: { name: 'pc-1', resourceVersion: String(ageSeconds) },
      status: { bandwidthBytesPerSecond: bandwidth, rttMs: 20, measuredAt: ago(ageSeconds), probes: 3, ...extra },
    });
    const cases: [string, NodeLink, NodeLink, PlanTrigger][] = [
      ['a failed probe (the estimate stays)', record(1e7, 100), record(1e7, 100, { lastError: 'connection refused', probes: 3 }), 'ignored'],
      ['a probe that leaves the estimate as it was but for its time', record(1e7, 280), record(1.02e7, 0, { probes: 4 }), 'deferred'],
      ['a much better estimate', record(1e6, 280), record(1e8, 0), 'plan'],
      ['a first estimate', { metadata: { name: 'pc-1' }, status: { probes: 0 } }, record(1e7, 0), 'plan'],
    ];
    for (const [name, old, next, want] of cases) {
      it(`${name}: ${want}`, () => expect(nodeLinkTrigger(old, next, () => ctx)).to.equal(want));
    }
  });

  it('the link freshness is the shortest linkMaxAge of the placements', () => {
    expect(linkFreshForMs([])).to.equal(Infinity);
    expect(linkFreshForMs([placement('a', ago(0)), placement('b', ago(0), { linkMaxAge: '5m' })])).to.equal(300_000);
    expect(linkFreshForMs([placement('a', ago(0), { linkMaxAge: 'soon' })]), 'unreadable: nothing deferred').to.equal(0);
  });
});
