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
