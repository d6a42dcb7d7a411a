/**
 * The migration settings KubeVirt will really use for a VMI, resolved as virt-controller resolves
 * them: the KubeVirt resource's spec.configuration.migrations (KubeVirt's defaults for what it
 * leaves out), then the one MigrationPolicy that matches the VMI, whose set fields override.
 * Nothing else overrides them.
 *
 * The matching follows kubevirt/kubevirt pkg/virt-controller/watch/migration/migrationpolicy.go
 * (`matchPolicy`, `countMatchingLabels`):
 * - a policy without `selectors` never matches;
 * - every label of virtualMachineInstanceSelector must be on the VMI, and every label of
 *   namespaceSelector on its namespace; the score is the number of matching labels of each;
 * - KubeVirt checks the selectors only when the VMI has labels at all (a VMI without a labels map
 *   matches every policy that has selectors, with score 0) — reproduced here, as KubeVirt does it;
 * - the highest total score wins; on an equal total, the more VMI labels; on an equal score, the
 *   lexicographically smallest policy name.
 */

/** spec.configuration.migrations of the KubeVirt resource, parsed; absent fields take KubeVirt's defaults. */
export interface KubevirtMigrationConfig {
  readonly parallelMigrationsPerCluster?: number;
  readonly parallelOutboundMigrationsPerNode?: number;
  /** 0 = unlimited. */
  readonly bandwidthPerMigrationBytesPerSecond?: number;
  readonly completionTimeoutPerGiB?: number;
  readonly progressTimeoutSeconds?: number;
  readonly maxDowntimeMs?: number;
  readonly allowAutoConverge?: boolean;
  readonly allowPostCopy?: boolean;
}

/** A MigrationPolicy (migrations.kubevirt.io/v1alpha1), parsed; unset fields fall back to the cluster's. */
export interface KubevirtMigrationPolicy {
  readonly name: string;
  /** Absent: the policy matches nothing. */
  readonly selectors?: {
    readonly namespaceSelector?: Readonly<Record<string, string>>;
    readonly virtualMachineInstanceSelector?: Readonly<Record<string, string>>;
  };
  readonly bandwidthPerMigrationBytesPerSecond?: number;
  readonly completionTimeoutPerGiB?: number;
  readonly maxDowntimeMs?: number;
  readonly allowAutoConverge?: boolean;
  readonly allowPostCopy?: boolean;
}

/** What KubeVirt runs a VMI's migrations with. */
export interface EffectiveMigrationSettings {
  readonly parallelMigrationsPerCluster: number;
  readonly parallelOutboundMigrationsPerNode: number;
  /** 0 = unlimited. */
  readonly bandwidthPerMigrationBytesPerSecond: number;
  readonly completionTimeoutPerGiB: number;
  readonly progressTimeoutSeconds: number;
  /**
   * Only when the KubeVirt resource or the policy sets it: the model's calibration was fitted at
   * QEMU's own downtime limit, so KubeVirt's default (900 ms) is not applied on its own.
   */
  readonly maxDowntimeMs?: number;
  readonly allowAutoConverge: boolean;
  readonly allowPostCopy: boolean;
  /** The MigrationPolicy that applied, if any. */
  readonly policy?: string;
}

/** KubeVirt's defaults (pkg/virt-config/virt-config.go, since v1.4.0). */
export const KUBEVIRT_MIGRATION_DEFAULTS = {
  parallelMigrationsPerCluster: 5,
  parallelOutboundMigrationsPerNode: 2,
  bandwidthPerMigrationBytesPerSecond: 0,
  completionTimeoutPerGiB: 150,
  progressTimeoutSeconds: 150,
  allowAutoConverge: false,
  allowPostCopy: false,
} as const;

type Labels = Readonly<Record<string, string>> | undefined;

interface MatchScore {
  readonly vmi: number;
  readonly namespace: number;
}

/** How well a policy matches, or undefined when it does not (countMatchingLabels). */
export function policyMatchScore(policy: KubevirtMigrationPolicy, vmiLabels: Labels, namespaceLabels: Labels): MatchScore | undefined {
  const selectors = policy.selectors;
  if (!selectors) return undefined;
  const count = (selector: Labels, labels: Labels): number | undefined => {
    let n = 0;
    for (const [key, value] of Object.entries(selector ?? {})) {
      if (labels?.[key] !== value) return undefined;
      n++;
    }
    return n;
  };
  // KubeVirt checks both selectors only when the VMI has a labels map (its nil check is on the VMI's labels).
  if (vmiLabels === undefined) return { vmi: 0, namespace: 0 };
  const vmi = count(selectors.virtualMachineInstanceSelector, vmiLabels);
  if (vmi === undefined) return undefined;
  const namespace = count(selectors.namespaceSelector, namespaceLabels);
  if (namespace === undefined) return undefined;
  return { vmi, namespace };
}

