/**
 * The node selector KubeVirt gives a migration's target pod (kubevirt-api.md §4), so the simulated
 * KubeVirt refuses targets the real one would: the VMI's own node selector (it wins a key clash
 * with the migration's addedNodeSelector), kubevirt.io/schedulable, the source's architecture, a
 * named CPU model and its required features, and for host-model VMs the source's host model
 * (cpu-model-migration.node.kubevirt.io/<model>) and the features it requires; since KubeVirt 1.8
 * the source's CPU vendor on every target. Simplification: KubeVirt copies a host-model VM's
 * selectors from its launcher pod after the first migration; here they are read off the current
 * source node every time, as the planner reads them.
 */
import { NodeLabels } from '../../domain/placement/index.js';
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../../kube/kubevirt.js';
import type { Node } from '../../kube/node.js';

/** kubelet's label naming the node; the operator pins its migrations with it. */
const HOSTNAME_LABEL = 'kubernetes.io/hostname';

export function migrationTargetSelector(
  m: VirtualMachineInstanceMigration,
  vmi: VirtualMachineInstance,
  sourceLabels: Readonly<Record<string, string>>,
): Record<string, string> {
  const selector: Record<string, string> = { ...m.spec.addedNodeSelector, ...vmi.spec.nodeSelector, [NodeLabels.kubevirtSchedulable]: 'true' };
  const arch = sourceLabels[NodeLabels.arch];
  if (arch) selector[NodeLabels.arch] = arch;
  const cpu = vmi.spec.domain.cpu ?? {};
  const model = cpu.model ?? 'host-model';
  if (model === 'host-model') {
    for (const [key, value] of Object.entries(sourceLabels)) {
      if (value !== 'true') continue;
      if (key.startsWith(NodeLabels.hostModelCpuPrefix)) selector[NodeLabels.cpuModelMigrationPrefix + key.slice(NodeLabels.hostModelCpuPrefix.length)] = 'true';
      if (key.startsWith(NodeLabels.hostModelRequiredFeaturePrefix)) selector[NodeLabels.cpuFeaturePrefix + key.slice(NodeLabels.hostModelRequiredFeaturePrefix.length)] = 'true';
    }
  } else if (model !== 'host-passthrough') {
    selector[NodeLabels.cpuModelPrefix + model] = 'true';
  }
  for (const f of cpu.features ?? []) if (!f.policy || f.policy === 'require') selector[NodeLabels.cpuFeaturePrefix + f.name] = 'true';
  if (!Object.keys(selector).some((k) => k.startsWith(NodeLabels.cpuVendorPrefix))) {
    const vendor = Object.entries(sourceLabels).find(([k, v]) => k.startsWith(NodeLabels.cpuVendorPrefix) && v === 'true');
    if (vendor) selector[vendor[0]] = 'true';
  }
  return selector;
}

/**
 * Why a migration can never be scheduled: its addedNodeSelector pins it to a node by
 * kubernetes.io/hostname and that node exists without the label (kubelet sets it; a Node written
 * by hand may lack it). KubeVirt's target pod would stay Pending until the unschedulable timeout
 * (5 minutes); the simulation fails the migration at once, naming the fix.
 */
export function unschedulableHostnamePin(m: VirtualMachineInstanceMigration, nodes: readonly Node[]): string | undefined {
  const host = m.spec.addedNodeSelector?.[HOSTNAME_LABEL];
  if (host === undefined || nodes.some((n) => n.metadata.labels?.[HOSTNAME_LABEL] === host)) return undefined;
  if (!nodes.some((n) => n.metadata.name === host)) return undefined;
  return (
    `target pod cannot be scheduled: addedNodeSelector pins ${HOSTNAME_LABEL}=${host}, but node ${host} has no such label ` +
    `(kubelet sets it; on a node written by hand: kubectl label node ${host} ${HOSTNAME_LABEL}=${host})`
  );
}
