/**
 * Open migrations against the limits: KubeVirt's (per cluster, outbound per source node), which it
 * enforces by leaving extra migrations Pending, and the placement's own (per placement, inbound per
 * client). Every open migration counts, ours or not, and so does each one this plan starts.
 *
 * Returns home are held only to KubeVirt's limits: the placement's limits pace discretionary moves,
 * and a client's departure does not wait for them.
 */
import type { ClusterLimits, InFlightMigration, MigrationDirection, PlacementPolicy } from './types.js';

export interface MigrationSlot {
  readonly placementKey?: string;
  readonly sourceNode: string;
  readonly targetNode?: string;
  readonly direction?: MigrationDirection | 'Other';
}

function increment(map: Map<string, number>, key: string | undefined): void {
  if (key !== undefined) map.set(key, (map.get(key) ?? 0) + 1);
}

export class ConcurrencyLedger {
  private cluster = 0;
  private readonly outbound = new Map<string, number>();
  private readonly inbound = new Map<string, number>();
  private readonly perPlacement = new Map<string, number>();

  constructor(
    private readonly limits: ClusterLimits,
    inFlight: readonly InFlightMigration[],
  ) {
    for (const m of inFlight) this.add(m);
  }

  add(m: MigrationSlot): void {
    this.cluster++;
    increment(this.outbound, m.sourceNode);
    increment(this.inbound, m.targetNode);
    increment(this.perPlacement, m.placementKey);
  }

  /** The limit a migration from `sourceNode` would exceed, whatever its target; undefined if none. */
  sourceLimit(sourceNode: string, direction: MigrationDirection, policy: PlacementPolicy): string | undefined {
    if (this.cluster >= this.limits.parallelMigrationsPerCluster) {
      const limit = this.limits.parallelMigrationsPerCluster;
      return `the cluster already has ${this.cluster} open migrations (KubeVirt parallelMigrationsPerCluster ${limit})`;
    }
    const outbound = this.outbound.get(sourceNode) ?? 0;
    if (outbound >= this.limits.parallelOutboundMigrationsPerNode) {
      const limit = this.limits.parallelOutboundMigrationsPerNode;
      return `node ${sourceNode} already has ${outbound} outbound migrations (KubeVirt parallelOutboundMigrationsPerNode ${limit})`;
    }
    if (direction === 'ToClient') {
      const open = this.perPlacement.get(policy.key) ?? 0;
      if (open >= policy.limits.maxConcurrentPerPlacement) {
        return `placement ${policy.key} already has ${open} open migrations (maxConcurrentPerPlacement ${policy.limits.maxConcurrentPerPlacement})`;
      }
    }
    return undefined;
  }

  /** The inbound limit of a client target, if reached. */
  targetLimit(targetNode: string, policy: PlacementPolicy): string | undefined {
    const open = this.inbound.get(targetNode) ?? 0;
    if (open >= policy.limits.maxConcurrentPerClientNode) {
      return `client ${targetNode} already has ${open} inbound migrations (maxConcurrentPerClientNode ${policy.limits.maxConcurrentPerClientNode})`;
    }
    return undefined;
  }
}