function better(a: MatchScore, b: MatchScore): number {
  const total = a.vmi + a.namespace - (b.vmi + b.namespace);
  return total !== 0 ? total : a.vmi - b.vmi;
}

/** The policy KubeVirt picks for a VMI, if any. */
export function matchMigrationPolicy<P extends KubevirtMigrationPolicy>(policies: readonly P[], vmiLabels: Labels, namespaceLabels: Labels): P | undefined {
  let best: { policy: P; score: MatchScore } | undefined;
  for (const policy of policies) {
    const score = policyMatchScore(policy, vmiLabels, namespaceLabels);
    if (!score) continue;
    const order = best ? better(score, best.score) : 1;
    if (order > 0 || (order === 0 && best && policy.name < best.policy.name)) best = { policy, score };
  }
  return best?.policy;
}

/** The cluster's settings: the KubeVirt resource's, KubeVirt's defaults where it is silent. */
export function clusterMigrationSettings(config: KubevirtMigrationConfig | undefined): EffectiveMigrationSettings {
  const c = config ?? {};
  return {
    parallelMigrationsPerCluster: c.parallelMigrationsPerCluster ?? KUBEVIRT_MIGRATION_DEFAULTS.parallelMigrationsPerCluster,
    parallelOutboundMigrationsPerNode: c.parallelOutboundMigrationsPerNode ?? KUBEVIRT_MIGRATION_DEFAULTS.parallelOutboundMigrationsPerNode,
    bandwidthPerMigrationBytesPerSecond: c.bandwidthPerMigrationBytesPerSecond ?? KUBEVIRT_MIGRATION_DEFAULTS.bandwidthPerMigrationBytesPerSecond,
    completionTimeoutPerGiB: c.completionTimeoutPerGiB ?? KUBEVIRT_MIGRATION_DEFAULTS.completionTimeoutPerGiB,
    progressTimeoutSeconds: c.progressTimeoutSeconds ?? KUBEVIRT_MIGRATION_DEFAULTS.progressTimeoutSeconds,
    ...(c.maxDowntimeMs !== undefined ? { maxDowntimeMs: c.maxDowntimeMs } : {}),
    allowAutoConverge: c.allowAutoConverge ?? KUBEVIRT_MIGRATION_DEFAULTS.allowAutoConverge,
    allowPostCopy: c.allowPostCopy ?? KUBEVIRT_MIGRATION_DEFAULTS.allowPostCopy,
  };
}

/** The settings KubeVirt uses for one VMI: the cluster's, overridden by the matching policy's set fields. */
export function effectiveSettings(
  clusterConfig: KubevirtMigrationConfig | undefined,
  policies: readonly KubevirtMigrationPolicy[],
  vmiLabels: Labels,
  namespaceLabels: Labels,
): EffectiveMigrationSettings {
  return withPolicy(clusterMigrationSettings(clusterConfig), matchMigrationPolicy(policies, vmiLabels, namespaceLabels));
}

/** The cluster's settings overridden by a policy's set fields. */
function withPolicy(base: EffectiveMigrationSettings, p: KubevirtMigrationPolicy | undefined): EffectiveMigrationSettings {
  if (!p) return base;
  const maxDowntimeMs = p.maxDowntimeMs ?? base.maxDowntimeMs;
  return {
    ...base,
    bandwidthPerMigrationBytesPerSecond: p.bandwidthPerMigrationBytesPerSecond ?? base.bandwidthPerMigrationBytesPerSecond,
    completionTimeoutPerGiB: p.completionTimeoutPerGiB ?? base.completionTimeoutPerGiB,
    ...(maxDowntimeMs !== undefined ? { maxDowntimeMs } : {}),
    allowAutoConverge: p.allowAutoConverge ?? base.allowAutoConverge,
    allowPostCopy: p.allowPostCopy ?? base.allowPostCopy,
    policy: p.name,
  };
}

/**
 * effectiveSettings for many VMIs of one cluster: one settings object per winning policy, shared by
 * every VMI it governs (the planner caches its predictions per settings object).
 */
export class SettingsResolver {
  private readonly base: EffectiveMigrationSettings;
  private readonly byPolicy = new Map<string, EffectiveMigrationSettings>();

  constructor(
    clusterConfig: KubevirtMigrationConfig | undefined,
    private readonly policies: readonly KubevirtMigrationPolicy[],
  ) {
    this.base = clusterMigrationSettings(clusterConfig);
  }

  get cluster(): EffectiveMigrationSettings {
    return this.base;
  }

  forVmi(vmiLabels: Labels, namespaceLabels: Labels): EffectiveMigrationSettings {
    const p = this.policies.length ? matchMigrationPolicy(this.policies, vmiLabels, namespaceLabels) : undefined;
    if (!p) return this.base;
    let s = this.byPolicy.get(p.name);
    if (!s) {
      s = withPolicy(this.base, p);
      this.byPolicy.set(p.name, s);
    }
    return s;
  }
}
