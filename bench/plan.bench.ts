/**
 * How long a full re-plan takes: 10,000 VMs against 1,000 client nodes (DESIGN.md target: under
 * 1 s on 2 cores). Synthetic worlds from a seeded generator, so every run plans the same input.
 *
 *   npm run build && node dist/bench/plan.bench.js [runs]
 *
 * The scenarios (bound, unbound, mixed, rebalancing, mixed and bound) are in bench/plan-world.ts;
 * bench/plan-growth.ts plans them at 1,000 to 50,000 VMs.
 */
import os from 'node:os';
import { GiB } from '../test/unit/domain/placement/fixtures.js';
import { quantile, scenarios, timedPlans, world } from './plan-world.js';

const runs = Number(process.argv[2] ?? 7);
const cpus = os.cpus();
console.log(`planPlacements benchmark: ${runs} runs per scenario after one warm-up`);
const cores = `${cpus.length} logical cores (os.availableParallelism ${os.availableParallelism()})`;
console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cores}, ${Math.round(os.totalmem() / GiB)} GiB, Node ${process.version}, ${os.platform()} ${os.arch()}`);
for (const { title: name, shape } of scenarios) {
  const input = world(shape, 7);
  const { first, times } = timedPlans(input, runs);
  const actions = new Map<string, number>();
  const reasons = new Map<string, number>();
  for (const d of first.decisions) {
    actions.set(d.action, (actions.get(d.action) ?? 0) + 1);
    reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  }
  const topReasons = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 6);
  const rejected = Object.values(first.rejectionsByReason).reduce((s, n) => s + (n ?? 0), 0);
  console.log(`\n${name}`);
  console.log(`  ${input.vms.length} VMs, ${input.nodes.length} nodes, ${input.placements.length} placements`);
  console.log(`  p50 ${quantile(times, 0.5).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (min ${times[0]!.toFixed(1)} ms)`);
  const actionCounts = [...actions].map(([a, n]) => `${a} ${n}`).join(', ');
  console.log(`  decisions: ${actionCounts}; migrations ${first.migrations.length}; rejected (VM, node) pairs ${rejected}`);
  console.log(`  top reasons: ${topReasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
}
