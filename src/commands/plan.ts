/**
 * `offline-first plan`: what the operator would do right now, read-only. It lists placements,
 * VMIs, migrations and nodes once, builds the plan input with the operator's own gatherer, runs
 * the planner and prints every decision with its reason. It never writes to the cluster.
 */
import { describeInputProblem, gather } from '../observation/gather.js';
import { RecordingActuator } from '../actuation/actuator.js';
import { planPlacements, type Decision, type Plan } from '../domain/placement/index.js';
import { objectKey, type KubeObject } from '../kube/objects.js';
import { formatBytes, formatDuration } from '../domain/units.js';
import { KubeClient } from '../kube/client.js';
import { checkApis, servedOptionalResources } from '../kube/discovery.js';
import type { KubeVirt, MigrationPolicy, VirtualMachineInstance, VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import type { NodeLink } from '../kube/node-link.js';
import type { Node } from '../kube/node.js';
import type { OfflineFirstPlacement } from '../kube/placement.js';
import { Resources } from '../kube/resources.js';
import { parseCommandFlags, type FlagSpecs } from './flags.js';

const USAGE = `Usage: offline-first plan [--kubeconfig PATH] [--namespace NS] [--json]

Reads the cluster once (placements, VMIs, migrations, nodes), plans every placement together as the
operator does, and prints what it would do now and why: one row per VM, then the migrations it
would create (only Enforce placements create them). Read-only: nothing is written.`;

const specs: FlagSpecs = {
  kubeconfig: { kind: 'string', value: 'PATH', help: 'kubeconfig to use (default: KUBECONFIG, ~/.kube/config, or in-cluster)' },
  namespace: { kind: 'string', value: 'NS', help: 'show only the VMs of this namespace (planning still covers all)' },
  json: { kind: 'boolean', help: 'print one JSON document instead of tables' },
  help: { kind: 'boolean', help: 'show this help' },
};

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function predicted(d: Decision): string {
  const p = d.prediction;
  if (!p) return '-';
  if (!p.converges) return 'never converges';
  if (!p.completes) return `aborted at ${formatDuration(p.seconds * 1000)}`;
  // Bytes sent in decimal units, as every decision message says them.
  return `${formatDuration(p.seconds * 1000)}, ${formatBytes(p.bytes, 'decimal')}`;
}

function countBy<T>(items: readonly T[], key: (t: T) => string): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
}

