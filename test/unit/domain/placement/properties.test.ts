/**
 * Properties of the planner over seeded pseudo-random worlds, and the guarantees the controller
 * relies on: determinism, and the same plan in Recommend mode as in Enforce mode.
 */
import { expect } from 'chai';
import { planPlacements, type NodeView, type PlanInput, type VmView } from '../../../../src/domain/placement/index.js';
import { clientNode, GiB, homeNode, MB, NOW, PLACEMENT, planInput, policy, seeded, vm, type World } from './fixtures.js';
import { expectWithinCapacity, expectWithinLimits } from './plan-checks.js';

const logUniform = (rand: () => number, lo: number, hi: number): number => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));

function randomVm(rand: () => number, name: string, nodeName: string): VmView {
  const memoryBytes = Math.round(logUniform(rand, 0.5 * GiB, 8 * GiB));
  const rate = logUniform(rand, 1e4, 20 * MB);
  return vm(name, {
    nodeName,
    memoryBytes,
    requests: { cpuMillis: Math.round(logUniform(rand, 250, 4000)), memoryBytes: memoryBytes * 1.1 + 200 * 2 ** 20 },
    dirtyRate:
      rand() < 0.5
        ? { input: { kind: 'constant', bytesPerSecond: rate }, confidence: rand() < 0.3 ? 'fallback' : 'measured' }
        : { input: { kind: 'curve', curve: { hotSetBytes: logUniform(rand, 1e6, memoryBytes / 2), hotWriteBytesPerSecond: rate * 4, coldBytesPerSecond: rate / 10 } }, confidence: 'measured' },
  });
}

/** A random classroom: homes, clients with random links and load, VMs at home and on clients. */
function randomWorld(seed: number): PlanInput {
  const rand = seeded(seed);
  const homes = Array.from({ length: 1 + Math.floor(rand() * 3) }, (_, i) =>
    homeNode(`home-${i}`, { requested: { cpuMillis: Math.round(rand() * 30_000), memoryBytes: rand() * 120 * GiB } }),
  );
  const clients: NodeView[] = Array.from({ length: 2 + Math.floor(rand() * 12) }, (_, i) =>
    clientNode(`pc-${i}`, {
      allocatable: { cpuMillis: 4000, memoryBytes: 16 * GiB },
      requested: { cpuMillis: Math.round(rand() * 4000), memoryBytes: rand() * 16 * GiB },
      link: { bandwidthBytesPerSecond: logUniform(rand, 1 * MB, 125 * MB), rttMs: logUniform(rand, 1, 200), measuredAtMs: NOW - rand() * 900_000 },
      ...(rand() < 0.1 ? { leaving: rand() < 0.5 ? {} : { departureAtMs: NOW + rand() * 3600_000 } } : {}),
      ...(rand() < 0.05 ? { ready: false } : {}),
    }),
  );
  const nodes = [...homes, ...clients];
  const vms = Array.from({ length: 5 + Math.floor(rand() * 60) }, (_, i) =>
    randomVm(rand, `vm-${i}`, rand() < 0.7 ? homes[Math.floor(rand() * homes.length)]!.name : clients[Math.floor(rand() * clients.length)]!.name),
  );
  const inFlight = vms
    .filter(() => rand() < 0.05)
    .map((v) => ({ vmKey: v.key, placementKey: PLACEMENT, sourceNode: v.nodeName, targetNode: clients[Math.floor(rand() * clients.length)]!.name, targetCounted: rand() < 0.5 }));
  const p = policy({
    limits: { maxConcurrentPerPlacement: 1 + Math.floor(rand() * 8), maxConcurrentPerClientNode: 1 + Math.floor(rand() * 3) },
    triggers: rand() < 0.5 ? { offlineCapabilityWanted: true } : { offlineCapabilityWanted: false, cloudRttAboveMs: 30, cloudBandwidthBelowBytesPerSecond: 10 * MB },
    migration: { allowAutoConverge: rand() < 0.3, allowPostCopy: false, downtimeLimitMs: 300, completionTimeoutPerGiB: 150, progressTimeoutSeconds: 150 },
  });
  return {
    nowMs: NOW,
    placements: [p],
    nodes,
    vms: vms.map((v) => (inFlight.some((m) => m.vmKey === v.key) ? { ...v, migrating: true } : v)),
    inFlight,
    clusterLimits: { parallelMigrationsPerCluster: 1 + Math.floor(rand() * 8), parallelOutboundMigrationsPerNode: 1 + Math.floor(rand() * 3) },
  };
}

