import { expect } from 'chai';
import { planPlacements, Reasons } from '../../../../src/domain/placement/index.js';
import { clientNode, homeNode, NOW, planInput, policy, vm, type World } from './fixtures.js';

/** A VM on pc-1, whose users are fine; pc-2's users suffer 100 ms to the cloud. */
function world(hysteresisMargin: number): World {
  return {
    policy: policy({ hysteresisMargin, triggers: { offlineCapabilityWanted: true, cloudRttAboveMs: 40 } }),
    nodes: [homeNode(), clientNode('pc-1'), clientNode('pc-2', { link: { bandwidthBytesPerSecond: 12.5e6, rttMs: 100, measuredAtMs: NOW - 60_000 } })],
    vms: [vm('vm-1', { nodeName: 'pc-1' })],
  };
}

describe('planPlacements: hysteresis for VMs already on a client', () => {
  const free = planPlacements(planInput(world(0))).decisions[0]!;
  const gain = free.score!.total - free.currentScore!;

  it('explains the move with both scores', () => {
    expect(free).to.include({ action: 'MoveToClient', reason: Reasons.BetterClient, desiredNode: 'pc-2' });
    expect(free.currentScore).to.be.a('number');
    expect(free.score!.benefitParts).to.deep.equal({ offlineCapability: 1, cloudLatency: 1 });
    expect(gain).to.be.greaterThan(0.5);
  });

  it('moves when the new client beats staying by more than the margin', () => {
    const d = planPlacements(planInput(world(gain - 0.01))).decisions[0]!;
    expect(d).to.include({ action: 'MoveToClient', reason: Reasons.BetterClient });
  });

  it('holds when the gain is within the margin', () => {
    const d = planPlacements(planInput(world(gain + 0.01))).decisions[0]!;
    expect(d).to.include({ action: 'Stay', reason: Reasons.HysteresisHold });
    expect(d.desiredNode).to.equal(undefined);
    expect(d.score!.total).to.equal(free.score!.total);
    expect(d.message).to.contain('pc-2');
  });

  it('does not flap back: once on the better client, the old one is not better', () => {
    const w = world(0);
    w.vms = [vm('vm-1', { nodeName: 'pc-2' })];
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ action: 'Stay', reason: Reasons.Placed });
  });

  it('keeps a VM on a client whose link dropped below the threshold, rather than paying for a move home', () => {
    const w = world(0.2);
    w.nodes = [homeNode(), clientNode('pc-1', { link: { bandwidthBytesPerSecond: 1e5, rttMs: 20, measuredAtMs: NOW - 60_000 } })];
    const d = planPlacements(planInput(w)).decisions[0]!;
    expect(d).to.include({ action: 'Stay', reason: Reasons.Placed });
    expect(planPlacements(planInput(w)).migrations).to.deep.equal([]);
  });

  it('does not look for another client while its own link measurement is stale', () => {
    const w = world(0);
    w.nodes = w.nodes.map((n) => (n.name === 'pc-1' ? { ...n, link: { ...n.link!, measuredAtMs: NOW - 3600_000 } } : n));
    const d = planPlacements(planInput(w)).decisions[0]!;
    expect(d).to.include({ action: 'Stay', reason: Reasons.Placed });
    expect(d.message).to.contain('stale');
  });
});
