/**
 * Keeps each placement's managed MigrationPolicy as its spec.migration says: applied while an
 * Enforce placement asks for settings, deleted when it stops asking, switches to Recommend (a dry
 * run writes nothing KubeVirt would act on) or is deleted. The placement holds a finalizer while its
 * policy exists, because a cluster-scoped policy cannot have a namespaced owner; a managed policy
 * whose placement is gone (its finalizer removed by hand) is deleted too.
 */
import type { Actuator } from '../../actuation/actuator.js';
import { asPlacement } from '../../actuation/event-targets.js';
import type { MigrationPolicy } from '../../kube/kubevirt.js';
import { objectKey } from '../../kube/objects.js';
import { MIGRATION_POLICY_FINALIZER, type OfflineFirstPlacement } from '../../kube/placement.js';
import { desiredPolicies, managedPolicyOwner, policyUpToDate, type ManagedPolicyIntent } from '../../observation/managed-policy.js';

export interface ManagedPolicyWorld {
  /** Every placement in the cache, those being deleted included. */
  readonly placements: readonly OfflineFirstPlacement[];
  readonly intents: ReadonlyMap<string, ManagedPolicyIntent>;
  /** The MigrationPolicies in the cluster; undefined when the API is not served. */
  readonly policies: readonly MigrationPolicy[] | undefined;
}

export async function syncManagedPolicies(world: ManagedPolicyWorld, actuator: Actuator): Promise<void> {
  const byOwner = new Map<string, MigrationPolicy[]>();
  for (const policy of world.policies ?? []) {
    const owner = managedPolicyOwner(policy);
    if (owner !== undefined) byOwner.set(owner, [...(byOwner.get(owner) ?? []), policy]);
  }
  const keys = new Set<string>();
  for (const p of world.placements) {
    const key = objectKey(p);
    keys.add(key);
    const mine = byOwner.get(key) ?? [];
    const desired = world.policies !== undefined && !p.metadata.deletionTimestamp && p.spec.mode === 'Enforce' ? desiredPolicies(world.intents.get(key)) : [];
    if (desired.length > 0) {
      // The finalizer first: a policy never exists without it.
      if (!(await actuator.setFinalizer(p, MIGRATION_POLICY_FINALIZER, true))) continue;
      for (const policy of desired) {
        const current = mine.find((x) => x.metadata.name === policy.metadata.name);
        if (current && policyUpToDate(current, policy)) continue;
        await actuator.applyMigrationPolicy(policy);
        await actuator.event(asPlacement(p), 'Normal', 'MigrationPolicyApplied', 'Apply', `MigrationPolicy ${policy.metadata.name} ${current ? 'updated' : 'created'}: ${describeSettings(policy)}`);
      }
      const names = new Set(desired.map((x) => x.metadata.name));
      for (const stale of mine.filter((x) => !names.has(x.metadata.name))) {
        await actuator.deleteMigrationPolicy(stale);
        await actuator.event(asPlacement(p), 'Normal', 'MigrationPolicyDeleted', 'Delete', `MigrationPolicy ${stale.metadata.name} deleted: the spec no longer asks for it`);
      }
      continue;
    }
    for (const policy of mine) {
      await actuator.deleteMigrationPolicy(policy);
      const why = p.metadata.deletionTimestamp ? 'the placement is being deleted' : p.spec.mode !== 'Enforce' ? 'the placement is in Recommend mode' : 'spec.migration no longer sets migration settings';
      await actuator.event(asPlacement(p), 'Normal', 'MigrationPolicyDeleted', 'Delete', `MigrationPolicy ${policy.metadata.name} deleted: ${why}`);
    }
    await actuator.setFinalizer(p, MIGRATION_POLICY_FINALIZER, false);
  }
  for (const [owner, policies] of byOwner) {
    if (!keys.has(owner)) for (const policy of policies) await actuator.deleteMigrationPolicy(policy);
  }
}

/** "bandwidthPerMigration 4625000, allowAutoConverge true" */
export function describeSettings(policy: MigrationPolicy): string {
  const { selectors: _selectors, ...settings } = policy.spec ?? {};
  return Object.entries(settings).map(([k, v]) => `${k} ${String(v)}`).join(', ');
}
