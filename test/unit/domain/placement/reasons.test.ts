/**
 * Every reason the planner gives, each produced by one small change to a world where the VM moves.
 */
import { expect } from 'chai';
import { NodeLabels, planPlacements, Reasons, type Action, type Reason } from '../../../../src/domain/placement/index.js';
import {
  clientNode,
  goodWorld,
  GiB,
  intelLabels,
  mapNode,
  mapVms,
  MB,
  NOW,
  planInput,
  PLACEMENT,
  withMigration,
  withThresholds,
  type World,
} from './fixtures.js';

function decide(w: World) {
  const plan = planPlacements(planInput(w));
  return { plan, decision: plan.decisions[0]! };
}

describe('planPlacements: reasons', () => {
  it('moves the VM in the good world (the baseline every row changes)', () => {
    const { plan, decision } = decide(goodWorld());
    expect(decision).to.include({ action: 'MoveToClient', reason: Reasons.OfflineCapabilityWanted, desiredNode: 'pc-1' });
    expect(plan.migrations).to.deep.equal([
      {
        vmKey: 'lab/vm-1',
        placementKey: PLACEMENT,
        sourceNode: 'home-1',
        targetNode: 'pc-1',
        direction: 'ToClient',
        predictedSeconds: decision.prediction!.seconds,
        budgetSeconds: 450,
        reason: Reasons.OfflineCapabilityWanted,
        inputs: plan.migrations[0]!.inputs,
        attempt: 1,
        failuresBefore: 0,
        targetFailuresBefore: 0,
        predictedBytes: decision.prediction!.bytes,
        predictedBandwidthBytesPerSecond: 12.5e6,
        link: { node: 'pc-1', measuredBandwidthBytesPerSecond: 12.5e6, correction: 1 },
      },
    ]);
    expect(decision.rejected).to.deep.equal([]);
  });

  const client = (change: Parameters<typeof mapNode>[2]) => (w: World) => mapNode(w, 'pc-1', change);
  const theVm = (change: Parameters<typeof mapVms>[1]) => (w: World) => mapVms(w, change);

  // [reason, expected action, what changed, change]
  const rows: [Reason, Action, string, (w: World) => World][] = [
    // The VM itself.
    [Reasons.NotRunning, 'Blocked', 'the VMI is still Scheduling', theVm((v) => ({ ...v, phase: 'Scheduling' }))],
    [Reasons.NotLiveMigratable, 'Blocked', 'LiveMigratable is False', theVm((v) => ({ ...v, liveMigratable: false, liveMigratableReason: 'DisksNotLiveMigratable' }))],
    [Reasons.Migrating, 'Wait', 'the VMI reports an open migration', theVm((v) => ({ ...v, migrating: true }))],
    [Reasons.Migrating, 'Wait', 'an open migration of the VM is in flight', (w) => ({ ...w, inFlight: [{ vmKey: 'lab/vm-1', sourceNode: 'home-1', targetNode: 'pc-1' }] })],
    [Reasons.NotOfflineCapable, 'Blocked', 'a volume is a PVC (network storage)', theVm((v) => ({ ...v, volumeKinds: ['containerDisk', 'persistentVolumeClaim'] }))],
    [Reasons.MigrationSettingsNotApplied, 'Blocked', "another MigrationPolicy would override the placement's settings", theVm((v) => ({ ...v, settingsNotApplied: 'KubeVirt would migrate it with MigrationPolicy gold' }))],
    [Reasons.Cooldown, 'Wait', 'it moved a minute ago (cooldown 10 m)', theVm((v) => ({ ...v, moves: { count: 1, lastMoveAtMs: NOW - 60_000 } }))],
    [Reasons.ClientOffline, 'Blocked', 'its client is NotReady (the VM runs offline)', (w) => mapVms(mapNode(w, 'pc-1', (n) => ({ ...n, ready: false })), (v) => ({ ...v, nodeName: 'pc-1' }))],
    [Reasons.NodeNotReady, 'Blocked', 'its home node is NotReady', (w) => mapNode(w, 'home-1', (n) => ({ ...n, ready: false }))],
    [Reasons.NoClientNodes, 'Stay', 'the placement selects no client', client((n) => ({ ...n, clientFor: [] }))],
    [Reasons.NotBoundClient, 'Stay', 'it is bound to a node that is not a client', theVm((v) => ({ ...v, boundClient: 'pc-99' }))],
    // The client node.
    [Reasons.NodeNotReady, 'Stay', 'the client is NotReady', client((n) => ({ ...n, ready: false }))],
    [Reasons.ClientLeaving, 'Stay', 'the client announced its departure', client((n) => ({ ...n, leaving: { departureAtMs: NOW + 8 * 3600_000 } }))],
    [Reasons.NodeUnschedulable, 'Stay', 'the client is cordoned', client((n) => ({ ...n, unschedulable: true }))],
    [Reasons.NodeTainted, 'Stay', 'the client has a NoSchedule taint', client((n) => ({ ...n, taints: [{ key: 'dedicated', value: 'exam', effect: 'NoSchedule' }] }))],
    [Reasons.NodeTainted, 'Stay', 'the client has a NoExecute taint', client((n) => ({ ...n, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }))],
    [Reasons.KubevirtNotSchedulable, 'Stay', 'kubevirt.io/schedulable is false on the client', client((n) => ({ ...n, labels: { ...n.labels, [NodeLabels.kubevirtSchedulable]: 'false' } }))],
    [Reasons.NoLinkData, 'Stay', "the client's link was never measured", client(({ link: _link, ...n }) => n)],
    [Reasons.StaleLinkData, 'Stay', 'the link measurement is older than linkMaxAge', client((n) => ({ ...n, link: { ...n.link!, measuredAtMs: NOW - 601_000 } }))],
    [Reasons.BandwidthBelowThreshold, 'Stay', 'the link is 2 MB/s, below the 2.5 MB/s minimum', client((n) => ({ ...n, link: { ...n.link!, bandwidthBytesPerSecond: 2 * MB } }))],
    [Reasons.BandwidthBelowThreshold, 'Stay', 'a 2 MB/s migration bandwidth limit caps the link', (w) => ({ ...w, policy: withMigration(w.policy, { bandwidthLimitBytesPerSecond: 2 * MB }) })],
    [Reasons.NoBenefit, 'Stay', "only a latency trigger, and the client's rtt is fine", (w) => ({ ...w, policy: { ...w.policy, triggers: { offlineCapabilityWanted: false, cloudRttAboveMs: 40 } } })],
    [Reasons.ArchitectureMismatch, 'Stay', 'the client is arm64', client((n) => ({ ...n, labels: { ...n.labels, [NodeLabels.arch]: 'arm64' } }))],
    [Reasons.CPUVendorMismatch, 'Stay', 'the client is AMD', client((n) => ({ ...n, labels: intelLabels({ [`${NodeLabels.cpuVendorPrefix}Intel`]: 'false', [`${NodeLabels.cpuVendorPrefix}AMD`]: 'true' }) }))],
    [Reasons.CPUModelUnsupported, 'Stay', "the VM's named model is not usable on the client", theVm((v) => ({ ...v, cpu: { model: 'Icelake-Server', requiredFeatures: [] } }))],
    [Reasons.CPUFeatureMissing, 'Stay', 'the VM requires a feature the client lacks', theVm((v) => ({ ...v, cpu: { model: 'Skylake-Client-IBRS', requiredFeatures: ['avx512f'] } }))],
    [Reasons.HostModelUnsupported, 'Stay', "the client does not know the source's host model", client((n) => ({ ...n, labels: intelLabels({ [`${NodeLabels.cpuModelMigrationPrefix}Cascadelake-Server`]: 'false' }) }))],
    [Reasons.HostModelUnsupported, 'Stay', "the client lacks a feature the source's host model requires", client((n) => ({ ...n, labels: intelLabels({ [`${NodeLabels.cpuFeaturePrefix}invtsc`]: 'false' }) }))],
    [Reasons.InsufficientMemory, 'Stay', 'the client has 2 GiB free for a 2.3 GiB launcher', client((n) => ({ ...n, requested: { cpuMillis: 0, memoryBytes: 14 * GiB } }))],
    [Reasons.InsufficientCPU, 'Stay', 'the client has 0.5 cores free for a 1-core launcher', client((n) => ({ ...n, requested: { cpuMillis: 3500, memoryBytes: 0 } }))],
    // The cost model.
    [Reasons.DirtyRateTooHigh, 'Stay', 'the VM dirties 7 MB/s over a 12.5 MB/s link (ratio 0.56 > 0.5)', theVm((v) => ({ ...v, dirtyRate: { input: { kind: 'constant', bytesPerSecond: 7 * MB }, confidence: 'measured' } }))],
    [
      Reasons.WouldNotConverge,
      'Stay',
      'a hot set is rewritten faster than the link drains it',
      (w) =>
        mapVms({ ...w, policy: withThresholds(w.policy, { maxDirtyRateRatio: 1 }) }, (v) => ({
          ...v,
          // A 12 MB hot set rewritten at 100 MB/s: every pass finds it all dirty again.
          dirtyRate: { input: { kind: 'curve', curve: { hotSetBytes: 12e6, hotWriteBytesPerSecond: 100e6, coldBytesPerSecond: 0 } }, confidence: 'measured' },
        })),
    ],
    [Reasons.KubevirtWouldAbort, 'Stay', "KubeVirt's completion budget is 1 s per GiB", (w) => ({ ...w, policy: withMigration(w.policy, { completionTimeoutPerGiB: 1 }) })],
    [Reasons.PredictedTimeTooLong, 'Stay', 'the move may take at most 60 s', (w) => ({ ...w, policy: withThresholds(w.policy, { maxPredictedSeconds: 60 }) })],
    [Reasons.DowntimeTooHigh, 'Stay', 'the downtime may be at most 5 ms', (w) => ({ ...w, policy: withThresholds(w.policy, { maxDowntimeMs: 5 }) })],
    [
      Reasons.CostExceedsBenefit,
      'Stay',
      'a barely met latency trigger against a slow move to a busy client',
      // A latency trigger only just met (benefit ~0.5) against a slow move to a busy client.
      (w) =>
        mapNode(
          { ...w, policy: withThresholds({ ...w.policy, triggers: { offlineCapabilityWanted: false, cloudRttAboveMs: 19.5 } }, { maxPredictedSeconds: 200 }) },
          'pc-1',
          (n) => ({ ...n, requested: { cpuMillis: 2500, memoryBytes: 13 * GiB } }),
        ),
    ],
    // The limits.
    [Reasons.ConcurrencyLimit, 'Wait', 'the cluster has 5 open migrations', (w) => ({ ...w, inFlight: [1, 2, 3, 4, 5].map((i) => ({ vmKey: `other/vm-${i}`, sourceNode: `x-${i}` })) })],
    [Reasons.ConcurrencyLimit, 'Wait', 'the home node has 2 outbound migrations', (w) => ({ ...w, inFlight: [1, 2].map((i) => ({ vmKey: `other/vm-${i}`, sourceNode: 'home-1' })) })],
    [Reasons.ConcurrencyLimit, 'Wait', 'the placement has 3 open migrations', (w) => ({ ...w, inFlight: [1, 2, 3].map((i) => ({ vmKey: `lab/x-${i}`, placementKey: PLACEMENT, sourceNode: `h-${i}` })) })],
    [Reasons.ConcurrencyLimit, 'Wait', 'the client already receives a migration', (w) => ({ ...w, inFlight: [{ vmKey: 'other/vm', sourceNode: 'x', targetNode: 'pc-1' }] })],
  ];

  for (const [reason, action, what, change] of rows) {
    it(`${action} ${reason} when ${what}`, () => {
      const { plan, decision } = decide(change(goodWorld()));
      expect(decision, decision.message).to.include({ action, reason });
      expect(decision.message).to.be.a('string').and.not.be.empty;
      if (action !== 'MoveToClient' && action !== 'ReturnHome') expect(plan.migrations).to.deep.equal([]);
    });
  }

  it('lists the rejected client with its reason and counts it, for status and metrics', () => {
    const { plan, decision } = decide(mapNode(goodWorld(), 'pc-1', (n) => ({ ...n, unschedulable: true })));
    expect(decision.rejected).to.deep.equal([{ node: 'pc-1', reason: Reasons.NodeUnschedulable }]);
    expect(decision.rejectedCounts).to.deep.equal({ NodeUnschedulable: 1 });
    expect(plan.rejectionsByReason).to.deep.equal({ NodeUnschedulable: 1 });
  });

  it('ignores PreferNoSchedule taints', () => {
    const { decision } = decide(mapNode(goodWorld(), 'pc-1', (n) => ({ ...n, taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] })));
    expect(decision.action).to.equal('MoveToClient');
  });

  it('reports the rejection that got furthest when several clients fail differently', () => {
    const w = goodWorld();
    w.nodes.push(clientNode('pc-2', { unschedulable: true }), clientNode('pc-3', { ready: false }));
    const { decision } = decide({ ...w, policy: withThresholds(w.policy, { maxPredictedSeconds: 60 }) });
    expect(decision).to.include({ action: 'Stay', reason: Reasons.PredictedTimeTooLong });
    expect(decision.rejectedCounts).to.deep.equal({ PredictedTimeTooLong: 1, NodeUnschedulable: 1, NodeNotReady: 1 });
    expect(decision.rejected.map((r) => r.node)).to.deep.equal(['pc-1', 'pc-2', 'pc-3']);
  });
});
