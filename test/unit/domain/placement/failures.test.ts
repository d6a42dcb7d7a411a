import { expect } from 'chai';
import { planPlacements, Reasons, type FailureHistory, type VmView } from '../../../../src/domain/placement/index.js';
import { failureBackoffSeconds, moveInputsSignature } from '../../../../src/domain/placement/failures.js';
import { clientNode, goodWorld, homeNode, LINK, NOW, planInput, policy, vm, type World } from './fixtures.js';

const BACKOFF = { baseSeconds: 60, maxSeconds: 3600, maxFailuresPerTarget: 3 };

describe('failure backoff', () => {
  // [failures in a row, direction, jitter, seconds]
  const rows: [number, 'ToClient' | 'Home', number, number][] = [
    [0, 'ToClient', 0, 0],
    [1, 'ToClient', 0, 60],
    [2, 'ToClient', 0, 120],
    [3, 'ToClient', 0, 240],
    [6, 'ToClient', 0, 1920],
    [7, 'ToClient', 0, 3600],
    [40, 'ToClient', 0, 3600],
    [3000, 'ToClient', 0, 3600],
    [1, 'ToClient', 0.5, 66],
    [1, 'ToClient', 0.999, 60 * (1 + 0.2 * 0.999)],
    [7, 'ToClient', 1, 3600 * 1.2],
    [5, 'Home', 0, 60],
    [5, 'Home', 0.5, 66],
    [1, 'ToClient', NaN, 60],
  ];
  for (const [n, direction, jitter, seconds] of rows) {
    it(`waits ${seconds.toFixed(1)} s after ${n} failures in a row (${direction}, jitter ${jitter})`, () => {
      expect(failureBackoffSeconds(BACKOFF, n, jitter, direction)).to.be.closeTo(seconds, 1e-9);
    });
  }
});

function failed(vmView: VmView, history: Partial<FailureHistory>): VmView {
  return { ...vmView, failures: { consecutive: 1, jitter: 0, lastAttempt: 1, byTarget: {}, ...history } };
}

describe('planPlacements after failed migrations', () => {
  it('waits (FailureBackoff) until the backoff after the last failure is over, and wakes up then', () => {
    const w = goodWorld();
    const backingOff: World = { ...w, vms: [failed(w.vms[0]!, { consecutive: 2, lastFailedAtMs: NOW - 60_000 })] };
    const plan = planPlacements(planInput(backingOff));
    expect(plan.decisions[0]).to.include({ action: 'Wait', reason: Reasons.FailureBackoff, desiredNode: 'pc-1' });
    expect(plan.decisions[0]!.message).to.match(/last 2 migrations failed; it backs off, the next attempt in 1m/);
    expect(plan.migrations).to.deep.equal([]);
    expect(plan.requeueAfterMs).to.equal(60_000);
    const later = planPlacements({ ...planInput(backingOff), nowMs: NOW + 60_000 });
    expect(later.decisions[0]).to.include({ action: 'MoveToClient' });
    expect(later.migrations[0]).to.include({ attempt: 2, failuresBefore: 2, targetFailuresBefore: 0 });
  });

  it('blocks a VM/node pair after maxFailuresPerTarget failures with the same inputs, and picks another client', () => {
    const w: World = { policy: policy(), nodes: [homeNode(), clientNode('pc-1'), clientNode('pc-2', { link: { bandwidthBytesPerSecond: LINK / 2, rttMs: 20, measuredAtMs: NOW - 60_000 } })], vms: [vm()] };
    const inputs = moveInputsSignature(w.vms[0]!, w.nodes[1]!);
    const world: World = { ...w, vms: [failed(w.vms[0]!, { consecutive: 3, lastFailedAtMs: NOW - 3600_000, byTarget: { 'pc-1': { count: 3, inputs } } })] };
    const plan = planPlacements(planInput(world));
    expect(plan.decisions[0]).to.include({ action: 'MoveToClient', desiredNode: 'pc-2' });
    expect(plan.decisions[0]!.rejectedCounts).to.include({ [Reasons.RepeatedFailures]: 1 });
  });

  it('stays with RepeatedFailures when the only client failed repeatedly, and tries it again once its link changes', () => {
    const w = goodWorld();
    const inputs = moveInputsSignature(w.vms[0]!, w.nodes[1]!);
    const world: World = { ...w, vms: [failed(w.vms[0]!, { consecutive: 3, lastFailedAtMs: NOW - 3600_000, byTarget: { 'pc-1': { count: 3, inputs } } })] };
    expect(planPlacements(planInput(world)).decisions[0]).to.include({ action: 'Stay', reason: Reasons.RepeatedFailures });
    // The link measured again within noise: still blocked; a real change (here a third slower): tried again.
    const noisy = { ...world, nodes: [world.nodes[0]!, clientNode('pc-1', { link: { bandwidthBytesPerSecond: LINK * 1.01, rttMs: 20, measuredAtMs: NOW - 1000 } })] };
    expect(planPlacements(planInput(noisy)).decisions[0]).to.include({ reason: Reasons.RepeatedFailures });
    const changed = { ...world, nodes: [world.nodes[0]!, clientNode('pc-1', { link: { bandwidthBytesPerSecond: LINK * 0.66, rttMs: 20, measuredAtMs: NOW - 1000 } })] };
    expect(planPlacements(planInput(changed)).decisions[0]).to.include({ action: 'MoveToClient', desiredNode: 'pc-1' });
  });

  it('keeps retrying a return home, never waiting longer than the base between attempts', () => {
    const w: World = { policy: policy(), nodes: [homeNode(), clientNode('pc-1', { leaving: {} })], vms: [vm('vm-1', { nodeName: 'pc-1' })] };
    const world: World = { ...w, vms: [failed(w.vms[0]!, { consecutive: 6, lastFailedAtMs: NOW - 30_000 })] };
    const waiting = planPlacements(planInput(world));
    expect(waiting.decisions[0]).to.include({ action: 'Wait', reason: Reasons.FailureBackoff });
    expect(waiting.requeueAfterMs).to.equal(30_000);
    expect(planPlacements({ ...planInput(world), nowMs: NOW + 30_000 }).decisions[0]).to.include({ action: 'ReturnHome' });
  });
});

