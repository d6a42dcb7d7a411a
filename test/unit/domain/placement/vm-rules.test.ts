import { expect } from 'chai';
import { cooldownSeconds, isOfflineCapable, planPlacements, Reasons, type VolumeKind } from '../../../../src/domain/placement/index.js';
import { goodWorld, mapVms, NOW, planInput, vm } from './fixtures.js';

describe('cooldown', () => {
  const cooldown = { baseSeconds: 600, maxSeconds: 4 * 3600 };
  const rows: [number, number][] = [
    [0, 0],
    [1, 600],
    [2, 1200],
    [3, 2400],
    [4, 4800],
    [5, 9600],
    [6, 14400],
    [7, 14400],
    [5000, 14400],
  ];
  for (const [moves, seconds] of rows) {
    it(`after move ${moves} waits ${seconds} s`, () => {
      expect(cooldownSeconds(cooldown, moves)).to.equal(seconds);
    });
  }

  it('keeps a VM that would move waiting until its cooldown ends, and asks to be woken then', () => {
    // Third move 30 minutes ago: the cooldown is 40 minutes.
    const w = mapVms(goodWorld(), (v) => ({ ...v, moves: { count: 3, lastMoveAtMs: NOW - 30 * 60_000 } }));
    const plan = planPlacements(planInput(w));
    expect(plan.decisions[0]).to.include({ action: 'Wait', reason: Reasons.Cooldown, desiredNode: 'pc-1' });
    expect(plan.migrations).to.deep.equal([]);
    expect(plan.requeueAfterMs).to.equal(10 * 60_000);
  });

  it('lets the VM move once the growing cooldown is over', () => {
    const w = mapVms(goodWorld(), (v) => ({ ...v, moves: { count: 3, lastMoveAtMs: NOW - 40 * 60_000 } }));
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ action: 'MoveToClient' });
  });

  it('does not call a VM that would stay anyway "in cooldown"', () => {
    const w = mapVms(goodWorld(), (v) => ({ ...v, nodeName: 'pc-1', moves: { count: 1, lastMoveAtMs: NOW - 60_000 } }));
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ action: 'Stay', reason: Reasons.Placed });
  });
});

describe('offline capability by volume kind', () => {
  const rows: [VolumeKind, boolean][] = [
    ['containerDisk', true],
    ['emptyDisk', true],
    ['ephemeral', false],
    ['cloudInitNoCloud', true],
    ['cloudInitConfigDrive', true],
    ['configMap', true],
    ['secret', true],
    ['serviceAccount', true],
    ['downwardAPI', true],
    ['hostDisk', true],
    ['sharedHostDisk', false],
    ['persistentVolumeClaim', false],
    ['dataVolume', false],
  ];
  for (const [kind, capable] of rows) {
    it(`${kind}: ${capable ? 'keeps running offline' : 'network storage, not offline-capable'}`, () => {
      expect(isOfflineCapable(['containerDisk', kind])).to.equal(capable);
      const w = mapVms(goodWorld(), (v) => ({ ...v, volumeKinds: ['cloudInitNoCloud', kind] }));
      const decision = planPlacements(planInput(w)).decisions[0]!;
      expect(decision.action).to.equal(capable ? 'MoveToClient' : 'Blocked');
      if (!capable) expect(decision.reason).to.equal(Reasons.NotOfflineCapable);
    });
  }

  it('moves a VM with network volumes when the placement does not ask for offline capability (latency trigger)', () => {
    const w = goodWorld();
    w.policy = { ...w.policy, triggers: { offlineCapabilityWanted: false, cloudRttAboveMs: 10 } };
    w.vms = [vm('vm-1', { volumeKinds: ['dataVolume'] })];
    const decision = planPlacements(planInput(w)).decisions[0]!;
    expect(decision).to.include({ action: 'MoveToClient', reason: Reasons.CloudLatencyHigh });
    expect(decision.score!.benefitParts).to.deep.equal({ cloudLatency: 1 });
  });
});
