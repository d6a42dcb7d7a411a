/**
 * Planning all VMs at once: capacity taken by one VM is gone for the next, and no limit is exceeded.
 */
import { expect } from 'chai';
import { planPlacements, Reasons, type PlanInput } from '../../../../src/domain/placement/index.js';
import { clientNode, GiB, goodWorld, homeNode, LINK, planInput, policy, vm, type World } from './fixtures.js';
import { expectWithinCapacity, expectWithinLimits } from './plan-checks.js';

/** A client with room for exactly one 2.3 GiB launcher. */
const roomForOne = { requested: { cpuMillis: 0, memoryBytes: 12 * GiB } };

describe('planPlacements: capacity accounting', () => {
  it('sends only one of two VMs to a client that fits one, the other to the next client', () => {
    const w: World = {
      policy: policy({ limits: { maxConcurrentPerPlacement: 5, maxConcurrentPerClientNode: 2 } }),
      nodes: [homeNode(), clientNode('pc-1', roomForOne), clientNode('pc-2', { ...roomForOne, link: { bandwidthBytesPerSecond: LINK / 2, rttMs: 20, measuredAtMs: Date.UTC(2026, 0, 12, 9) } })],
      vms: [vm('vm-1'), vm('vm-2')],
    };
    const plan = planPlacements(planInput(w));
    expect(plan.migrations.map((m) => [m.vmKey, m.targetNode])).to.have.deep.members([
      ['lab/vm-1', 'pc-1'],
      ['lab/vm-2', 'pc-2'],
    ]);
    expectWithinCapacity(planInput(w), plan);
  });

  it('lets the second VM stay with InsufficientMemory when no other client has room', () => {
    const w: World = {
      policy: policy({ limits: { maxConcurrentPerPlacement: 5, maxConcurrentPerClientNode: 2 } }),
      nodes: [homeNode(), clientNode('pc-1', roomForOne)],
      vms: [vm('vm-1'), vm('vm-2')],
    };
    const plan = planPlacements(planInput(w));
    expect(plan.migrations).to.have.length(1);
    const other = plan.decisions.find((d) => d.vmKey !== plan.migrations[0]!.vmKey)!;
    expect(other).to.include({ action: 'Stay', reason: Reasons.InsufficientMemory });
    expect(other.rejected).to.deep.include({ node: 'pc-1', reason: Reasons.InsufficientMemory });
  });

  it('makes the second VM wait when its client is busy with an inbound migration rather than full', () => {
    const w: World = {
      policy: policy({ limits: { maxConcurrentPerPlacement: 5, maxConcurrentPerClientNode: 1 } }),
      nodes: [homeNode(), clientNode('pc-1')],
      vms: [vm('vm-1'), vm('vm-2')],
    };
    const plan = planPlacements(planInput(w));
    expect(plan.migrations).to.have.length(1);
    expect(plan.decisions.map((d) => d.action).sort()).to.deep.equal(['MoveToClient', 'Wait']);
    expect(plan.decisions.find((d) => d.action === 'Wait')).to.include({ reason: Reasons.ConcurrencyLimit, desiredNode: 'pc-1' });
  });

  it('reserves room for an open migration whose target pod does not exist yet', () => {
    const w: World = {
      policy: policy({ limits: { maxConcurrentPerPlacement: 5, maxConcurrentPerClientNode: 2 } }),
      nodes: [homeNode(), clientNode('pc-1', roomForOne)],
      vms: [vm('vm-1', { migrating: true }), vm('vm-2')],
      inFlight: [{ vmKey: 'lab/vm-1', placementKey: 'lab/ofp', sourceNode: 'home-1', targetNode: 'pc-1', direction: 'ToClient', targetCounted: false }],
    };
    expect(planPlacements(planInput(w)).decisions[1]).to.include({ action: 'Stay', reason: Reasons.InsufficientMemory });
    w.inFlight = [{ ...w.inFlight![0]!, targetCounted: true }];
    expect(planPlacements(planInput(w)).decisions[1]).to.include({ action: 'MoveToClient' });
  });

  it('prefers the faster client, and spreads VMs when the faster one is taken', () => {
    const w: World = {
      policy: policy({ limits: { maxConcurrentPerPlacement: 5, maxConcurrentPerClientNode: 1 } }),
      nodes: [
        homeNode('home-1'),
        homeNode('home-2'),
        clientNode('pc-slow', { link: { bandwidthBytesPerSecond: LINK / 2, rttMs: 20, measuredAtMs: Date.UTC(2026, 0, 12, 9) } }),
        clientNode('pc-fast'),
      ],
      vms: [vm('vm-1'), vm('vm-2', { nodeName: 'home-2' })],
    };
    const plan = planPlacements(planInput(w));
    expect(plan.migrations.map((m) => m.targetNode).sort()).to.deep.equal(['pc-fast', 'pc-slow']);
  });
});

