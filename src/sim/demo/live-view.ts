/**
 * The demo's live view as text, from one read of the cluster: each placement's `placed` and
 * conditions, migrations by phase, VMs per node (data-centre nodes by count, clients as a strip:
 * `#` hosts a VM, `>` one is on its way, `.` empty), and the decisions' reasons.
 */
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import type { OfflineFirstPlacement } from '../../kube/placement.js';
import type { Scenario } from '../scenario/types.js';

export interface LiveSnapshot {
  readonly title: string;
  readonly elapsedMs: number;
  readonly scenario: Scenario;
  readonly placements: readonly OfflineFirstPlacement[];
  readonly migrations: readonly VirtualMachineInstanceMigration[];
  readonly vmis: readonly VirtualMachineInstance[];
  /** What happens next, e.g. when the clients leave. */
  readonly note?: string;
}

function counts(values: readonly string[]): string {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
}

export function renderLiveView(s: LiveSnapshot): string {
  const lines = [`${s.title}  ${Math.round(s.elapsedMs / 1000)} s  (Ctrl-C stops and cleans up)`];
  if (s.note) lines.push(s.note);
  lines.push('');
  for (const p of s.placements) {
    const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
    const vms = p.status?.vms;
    lines.push(
      `placement ${p.metadata.namespace}/${p.metadata.name}: placed ${p.status?.placed ?? '?'}, migrating ${vms?.migrating ?? 0}, running offline ${vms?.runningOffline ?? 0}; Ready ${ready?.status ?? '?'}${ready?.reason ? ` (${ready.reason})` : ''}`,
    );
    lines.push(`  decisions: ${counts((p.status?.decisions ?? []).map((d) => `${d.action}/${d.reason}`))}`);
  }
  lines.push(`migrations: ${counts(s.migrations.map((m) => m.status?.phase || 'New'))}`);
  const open = s.migrations.filter((m) => !isMigrationFinal(m));
  const incoming = new Set(open.map((m) => m.spec.addedNodeSelector?.['kubernetes.io/hostname']).filter((n) => n !== undefined));
  const perNode = new Map<string, number>();
  for (const v of s.vmis) if (v.status?.nodeName) perNode.set(v.status.nodeName, (perNode.get(v.status.nodeName) ?? 0) + 1);
  const cloud = s.scenario.nodes.filter((n) => n.role === 'cloud');
  const clients = s.scenario.nodes.filter((n) => n.role === 'client');
  lines.push(`data centre: ${cloud.map((n) => `${n.name} ${perNode.get(n.name) ?? 0}`).join('  ')}`);
  const strip = clients.map((n) => ((perNode.get(n.name) ?? 0) > 0 ? '#' : incoming.has(n.name) ? '>' : '.')).join('');
  const hosting = clients.filter((n) => (perNode.get(n.name) ?? 0) > 0).length;
  lines.push(`clients:     ${strip}  ${hosting} of ${clients.length} host a VM`);
  return `${lines.join('\n')}\n`;
}
