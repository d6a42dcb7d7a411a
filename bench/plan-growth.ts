/**
 * How the planner's time grows with the cluster (issue: "the planner's time measured up to 50k VMIs
 * x 5k nodes and its growth stated"): planPlacements on the scenarios of bench/plan-world.ts, scaled
 * from 1,000 VMs x 100 clients to 50,000 VMs x 5,000 clients, 10 VMs per client and 20 homes per
 * 1,000 clients (nodes = clients + homes); placements and shares (on clients, leaving, bad links,
 * AMD) stay as in the scenario, so "mixed" keeps 10 placements, each with more clients.
 *
 *   npm run build && node_modules/.bin/node --expose-gc dist/bench/plan-growth.js [runs, default 5] [scenario ...]
 *
 * Scenarios by key (default: bound unbound mixed): bound, unbound, mixed, rebalancing, mixed-bound.
 * Per size: p50 and max of the runs after one warm-up, ms per 1,000 VMs, and the growth exponent
 * from the size before, log(t2/t1)/log(n2/n1) on the p50s (1: linear, 2: quadratic); per scenario a
 * least-squares exponent over all sizes. The V8 heap is read on one more plan, outside the timed
 * runs: the world's heap, the highest heap used during the plan above it and what the plan
 * allocated (from the GCs it caused), and, with --expose-gc, what its result keeps.
 */
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { planPlacements } from '../src/domain/placement/index.js';
import { machineLine } from './machine.js';
import { quantile, scenarios, timedPlans, world, type Scenario, type Shape } from './plan-world.js';

/** Clients at each size; VMs are 10 per client, homes 20 per 1,000 clients. */
const CLIENT_COUNTS = [100, 500, 1000, 2000, 5000];
const VMS_PER_CLIENT = 10;
const CLIENTS_PER_HOME = 50;
const MB = 1e6;

interface Measured {
  readonly shape: Shape;
  readonly p50Ms: number;
  readonly maxMs: number;
  readonly migrations: number;
  readonly heap: PlanHeap;
}

interface PlanHeap {
  /** Heap used by the world before the plan (after a GC when exposed). */
  readonly worldBytes: number;
  /** Highest heap used during the plan, above the world. */
  readonly peakAboveWorldBytes: number;
  /** Everything the plan allocated: what its GCs freed plus what was left at its end. */
  readonly allocatedBytes: number;
  /** What is still used after the plan and a GC while its result is held (undefined without --expose-gc). */
  readonly resultBytes: number | undefined;
}

const gc = (globalThis as { gc?: () => void }).gc;
const heapUsed = (): number => getHeapStatistics().used_heap_size;

function scaled(shape: Shape, clients: number): Shape {
  return { ...shape, clients, homes: clients / CLIENTS_PER_HOME, vms: clients * VMS_PER_CLIENT };
}

/** One more plan of the world, watched by a GC profiler: not timed, its heap figures only. */
function planHeap(input: Parameters<typeof planPlacements>[0]): PlanHeap {
  gc?.();
  const worldBytes = heapUsed();
  const profiler = new GCProfiler();
  profiler.start();
  const plan = planPlacements(input);
  const endBytes = heapUsed();
  const gcs = profiler.stop()?.statistics ?? [];
  const before = gcs.map((g) => g.beforeGC.heapStatistics.usedHeapSize);
  const freed = gcs.reduce((sum, g) => sum + Math.max(0, g.beforeGC.heapStatistics.usedHeapSize - g.afterGC.heapStatistics.usedHeapSize), 0);
  gc?.();
  const resultBytes = gc ? heapUsed() - worldBytes : undefined;
  if (plan.decisions.length !== input.vms.length) throw new Error('a plan without a decision per VM');
  return { worldBytes, peakAboveWorldBytes: Math.max(endBytes, ...before) - worldBytes, allocatedBytes: freed + endBytes - worldBytes, resultBytes };
}

