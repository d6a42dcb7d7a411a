/**
 * The MigrationPolicy a placement asks KubeVirt to apply to its VMs, when its spec.migration sets
 * anything: KubeVirt applies migration settings per VMI only through a MigrationPolicy, so a cap or
 * auto-converge the model assumed would otherwise never happen.
 *
 * The policy selects exactly the placement's VMs: the namespace by its `kubernetes.io/metadata.name`
 * label (set by the API server on every namespace) and the VMIs by the placement's vmSelector
 * matchLabels. A MigrationPolicy selector is a plain label map, so a vmSelector with
 * matchExpressions cannot be written as one: the placement is then refused (no policy, and no move
 * to a client with settings KubeVirt would not apply).
 *
 * Link classes (spec.linkClasses) add one policy per class, over spec.migration, selecting the
 * placement's VMIs that also carry `placement.offline-first.io/link-class: <class>`: one label more
 * than the placement's own policy, so KubeVirt prefers it for a VMI so labelled. The operator sets
 * that label on a VMI just before migrating it to or from a client of the class, and removes it
 * before any other move; KubeVirt matches the policy when it hands the migration to the target.
 *
 * MigrationPolicies are cluster-scoped and a placement is namespaced, so the policy cannot carry an
 * owner reference to it (the garbage collector ignores such references): it is labelled with its
 * placement, and the placement holds a finalizer until the operator has deleted it.
 */
import { createHash } from 'node:crypto';
import { parseBandwidth } from '../domain/units.js';
import type { MigrationPolicy } from '../kube/kubevirt.js';
import { objectKey } from '../kube/objects.js';
import { MANAGED_BY, PlacementLabels, type OfflineFirstPlacement } from '../kube/placement.js';

/** The label the API server puts on every namespace, with the namespace's name. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const NAME_LIMIT = 253;

export interface ManagedPolicyIntent {
  readonly placementKey: string;
  /** The policy for the placement's VMs, from spec.migration; absent when it sets nothing or is refused. */
  readonly desired?: MigrationPolicy;
  /**
   * One policy per link class with settings: spec.migration overridden by the class, selecting the
   * placement's VMIs that also carry the link-class label (one label more, so KubeVirt prefers it).
   */
  readonly classes: readonly { readonly name: string; readonly desired: MigrationPolicy }[];
  /** Why the asked-for settings cannot be written as MigrationPolicies. */
  readonly refusal?: string;
  /** spec.migration fields a MigrationPolicy has no place for, with what applies instead. */
  readonly notCarried: readonly string[];
}

/** Every policy the intent keeps in the cluster. */
export function desiredPolicies(intent: ManagedPolicyIntent | undefined): MigrationPolicy[] {
  return intent ? [...(intent.desired ? [intent.desired] : []), ...intent.classes.map((c) => c.desired)] : [];
}

/** "offline-first.<namespace>.<placement>[.<class>]", shortened with a hash when it would pass 253 characters. */
export function managedPolicyName(namespace: string, name: string, linkClass?: string): string {
  const full = `offline-first.${namespace}.${name}${linkClass ? `.${linkClass}` : ''}`;
  if (full.length <= NAME_LIMIT) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 10);
  return `${full.slice(0, NAME_LIMIT - hash.length - 1).replace(/[.-]+$/, '')}-${hash}`;
}

/** The placement ("namespace/name") a managed policy belongs to; undefined for any other policy. */
export function managedPolicyOwner(p: MigrationPolicy): string | undefined {
  const labels = p.metadata.labels ?? {};
  const ns = labels[PlacementLabels.placementNamespace];
  const name = labels[PlacementLabels.placement];
  return labels[PlacementLabels.managedBy] === MANAGED_BY && ns && name ? `${ns}/${name}` : undefined;
}

interface SettingsFields {
  bandwidthLimit?: string;
  allowAutoConverge?: boolean;
  allowPostCopy?: boolean;
  completionTimeoutPerGiB?: number;
}

/** The MigrationPolicy spec fields a placement's (or a link class's) settings set. */
function policySettings(m: SettingsFields, field: string): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (m.bandwidthLimit !== undefined) spec.bandwidthPerMigration = String(Math.floor(parseBandwidth(m.bandwidthLimit, `${field}.bandwidthLimit`)));
  if (m.completionTimeoutPerGiB !== undefined) spec.completionTimeoutPerGiB = m.completionTimeoutPerGiB;
  if (m.allowAutoConverge !== undefined) spec.allowAutoConverge = m.allowAutoConverge;
  if (m.allowPostCopy !== undefined) spec.allowPostCopy = m.allowPostCopy;
  return spec;
}

/** What the placement asks of KubeVirt; undefined when spec.migration and its link classes set nothing. */
export function managedPolicyIntent(p: OfflineFirstPlacement): ManagedPolicyIntent | undefined {
  const m = p.spec.migration ?? {};
  const notCarried = m.progressTimeout !== undefined ? ["spec.migration.progressTimeout: a MigrationPolicy has no progress timeout; the KubeVirt resource's (default 150 s) applies"] : [];
  const base = policySettings(m, 'spec.migration');
  const classSettings = (p.spec.linkClasses ?? [])
    .map((c, i) => ({ name: c.name, settings: policySettings(c, `spec.linkClasses[${i}]`) }))
    .filter((c) => Object.keys(c.settings).length > 0);
  const placementKey = objectKey(p);
  if (Object.keys(base).length === 0 && classSettings.length === 0) return notCarried.length ? { placementKey, classes: [], notCarried } : undefined;
  const selector = p.spec.vmSelector;
  if (selector.matchExpressions?.length || !Object.keys(selector.matchLabels ?? {}).length) {
    return {
      placementKey,
      classes: [],
      refusal: 'spec.migration or a link class sets migration settings, but a MigrationPolicy selects VMIs by a plain label map: vmSelector must use matchLabels only for KubeVirt to apply them',
      notCarried,
    };
  }
  const namespace = p.metadata.namespace!;
  const policy = (settings: Record<string, unknown>, linkClass?: string): MigrationPolicy => ({
    apiVersion: 'migrations.kubevirt.io/v1alpha1',
    kind: 'MigrationPolicy',
    metadata: {
      name: managedPolicyName(namespace, p.metadata.name!, linkClass),
      labels: {
        [PlacementLabels.managedBy]: MANAGED_BY,
        [PlacementLabels.placement]: p.metadata.name!,
        [PlacementLabels.placementNamespace]: namespace,
        ...(linkClass ? { [PlacementLabels.linkClass]: linkClass } : {}),
      },
    },
    spec: {
      selectors: {
        namespaceSelector: { [NAMESPACE_NAME_LABEL]: namespace },
        virtualMachineInstanceSelector: { ...selector.matchLabels, ...(linkClass ? { [PlacementLabels.linkClass]: linkClass } : {}) },
      },
      ...settings,
    },
  });
  return {
    placementKey,
    ...(Object.keys(base).length > 0 ? { desired: policy(base) } : {}),
    classes: classSettings.map((c) => ({ name: c.name, desired: policy({ ...base, ...c.settings }, c.name) })),
    notCarried,
  };
}

/** Whether the policy in the cluster already says what the desired one says (labels and spec). */
export function policyUpToDate(current: MigrationPolicy, desired: MigrationPolicy): boolean {
  const labelsMatch = Object.entries(desired.metadata.labels ?? {}).every(([k, v]) => current.metadata.labels?.[k] === v);
  return labelsMatch && canonical(current.spec) === canonical(desired.spec);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}