describe('planPlacements: no stranding', () => {
  it('does not move a VM to a client when no home node could run its CPU on the way back (NoReturnPath)', () => {
    // The VM runs on a node outside the home pool; the only home node lacks its named CPU model.
    const w: World = {
      policy: policy(),
      nodes: [
        homeNode('elsewhere', { homeFor: [] }),
        homeNode('home-1', { labels: { 'kubernetes.io/arch': 'amd64', 'kubevirt.io/schedulable': 'true', 'cpu-vendor.node.kubevirt.io/Intel': 'true' } }),
        clientNode(),
      ],
      vms: [vm('vm-1', { nodeName: 'elsewhere', cpu: { model: 'Skylake-Client-IBRS', requiredFeatures: [] } })],
    };
    const plan = planPlacements(planInput(w));
    expect(plan.decisions[0]).to.include({ action: 'Stay', reason: Reasons.NoReturnPath });
    expect(plan.decisions[0]!.message).to.match(/no home node could take it back from there \(1 CPUModelUnsupported\)/);
    expect(plan.migrations).to.deep.equal([]);
  });

  it('does not move a VM to a client when every home node is full and it does not run on one', () => {
    const full = { cpuMillis: 32_000, memoryBytes: 128 * 2 ** 30 };
    const w: World = { policy: policy(), nodes: [homeNode('elsewhere', { homeFor: [] }), homeNode('home-1', { requested: full }), clientNode('pc-1')], vms: [vm('vm-1', { nodeName: 'elsewhere' })] };
    const plan = planPlacements(planInput(w));
    expect(plan.decisions[0]).to.include({ action: 'Stay', reason: Reasons.NoReturnPath });
    expect(plan.decisions[0]!.message).to.match(/\(1 InsufficientMemory\)/);
    expect(plan.migrations).to.deep.equal([]);
  });

  it('moves a VM from its own home node, naming it as the way back, even when that node is otherwise full', () => {
    const w = goodWorld();
    const world = { ...w, nodes: [homeNode('home-1', { requested: { cpuMillis: 32_000, memoryBytes: 128 * 2 ** 30 } }), w.nodes[1]!] };
    const plan = planPlacements(planInput(world));
    expect(plan.decisions[0]).to.include({ action: 'MoveToClient', returnNode: 'home-1' });
    expect(plan.decisions[0]!.message).to.match(/home-1 could take it back/);
  });
});
