/**
 * Which nodes can take a VM's CPU, following how KubeVirt builds a migration target's node selector
 * (kubevirt-api.md §4, migration.go and nodeselectorrenderer.go):
 * - every launcher pod: `kubernetes.io/arch` of the VM, and a `cpu-feature` label for each feature
 *   the VM requires (the renderer adds these whatever the model);
 * - a named model: `cpu-model.node.kubevirt.io/<Model>`;
 * - host-model: `cpu-model-migration.node.kubevirt.io/<source host model>` plus a `cpu-feature` label
 *   for every `host-model-required-features` label of the source (copied unchanged to later
 *   migrations, hence VmCpu.inheritedHostModel);
 * - host-passthrough: nothing more; compatibility is the user's problem;
 * - every target since KubeVirt 1.8: the source's `cpu-vendor` label, so never Intel ↔ AMD.
 */
import { hasTrueLabel, NodeLabels, type SourceCpuFacts } from './node-labels.js';
import { Reasons, type RejectionReason } from './reasons.js';
import type { VmCpu } from './types.js';

export const HOST_MODEL = 'host-model';
export const HOST_PASSTHROUGH = 'host-passthrough';

/** The labels a target must carry; equal requirements have equal keys. */
export interface CpuRequirement {
  readonly key: string;
  readonly arch?: string;
  readonly vendor?: string;
  /** Named model: the `cpu-model` label. */
  readonly model?: string;
  /** host-model: the `cpu-model-migration` label. */
  readonly migrationModel?: string;
  /** host-model: the source's required features. */
  readonly hostModelFeatures: readonly string[];
  /** The VM's own required features. */
  readonly vmFeatures: readonly string[];
}

export type CpuRequirementResult =
  | { readonly ok: true; readonly requirement: CpuRequirement }
  | { readonly ok: false; readonly reason: RejectionReason; readonly message: string };

export function cpuRequirement(cpu: VmCpu, source: SourceCpuFacts): CpuRequirementResult {
  const vmFeatures = [...new Set(cpu.requiredFeatures)].sort();
  let model: string | undefined;
  let migrationModel: string | undefined;
  let hostModelFeatures: readonly string[] = [];
  if (cpu.model === HOST_MODEL) {
    const inherited = cpu.inheritedHostModel;
    migrationModel = inherited?.model ?? source.hostModel;
    if (migrationModel === undefined) {
      return {
        ok: false,
        reason: Reasons.HostModelUnsupported,
        message: 'the source node has no host-model CPU label, so KubeVirt cannot build a host-model migration target',
      };
    }
    hostModelFeatures = [...new Set(inherited ? inherited.requiredFeatures : source.hostModelRequiredFeatures)].sort();
  } else if (cpu.model !== HOST_PASSTHROUGH) {
    model = cpu.model;
  }
  const key = [source.arch, source.vendor, model, migrationModel, hostModelFeatures.join(','), vmFeatures.join(',')].join('\u0000');
  return {
    ok: true,
    requirement: {
      key,
      ...(source.arch !== undefined ? { arch: source.arch } : {}),
      ...(source.vendor !== undefined ? { vendor: source.vendor } : {}),
      ...(model !== undefined ? { model } : {}),
      ...(migrationModel !== undefined ? { migrationModel } : {}),
      hostModelFeatures,
      vmFeatures,
    },
  };
}

/** The first CPU rule a target node breaks, or undefined when it can run the VM. */
export function cpuRejection(requirement: CpuRequirement, targetLabels: Readonly<Record<string, string>>): RejectionReason | undefined {
  if (requirement.arch !== undefined && targetLabels[NodeLabels.arch] !== requirement.arch) return Reasons.ArchitectureMismatch;
  if (requirement.vendor !== undefined && !hasTrueLabel(targetLabels, NodeLabels.cpuVendorPrefix + requirement.vendor)) {
    return Reasons.CPUVendorMismatch;
  }
  if (requirement.model !== undefined && !hasTrueLabel(targetLabels, NodeLabels.cpuModelPrefix + requirement.model)) {
    return Reasons.CPUModelUnsupported;
  }
  if (requirement.migrationModel !== undefined) {
    if (!hasTrueLabel(targetLabels, NodeLabels.cpuModelMigrationPrefix + requirement.migrationModel)) return Reasons.HostModelUnsupported;
    for (const f of requirement.hostModelFeatures) {
      if (!hasTrueLabel(targetLabels, NodeLabels.cpuFeaturePrefix + f)) return Reasons.HostModelUnsupported;
    }
  }
  for (const f of requirement.vmFeatures) {
    if (!hasTrueLabel(targetLabels, NodeLabels.cpuFeaturePrefix + f)) return Reasons.CPUFeatureMissing;
  }
  return undefined;
}
