/**
 * No input value can make planPlacements throw: whole seeded worlds with hostile values (0,
 * negative, NaN, Infinity, huge, missing) in VMs, nodes, links and placements. Every plan comes back
 * with a decision per VM and finite numbers wherever a number is promised; the VMs with good inputs
 * are still planned, and a leaving client with an unusable link still gets its VMs home.
 */
import { expect } from 'chai';
import { planPlacements, Reasons, type NodeView, type PlanInput, type VmView } from '../../../../src/domain/placement/index.js';
import { clientNode, GiB, homeNode, LINK, MB, NOW, PLACEMENT, planInput, policy, seeded, vm } from './fixtures.js';

const HOSTILE: unknown[] = [0, -1, -1e12, NaN, Infinity, -Infinity, 1e308, undefined, null, '12', {}];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** Sets one field (dotted path) of a deep copy to a hostile value. */
function poison<T>(obj: T, path: string, value: unknown): T {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const parts = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const p of parts.slice(0, -1)) {
    if (typeof at[p] !== 'object' || at[p] === null) at[p] = {};
    at = at[p] as Record<string, unknown>;
  }
  at[parts.at(-1)!] = value;
  return copy as T;
}

const VM_FIELDS = [
  'memoryBytes', 'guestUsedBytes', 'blockMigrationDiskBytes', 'budgetDiskBytes', 'requests.cpuMillis', 'requests.memoryBytes',
  'dirtyRate.input.bytesPerSecond', 'dirtyRate.input', 'moves.count', 'moves.lastMoveAtMs', 'cpu', 'volumeKinds', 'requests',
  'failures.consecutive', 'failures.lastFailedAtMs', 'failures.jitter', 'placementKey', 'nodeName', 'phase',
];
const NODE_FIELDS = [
  'link.bandwidthBytesPerSecond', 'link.rttMs', 'link.measuredAtMs', 'allocatable.cpuMillis', 'allocatable.memoryBytes',
  'requested.memoryBytes', 'leaving.departureAtMs', 'labels', 'taints', 'allocatable',
];
const POLICY_FIELDS = ['thresholds.minBandwidthBytesPerSecond', 'thresholds.maxDirtyRateRatio', 'migration.downtimeLimitMs', 'migration.bandwidthLimitBytesPerSecond', 'failureBackoff.baseSeconds', 'cooldown.maxSeconds', 'linkMaxAgeSeconds'];

function hostileWorld(seed: number): { input: PlanInput; poisoned: Set<string> } {
  const rand = seeded(seed);
  const homes = [homeNode('home-1'), homeNode('home-2')];
  const clients: NodeView[] = Array.from({ length: 6 }, (_, i) =>
    clientNode(`pc-${i}`, { link: { bandwidthBytesPerSecond: LINK * (0.2 + rand()), rttMs: 20, measuredAtMs: NOW - 1000 }, ...(i === 5 ? { leaving: {} } : {}) }),
  );
  const vms: VmView[] = Array.from({ length: 12 }, (_, i) =>
    vm(`vm-${i}`, { nodeName: i < 8 ? pick(rand, ['home-1', 'home-2']) : `pc-${i - 6}`, dirtyRate: { input: { kind: 'constant', bytesPerSecond: rand() * 2 * MB }, confidence: 'measured' }, memoryBytes: (1 + Math.floor(rand() * 4)) * GiB }),
  );
  const poisoned = new Set<string>();
  const nodes = [...homes, ...clients].map((n) => {
    if (rand() >= 0.4) return n;
    return poison(n, pick(rand, NODE_FIELDS), pick(rand, HOSTILE));
  });
  const poisonedVms = vms.map((v) => {
    if (rand() >= 0.4) return v;
    poisoned.add(v.key);
    return poison(v, pick(rand, VM_FIELDS), pick(rand, HOSTILE));
  });
  const p = rand() < 0.15 ? poison(policy(), pick(rand, POLICY_FIELDS), pick(rand, HOSTILE)) : policy();
  return { input: { ...planInput({ policy: p, nodes, vms: poisonedVms }), clusterLimits: rand() < 0.2 ? { parallelMigrationsPerCluster: NaN, parallelOutboundMigrationsPerNode: -1 } : { parallelMigrationsPerCluster: 5, parallelOutboundMigrationsPerNode: 2 } }, poisoned };
}