function measure(shape: Shape, runs: number): Measured {
  const input = world(shape, 7);
  const { first, times } = timedPlans(input, runs);
  return { shape, p50Ms: quantile(times, 0.5), maxMs: times[times.length - 1]!, migrations: first.migrations.length, heap: planHeap(input) };
}

const exponent = (t1: number, t2: number, n1: number, n2: number): number => Math.log(t2 / t1) / Math.log(n2 / n1);

/** The least-squares slope of log(time) over log(VMs): the growth exponent over all sizes. */
function fittedExponent(rows: readonly Measured[]): number {
  const xs = rows.map((r) => Math.log(r.shape.vms));
  const ys = rows.map((r) => Math.log(r.p50Ms));
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const mx = mean(xs);
  const my = mean(ys);
  return xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
}

function growthInWords(e: number): string {
  if (e < 0.9) return 'sub-linear';
  if (e <= 1.15) return 'about linear';
  if (e <= 1.3) return 'slightly super-linear';
  return e < 1.8 ? 'super-linear' : 'about quadratic or worse';
}

const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;

const COLUMNS = ['VMs', 'clients', 'nodes', 'p50 ms', 'max ms', 'ms/1k VMs', 'exponent', 'migrations', 'heap: world', 'peak in plan', 'allocated', 'result'];
const line = (cells: readonly string[]): string => `  ${cells.map((c, i) => c.padStart(i < 3 ? 7 : 12)).join(' ')}`;

function row(r: Measured, prev: Measured | undefined): string {
  const { heap, shape } = r;
  return line([
    String(shape.vms),
    String(shape.clients),
    String(shape.clients + shape.homes),
    r.p50Ms.toFixed(1),
    r.maxMs.toFixed(1),
    ((r.p50Ms * 1000) / shape.vms).toFixed(2),
    prev ? exponent(prev.p50Ms, r.p50Ms, prev.shape.vms, shape.vms).toFixed(2) : '',
    String(r.migrations),
    mb(heap.worldBytes),
    `+${mb(heap.peakAboveWorldBytes)}`,
    mb(heap.allocatedBytes),
    heap.resultBytes === undefined ? 'n/a' : mb(heap.resultBytes),
  ]);
}

/** Measures and prints one scenario at every size, then its growth. */
function growth(scenario: Scenario, runs: number): void {
  console.log(`\n${scenario.title}; scaled to each size:`);
  console.log(line(COLUMNS));
  const rows: Measured[] = [];
  for (const clients of CLIENT_COUNTS) {
    rows.push(measure(scaled(scenario.shape, clients), runs));
    console.log(row(rows[rows.length - 1]!, rows[rows.length - 2]));
  }
  const fitted = fittedExponent(rows);
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  console.log(
    `  growth: ${growthInWords(fitted)}, exponent ${fitted.toFixed(2)} (least squares over all sizes); ` +
      `${first.shape.vms} → ${last.shape.vms} VMs: time x${(last.p50Ms / first.p50Ms).toFixed(1)} for x${last.shape.vms / first.shape.vms} VMs`,
  );
}

function main(): void {
  const args = process.argv.slice(2);
  const runs = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 5;
  const keys = args.length ? args : ['bound', 'unbound', 'mixed'];
  const chosen = keys.map((k) => scenarios.find((s) => s.key === k) ?? ((): never => {
    throw new Error(`no scenario "${k}"; scenarios: ${scenarios.map((s) => s.key).join(', ')}`);
  })());
  console.log(`planPlacements growth: ${runs} runs per size after one warm-up; ${VMS_PER_CLIENT} VMs per client, ${1000 / CLIENTS_PER_HOME} homes per 1,000 clients`);
  console.log(machineLine());
  if (!gc) console.log('(run with --expose-gc for the heap kept by a plan\'s result)');
  for (const scenario of chosen) growth(scenario, runs);
  console.log(`\n${machineLine()}`);
}

main();
