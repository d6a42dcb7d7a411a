/**
 * The node labels the placement engine reads: Kubernetes' architecture label, virt-handler's
 * schedulable heartbeat and the CPU labels of KubeVirt's node labeller (kubevirt-api.md §4). The
 * labeller's labels carry the value "true"; KubeVirt's selectors match exactly that.
 */
import type { NodeView } from './types.js';

export const NodeLabels = {
  arch: 'kubernetes.io/arch',
  kubevirtSchedulable: 'kubevirt.io/schedulable',
  cpuVendorPrefix: 'cpu-vendor.node.kubevirt.io/',
  cpuModelPrefix: 'cpu-model.node.kubevirt.io/',
  cpuModelMigrationPrefix: 'cpu-model-migration.node.kubevirt.io/',
  hostModelCpuPrefix: 'host-model-cpu.node.kubevirt.io/',
  hostModelRequiredFeaturePrefix: 'host-model-required-features.node.kubevirt.io/',
  cpuFeaturePrefix: 'cpu-feature.node.kubevirt.io/',
} as const;

export function hasTrueLabel(labels: Readonly<Record<string, string>>, key: string): boolean {
  return labels[key] === 'true';
}

/** What a migration's target selector is built from, read off the source node. */
export interface SourceCpuFacts {
  readonly arch?: string;
  readonly vendor?: string;
  /** libvirt's host-model CPU name on the source. */
  readonly hostModel?: string;
  /** Features the source's host-model requires; the target must offer each. */
  readonly hostModelRequiredFeatures: readonly string[];
}

export function sourceCpuFacts(node: NodeView): SourceCpuFacts {
  let vendor: string | undefined;
  let hostModel: string | undefined;
  const hostModelRequiredFeatures: string[] = [];
  for (const [key, value] of Object.entries(node.labels)) {
    if (value !== 'true') continue;
    if (key.startsWith(NodeLabels.cpuVendorPrefix)) vendor = key.slice(NodeLabels.cpuVendorPrefix.length);
    else if (key.startsWith(NodeLabels.hostModelCpuPrefix)) hostModel = key.slice(NodeLabels.hostModelCpuPrefix.length);
    else if (key.startsWith(NodeLabels.hostModelRequiredFeaturePrefix)) {
      hostModelRequiredFeatures.push(key.slice(NodeLabels.hostModelRequiredFeaturePrefix.length));
    }
  }
  const arch = node.labels[NodeLabels.arch];
  return {
    ...(arch !== undefined ? { arch } : {}),
    ...(vendor !== undefined ? { vendor } : {}),
    ...(hostModel !== undefined ? { hostModel } : {}),
    hostModelRequiredFeatures: hostModelRequiredFeatures.sort(),
  };
}