describe('planPlacements: concurrency limits', () => {
  /** 30 VMs over 3 home nodes, 10 clients with room for several each. */
  function classroom(): World {
    const homes = ['home-1', 'home-2', 'home-3'].map((n) => homeNode(n));
    const clients = Array.from({ length: 10 }, (_, i) =>
      clientNode(`pc-${String(i).padStart(2, '0')}`, {
        allocatable: { cpuMillis: 16_000, memoryBytes: 64 * GiB },
        link: { bandwidthBytesPerSecond: LINK * (1 + i / 10), rttMs: 20, measuredAtMs: Date.UTC(2026, 0, 12, 9) },
      }),
    );
    const vms = Array.from({ length: 30 }, (_, i) => vm(`vm-${String(i).padStart(2, '0')}`, { nodeName: homes[i % 3]!.name }));
    return { policy: policy({ limits: { maxConcurrentPerPlacement: 10, maxConcurrentPerClientNode: 1 } }), nodes: [...homes, ...clients], vms };
  }

  it("starts no more than KubeVirt's cluster limit, 2 per source node, 1 per client", () => {
    const input = planInput(classroom());
    const plan = planPlacements(input);
    expect(plan.migrations).to.have.length(5);
    expectWithinLimits(input, plan);
    expect(plan.decisions.filter((d) => d.action === 'Wait' && d.reason === Reasons.ConcurrencyLimit)).to.have.length(25);
  });

  it('counts open migrations, ours and others, against the limits', () => {
    const w = classroom();
    w.inFlight = [
      { vmKey: 'kube-system/evacuee', sourceNode: 'home-1' },
      { vmKey: 'other/vm', sourceNode: 'elsewhere', targetNode: 'pc-09' },
      { vmKey: 'lab/earlier', placementKey: 'lab/ofp', sourceNode: 'home-2', targetNode: 'pc-08', direction: 'ToClient', targetCounted: true },
    ];
    const input = planInput(w);
    const plan = planPlacements(input);
    expect(plan.migrations).to.have.length(2);
    expectWithinLimits(input, plan);
    expect(plan.migrations.map((m) => m.targetNode)).not.to.include.members(['pc-09', 'pc-08']);
  });

  it('honours a per-placement limit below the cluster limit', () => {
    const w = classroom();
    w.policy = policy({ limits: { maxConcurrentPerPlacement: 3, maxConcurrentPerClientNode: 1 } });
    const input = planInput(w);
    const plan = planPlacements(input);
    expect(plan.migrations).to.have.length(3);
    expectWithinLimits(input, plan);
  });

  it('shares the cluster limit between placements', () => {
    const w = classroom();
    const second = policy({ key: 'lab/second' });
    const nodes = w.nodes.map((n) => ({ ...n, clientFor: n.clientFor.length ? [...n.clientFor, second.key] : [], homeFor: n.homeFor.length ? [...n.homeFor, second.key] : [] }));
    const vms = w.vms.map((v, i) => (i % 2 ? { ...v, placementKey: second.key } : v));
    const input: PlanInput = { ...planInput(w), placements: [w.policy, second], nodes, vms };
    const plan = planPlacements(input);
    expect(plan.migrations).to.have.length(5);
    expectWithinLimits(input, plan);
  });
});

describe('planPlacements: clients bound to VMs (the lab)', () => {
  it('moves each VM only to its own workstation', () => {
    const w: World = {
      policy: policy({ limits: { maxConcurrentPerPlacement: 10, maxConcurrentPerClientNode: 1 }, clientBinding: { labelKey: 'lab.example/workstation' } }),
      nodes: [homeNode(), clientNode('pc-1'), clientNode('pc-2'), clientNode('pc-3')],
      vms: [vm('vm-1', { boundClient: 'pc-3' }), vm('vm-2', { boundClient: 'pc-1' })],
    };
    const plan = planPlacements(planInput(w));
    expect(plan.migrations.map((m) => [m.vmKey, m.targetNode])).to.have.deep.members([
      ['lab/vm-1', 'pc-3'],
      ['lab/vm-2', 'pc-1'],
    ]);
    expect(plan.decisions[0]!.rejectedCounts).to.deep.equal({ NotBoundClient: 2 });
  });

  it('reports why the bound workstation is unusable rather than the other clients', () => {
    const w = goodWorld();
    w.nodes.push(clientNode('pc-2'), clientNode('pc-3', { link: undefined }));
    w.vms = [vm('vm-1', { boundClient: 'pc-3' })];
    const decision = planPlacements(planInput(w)).decisions[0]!;
    expect(decision).to.include({ action: 'Stay', reason: Reasons.NoLinkData });
    expect(decision.rejected).to.deep.equal([{ node: 'pc-3', reason: Reasons.NoLinkData }]);
  });

  it('stays on its own workstation', () => {
    const w = goodWorld();
    w.vms = [vm('vm-1', { boundClient: 'pc-1', nodeName: 'pc-1' })];
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ action: 'Stay', reason: Reasons.Placed });
  });
});