function expectFiniteWherePromised(plan: ReturnType<typeof planPlacements>): void {
  for (const m of plan.migrations) {
    expect(Number.isFinite(m.predictedSeconds), `${m.vmKey} predicted seconds`).to.equal(true);
    expect(m.targetNode, `${m.vmKey} target`).to.be.a('string').and.not.equal('');
  }
  if (plan.requeueAfterMs !== undefined) expect(Number.isFinite(plan.requeueAfterMs), 'requeueAfterMs').to.equal(true);
  for (const d of plan.decisions) {
    if (d.score) for (const x of [d.score.total, d.score.benefit, d.score.cost]) expect(Number.isFinite(x), `${d.vmKey} score`).to.equal(true);
    const p = d.prediction;
    if (p) {
      for (const x of [p.bytes, p.downtimeMs, p.bandwidthBytesPerSecond]) expect(Number.isNaN(x), `${d.vmKey} prediction`).to.equal(false);
      // Only a migration that never ends has an infinite time.
      if (p.completes) expect(Number.isFinite(p.seconds), `${d.vmKey} predicted time`).to.equal(true);
    }
  }
}

describe('planPlacements with hostile input', () => {
  for (let seed = 1; seed <= 300; seed++) {
    it(`plans world ${seed} without throwing, with finite numbers`, () => {
      const { input } = hostileWorld(seed);
      let plan: ReturnType<typeof planPlacements> | undefined;
      expect(() => (plan = planPlacements(input))).not.to.throw();
      expect(plan!.decisions).to.have.length(input.vms.length);
      for (const d of plan!.decisions) expect(d, 'a decision for every VM').to.have.property('action');
      expectFiniteWherePromised(plan!);
    });
  }

  it('leaves out only the VM with unusable inputs, says why, and plans the others', () => {
    const input = planInput({ policy: policy(), nodes: [homeNode(), clientNode()], vms: [vm('bad', { memoryBytes: NaN }), vm('good')] });
    const plan = planPlacements(input);
    expect(plan.decisions[0]).to.include({ action: 'Blocked', reason: Reasons.InvalidInput });
    expect(plan.decisions[0]!.message).to.match(/guest memory: expected bytes > 0, got NaN/);
    expect(plan.decisions[1]).to.include({ action: 'MoveToClient' });
    expect(plan.invalidInputs).to.deep.include({ kind: 'VM', key: 'lab/bad', message: 'guest memory: expected bytes > 0, got NaN; the VM is left out of the plan' });
  });

  it('treats a 0 bit/s link as unmeasured, reports it, and still brings the leaving client\'s VMs home', () => {
    const leavingClient = clientNode('pc-1', { leaving: {}, link: { bandwidthBytesPerSecond: 0, rttMs: 20, measuredAtMs: NOW } });
    const input = planInput({ policy: policy(), nodes: [homeNode(), leavingClient, clientNode('pc-2')], vms: [vm('on-leaver', { nodeName: 'pc-1' }), vm('at-home')] });
    const plan = planPlacements(input);
    expect(plan.decisions[0]).to.include({ action: 'ReturnHome', reason: Reasons.ClientLeaving });
    expect(plan.decisions[0]!.prediction).to.include({ linkConfidence: 'low' });
    expect(plan.decisions[1]).to.include({ action: 'MoveToClient', desiredNode: 'pc-2' });
    expect(plan.invalidInputs[0]).to.deep.include({ kind: 'Node', key: 'pc-1' });
    expect(plan.invalidInputs[0]!.message).to.match(/link bandwidth: expected more than 0 bit\/s/);
  });

  it('blocks the VMs of a VM whose placement is not in the input instead of throwing', () => {
    const input = planInput({ policy: policy(), nodes: [homeNode(), clientNode()], vms: [vm('stray', { placementKey: 'lab/gone' }), vm('good')] });
    const plan = planPlacements(input);
    expect(plan.decisions[0]).to.include({ action: 'Blocked', reason: Reasons.InvalidInput });
    expect(plan.decisions[1]).to.include({ action: 'MoveToClient' });
    expect(PLACEMENT).to.equal('lab/ofp');
  });
});