export async function run(args: readonly string[]): Promise<number> {
  const flags = parseCommandFlags(args, specs, USAGE);
  if (!flags) return 0;
  const client = KubeClient.load(flags.strings.get('kubeconfig'));
  await checkApis(client);
  const [placements, vmis, migrations, nodes] = await Promise.all([
    client.listAll<OfflineFirstPlacement>(Resources.placement),
    client.listAll<VirtualMachineInstance>(Resources.vmi),
    client.listAll<VirtualMachineInstanceMigration>(Resources.migration),
    client.listAll<Node>(Resources.node),
  ]);
  // KubeVirt's migration settings, where their resources are served (KubeVirt's defaults otherwise).
  const served = await servedOptionalResources(client, [Resources.kubevirt, Resources.migrationPolicy, Resources.nodeLink]);
  const [kubevirt, migrationPolicies, namespaces, nodeLinks] = await Promise.all([
    served.has(Resources.kubevirt.plural) ? client.listAll<KubeVirt>(Resources.kubevirt) : undefined,
    served.has(Resources.migrationPolicy.plural) ? client.listAll<MigrationPolicy>(Resources.migrationPolicy) : undefined,
    client.listAll<KubeObject>(Resources.namespace),
    served.has(Resources.nodeLink.plural) ? client.listAll<NodeLink>(Resources.nodeLink) : undefined,
  ]);
  const nowMs = Date.now();
  const g = gather({
    placements: placements.items,
    vmis: vmis.items,
    migrations: migrations.items,
    nodes: nodes.items,
    ...(kubevirt ? { kubevirt: kubevirt.items } : {}),
    ...(migrationPolicies ? { migrationPolicies: migrationPolicies.items } : {}),
    migrationPoliciesServed: migrationPolicies !== undefined,
    ...(nodeLinks ? { nodeLinks: nodeLinks.items } : {}),
    namespaces: namespaces.items,
    nowMs,
  });
  const plan = planPlacements(g.input);
  // The operator's write seam as a dry run: the migrations it would create, by the names it would use.
  const dryRun = new RecordingActuator();
  const vmiByKey = new Map(vmis.items.map((v) => [objectKey(v), v]));
  const names = new Map<string, string>();
  for (const m of plan.migrations) {
    const vmi = vmiByKey.get(m.vmKey);
    const outcome = vmi ? await dryRun.startMigration(vmi, m) : undefined;
    if (outcome && outcome.kind !== 'refused') names.set(m.vmKey, outcome.migration.metadata.name!);
  }
  const ns = flags.strings.get('namespace');
  const inScope = (key: string): boolean => ns === undefined || key.startsWith(`${ns}/`);
  const mode = (placementKey: string): string => g.placements.get(placementKey)?.policy.mode ?? 'Recommend';

  if (flags.booleans.has('json')) {
    process.stdout.write(`${JSON.stringify(planDocument(plan, g, nowMs, inScope, mode, names), (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
    return 0;
  }
  const decisions = plan.decisions.filter((d) => inScope(d.vmKey));
  const out: string[] = [];
  out.push(`${g.placements.size} placement${g.placements.size === 1 ? '' : 's'}, ${g.input.vms.length} selected VMs, ${g.input.nodes.length} nodes, ${g.input.inFlight.length} open migrations; planned at ${new Date(nowMs).toISOString()}`);
  for (const p of g.problems) out.push(`problem: ${p.placementKey}: ${p.reason}: ${p.message}`);
  if (decisions.length === 0) out.push('\nNo VM is selected by a placement.');
  else {
    out.push('');
    out.push(
      table(
        ['VM', 'PLACEMENT', 'NODE', 'ACTION', 'TARGET', 'REASON', 'PREDICTED', 'MESSAGE'],
        decisions.map((d) => [d.vmKey, `${d.placementKey} (${mode(d.placementKey)})`, d.currentNode || '-', d.action, d.desiredNode ?? '-', d.reason, predicted(d), d.message]),
      ),
    );
    out.push(`\nDecisions: ${countBy(decisions, (d) => d.action)}.`);
  }
  const moves = plan.migrations.filter((m) => inScope(m.vmKey));
  if (moves.length > 0) {
    out.push('\nMigrations the operator would start now:');
    for (const m of moves) {
      const acts = mode(m.placementKey) === 'Enforce' ? `creates ${names.get(m.vmKey) ?? 'it'}` : 'only recommends (Recommend mode)';
      out.push(`  ${m.vmKey}: ${m.sourceNode} -> ${m.targetNode} (${m.direction}, ${m.reason}, predicted ${formatDuration(m.predictedSeconds * 1000)}); the operator ${acts}`);
    }
  } else out.push('\nNo migration would start now.');
  if (plan.requeueAfterMs !== undefined) out.push(`Something changes by itself in ${formatDuration(plan.requeueAfterMs)} (a cooldown ends or a return falls due).`);
  const inputErrors = [...g.inputErrors.map(describeInputProblem), ...plan.invalidInputs.map((x) => `${x.kind} ${x.key}: ${x.message}`)];
  if (inputErrors.length > 0) out.push(`\nInput errors (treated as missing data):\n${inputErrors.map((e) => `  ${e}`).join('\n')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

function planDocument(plan: Plan, g: ReturnType<typeof gather>, nowMs: number, inScope: (key: string) => boolean, mode: (key: string) => string, names: ReadonlyMap<string, string>): unknown {
  return {
    plannedAt: new Date(nowMs).toISOString(),
    placements: [...g.placements.values()].map(({ policy }) => ({ key: policy.key, mode: policy.mode })),
    problems: g.problems,
    inputErrors: [...g.inputErrors.map(describeInputProblem), ...plan.invalidInputs.map((x) => `${x.kind} ${x.key}: ${x.message}`)],
    decisions: plan.decisions.filter((d) => inScope(d.vmKey)),
    migrations: plan.migrations.filter((m) => inScope(m.vmKey)).map((m) => ({ ...m, name: names.get(m.vmKey), wouldCreate: mode(m.placementKey) === 'Enforce' })),
    rejectionsByReason: plan.rejectionsByReason,
    ...(plan.requeueAfterMs !== undefined ? { requeueAfterMs: plan.requeueAfterMs } : {}),
  };
}
