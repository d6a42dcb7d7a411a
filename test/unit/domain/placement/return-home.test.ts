import { expect } from 'chai';
import { DEFAULT_TUNING, planPlacements, Reasons } from '../../../../src/domain/placement/index.js';
import { clientNode, GiB, homeNode, MB, NOW, planInput, policy, vm, type World } from './fixtures.js';

const MINUTE = 60_000;

/** vm-1 on pc-1, which leaves at `departureAtMs` (or now, when undefined). */
function leaving(departureAtMs: number | undefined, extraVms = 0): World {
  return {
    policy: policy(),
    nodes: [homeNode('home-1'), homeNode('home-2'), clientNode('pc-1', { leaving: departureAtMs === undefined ? {} : { departureAtMs } })],
    vms: Array.from({ length: 1 + extraVms }, (_, i) => vm(`vm-${i + 1}`, { nodeName: 'pc-1' })),
  };
}

describe('planPlacements: returning home before a client leaves', () => {
  const alone = planPlacements(planInput(leaving(NOW + 8 * 3600_000))).decisions[0]!;
  const returnSeconds = alone.prediction!.seconds;
  /** When the return of a single VM falls due, relative to its departure. */
  const leadMs = (returnSeconds * DEFAULT_TUNING.returnSafetyFactor + DEFAULT_TUNING.returnMarginSeconds) * 1000;

  it('waits while the departure is far, and asks to be woken when the return falls due', () => {
    expect(alone).to.include({ action: 'Stay', reason: Reasons.ClientLeaving });
    expect(returnSeconds).to.be.within(150, 250);
    const plan = planPlacements(planInput(leaving(NOW + 8 * 3600_000)));
    expect(plan.requeueAfterMs).to.be.closeTo(8 * 3600_000 - leadMs, 1);
  });

  it('starts the return when the time left reaches predicted time × safety factor + margin', () => {
    const due = planPlacements(planInput(leaving(NOW + leadMs - 1)));
    expect(due.decisions[0]).to.include({ action: 'ReturnHome', reason: Reasons.ClientLeaving });
    expect(due.migrations).to.deep.equal([
      { vmKey: 'lab/vm-1', placementKey: 'lab/ofp', sourceNode: 'pc-1', targetNode: 'home-1', direction: 'Home', predictedSeconds: returnSeconds, budgetSeconds: 450, reason: Reasons.ClientLeaving, inputs: due.migrations[0]!.inputs, attempt: 1, failuresBefore: 0, targetFailuresBefore: 0, predictedBytes: alone.prediction!.bytes, predictedBandwidthBytesPerSecond: 12.5e6, link: { node: 'pc-1', measuredBandwidthBytesPerSecond: 12.5e6, correction: 1 } },
    ]);
    expect(planPlacements(planInput(leaving(NOW + leadMs + 1000))).decisions[0]).to.include({ action: 'Stay', reason: Reasons.ClientLeaving });
  });

  it('returns at once when the client gives no departure time', () => {
    expect(planPlacements(planInput(leaving(undefined))).decisions[0]).to.include({ action: 'ReturnHome' });
  });

  it("returns a VM even when KubeVirt would not apply the placement's migration settings to it", () => {
    const w = leaving(undefined);
    w.vms = w.vms.map((v) => ({ ...v, settingsNotApplied: 'KubeVirt would migrate it with MigrationPolicy gold' }));
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ action: 'ReturnHome' });
  });

  it("starts earlier when several VMs share the leaving client's link", () => {
    // One VM alone would not be due yet; three together need about three times as long.
    const departure = NOW + leadMs + 2 * returnSeconds * 1000;
    expect(planPlacements(planInput(leaving(departure))).decisions[0]).to.include({ action: 'Stay' });
    const plan = planPlacements(planInput(leaving(departure, 2)));
    expect(plan.decisions.map((d) => d.action)).to.deep.equal(['ReturnHome', 'ReturnHome', 'Wait']);
    expect(plan.decisions[2]).to.include({ reason: Reasons.ConcurrencyLimit });
  });

  it('returns the VMs of the client leaving first before moving anyone to a client', () => {
    const w = leaving(NOW + 5 * MINUTE);
    w.nodes.push(clientNode('pc-2', { leaving: { departureAtMs: NOW + 3 * MINUTE } }), clientNode('pc-3'));
    w.vms.push(vm('vm-early', { nodeName: 'pc-2' }), vm('vm-home', { nodeName: 'home-1' }));
    const plan = planPlacements({ ...planInput(w), clusterLimits: { parallelMigrationsPerCluster: 2, parallelOutboundMigrationsPerNode: 2 } });
    expect(plan.migrations.map((m) => m.vmKey)).to.deep.equal(['lab/vm-early', 'lab/vm-1']);
    expect(plan.decisions.find((d) => d.vmKey === 'lab/vm-home')).to.include({ action: 'Wait', reason: Reasons.ConcurrencyLimit });
  });

  it('ignores cooldown and offline capability for a return', () => {
    const w = leaving(undefined);
    w.vms = [vm('vm-1', { nodeName: 'pc-1', moves: { count: 4, lastMoveAtMs: NOW - MINUTE }, volumeKinds: ['dataVolume'] })];
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ action: 'ReturnHome' });
  });

  it("returns over a stale link measurement, flagged low-confidence, and over none at the placement's minimum bandwidth", () => {
    const stale = leaving(undefined);
    stale.nodes = stale.nodes.map((n) => (n.name === 'pc-1' ? { ...n, link: { ...n.link!, measuredAtMs: NOW - 24 * 3600_000 } } : n));
    const d = planPlacements(planInput(stale)).decisions[0]!;
    expect(d).to.include({ action: 'ReturnHome' });
    expect(d.prediction).to.include({ linkConfidence: 'low', bandwidthBytesPerSecond: 12.5e6 });

    const unknown = leaving(undefined);
    unknown.nodes = unknown.nodes.map((n) => (n.name === 'pc-1' ? { ...n, link: undefined } : n));
    unknown.policy = policy({ migration: { ...unknown.policy.migration, completionTimeoutPerGiB: 0 } });
    const u = planPlacements(planInput(unknown)).decisions[0]!;
    expect(u).to.include({ action: 'ReturnHome' });
    expect(u.prediction).to.include({ linkConfidence: 'low', bandwidthBytesPerSecond: 2.5e6 });
  });

  it('ignores the thresholds for discretionary moves, but does not start a return that cannot succeed', () => {
    const slow = leaving(undefined);
    slow.policy = policy({ thresholds: { ...slow.policy.thresholds, maxPredictedSeconds: 10, maxDowntimeMs: 1 } });
    expect(planPlacements(planInput(slow)).decisions[0]).to.include({ action: 'ReturnHome' });

    const hopeless = leaving(undefined);
    hopeless.vms = [vm('vm-1', { nodeName: 'pc-1', dirtyRate: { input: { kind: 'constant', bytesPerSecond: 20 * MB }, confidence: 'measured' } })];
    const d = planPlacements(planInput(hopeless));
    expect(d.decisions[0]).to.include({ action: 'Blocked', reason: Reasons.WouldNotConverge });
    expect(d.migrations).to.deep.equal([]);
  });

  it('picks the least loaded home node with room, and blocks when none has room', () => {
    const w = leaving(undefined);
    w.nodes = w.nodes.map((n) => (n.name === 'home-1' ? { ...n, requested: { cpuMillis: 16_000, memoryBytes: 64 * GiB } } : n));
    expect(planPlacements(planInput(w)).decisions[0]).to.include({ desiredNode: 'home-2' });
    w.nodes = w.nodes.map((n) => (n.homeFor.length ? { ...n, requested: { cpuMillis: 0, memoryBytes: 127 * GiB } } : n));
    const d = planPlacements(planInput(w)).decisions[0]!;
    expect(d).to.include({ action: 'Blocked', reason: Reasons.InsufficientMemory });
    expect(d.rejectedCounts).to.deep.equal({ InsufficientMemory: 2 });
  });

  it('records VMs on a client that went offline as running offline, without a migration', () => {
    const w = leaving(NOW + MINUTE);
    w.nodes = w.nodes.map((n) => (n.name === 'pc-1' ? { ...n, ready: false } : n));
    const plan = planPlacements(planInput(w));
    expect(plan.decisions[0]).to.include({ action: 'Blocked', reason: Reasons.ClientOffline });
    expect(plan.migrations).to.deep.equal([]);
  });
});