describe('planPlacements: properties', () => {
  it('never exceeds capacity or a concurrency limit (200 random worlds)', () => {
    let moved = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const input = randomWorld(seed);
      const plan = planPlacements(input);
      expectWithinCapacity(input, plan);
      expectWithinLimits(input, plan);
      moved += plan.migrations.length;
    }
    // The worlds are not all hopeless: the check above saw real moves.
    expect(moved).to.be.greaterThan(100);
  });

  it('gives one decision per VM, and a migration exactly to the decisions that move', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const input = randomWorld(seed);
      const plan = planPlacements(input);
      expect(plan.decisions.map((d) => d.vmKey)).to.deep.equal(input.vms.map((v) => v.key));
      const moving = plan.decisions.filter((d) => d.action === 'MoveToClient' || d.action === 'ReturnHome');
      expect(plan.migrations.map((m) => [m.vmKey, m.targetNode])).to.have.deep.members(moving.map((d) => [d.vmKey, d.desiredNode]));
      for (const d of plan.decisions) expect(d.rejected.length).to.be.at.most(5);
    }
  });

  it('never removes a client from the candidates when its bandwidth grows (300 random VMs)', () => {
    const rand = seeded(42);
    let kept = 0;
    for (let i = 0; i < 300; i++) {
      const bandwidth = logUniform(rand, 1 * MB, 125 * MB);
      const w: World = {
        policy: policy({
          thresholds: { minBandwidthBytesPerSecond: 2 * MB, maxPredictedSeconds: logUniform(rand, 60, 1800), maxDirtyRateRatio: 0.3 + rand() * 0.6, maxDowntimeMs: 400 },
        }),
        nodes: [homeNode(), clientNode('pc-1', { link: { bandwidthBytesPerSecond: bandwidth, rttMs: 20, measuredAtMs: NOW } })],
        vms: [randomVm(rand, 'vm', 'home-1')],
      };
      const before = planPlacements(planInput(w)).decisions[0]!;
      if (before.action !== 'MoveToClient') continue;
      kept++;
      const faster = { ...w, nodes: [w.nodes[0]!, clientNode('pc-1', { link: { bandwidthBytesPerSecond: bandwidth * (1 + rand() * 3), rttMs: 20, measuredAtMs: NOW } })] };
      const after = planPlacements(planInput(faster)).decisions[0]!;
      expect(after.action, `${JSON.stringify(w.vms[0])} at ${bandwidth}`).to.equal('MoveToClient');
      expect(after.prediction!.seconds).to.be.at.most(before.prediction!.seconds);
    }
    expect(kept).to.be.greaterThan(50);
  });

  it('is deterministic: the same input gives the same plan', () => {
    for (let seed = 1; seed <= 30; seed++) {
      expect(planPlacements(randomWorld(seed))).to.deep.equal(planPlacements(randomWorld(seed)));
    }
  });

  it('starts the same migrations whatever the order of VMs and nodes in the input', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const input = randomWorld(seed);
      const shuffled: PlanInput = { ...input, vms: [...input.vms].reverse(), nodes: [...input.nodes].reverse() };
      const sorted = (p: ReturnType<typeof planPlacements>) => [...p.migrations].sort((a, b) => (a.vmKey < b.vmKey ? -1 : 1));
      expect(sorted(planPlacements(shuffled))).to.deep.equal(sorted(planPlacements(input)));
    }
  });

  it('plans the same in Recommend mode as in Enforce mode (the mode is for the controller only)', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const input = randomWorld(seed);
      const recommend: PlanInput = { ...input, placements: input.placements.map((p) => ({ ...p, mode: 'Recommend' as const })) };
      expect(planPlacements(recommend)).to.deep.equal(planPlacements(input));
    }
  });
});
