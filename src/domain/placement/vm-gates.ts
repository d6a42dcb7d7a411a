/**
 * Whether a VM can be moved at all this round, before any node is looked at: a chain of small
 * checks, the first that fails decides (cert-manager's policy chains are the model). Cooldown is not
 * here: a VM in cooldown is still evaluated, so that its decision says whether it would move.
 */
import { formatDuration } from '../units.js';
import { isOfflineCapable, networkVolumeKinds } from './offline-capability.js';
import { Reasons, type Reason } from './reasons.js';
import type { InFlightMigration, NodeView, PlacementPolicy, VmView } from './types.js';

export interface VmGate {
  readonly action: 'Blocked' | 'Wait';
  readonly reason: Reason;
  readonly message: string;
  readonly desiredNode?: string;
}

export interface VmSituation {
  readonly vm: VmView;
  readonly policy: PlacementPolicy;
  /** undefined when the VM's node is not in the cache (deleted). */
  readonly source: NodeView | undefined;
  readonly sourceIsHome: boolean;
  /** An open migration of this VM seen in PlanInput.inFlight. */
  readonly openMigration: InFlightMigration | undefined;
}

type VmCheck = (s: VmSituation) => VmGate | undefined;

const running: VmCheck = ({ vm }) =>
  vm.phase === 'Running' ? undefined : { action: 'Blocked', reason: Reasons.NotRunning, message: `the VM is ${vm.phase || 'not running'}` };

/** The VM's node is not in the cache (deleted, or not yet seen). */
export function unknownNode(vm: VmView): VmGate {
  return { action: 'Blocked', reason: Reasons.NodeNotReady, message: `node ${vm.nodeName} is unknown` };
}

const sourceReachable: VmCheck = ({ vm, source, sourceIsHome }) => {
  if (!source) return unknownNode(vm);
  if (source.ready) return undefined;
  return sourceIsHome
    ? { action: 'Blocked', reason: Reasons.NodeNotReady, message: `home node ${source.name} is not Ready` }
    : { action: 'Blocked', reason: Reasons.ClientOffline, message: `client ${source.name} is offline; the VM runs offline there until it is back` };
};

const notMigrating: VmCheck = ({ vm, openMigration }) => {
  if (!vm.migrating && !openMigration) return undefined;
  const target = openMigration?.targetNode;
  return {
    action: 'Wait',
    reason: Reasons.Migrating,
    message: target ? `a migration to ${target} is in progress` : 'a migration is in progress',
    ...(target ? { desiredNode: target } : {}),
  };
};

const liveMigratable: VmCheck = ({ vm }) =>
  vm.liveMigratable
    ? undefined
    : {
        action: 'Blocked',
        reason: Reasons.NotLiveMigratable,
        message: `LiveMigratable is not True${vm.liveMigratableReason ? ` (${vm.liveMigratableReason})` : ''}`,
      };

/** Checks for every VM, a return home included. */
export const VM_GATES: readonly VmCheck[] = [running, sourceReachable, notMigrating, liveMigratable];

/** Only for moves to a client: a return home must not be refused for network volumes. */
export const offlineCapability: VmCheck = ({ vm, policy }) =>
  !policy.triggers.offlineCapabilityWanted || isOfflineCapable(vm.volumeKinds)
    ? undefined
    : {
        action: 'Blocked',
        reason: Reasons.NotOfflineCapable,
        message: `the placement wants offline capability, and the VM has network storage (${networkVolumeKinds(vm.volumeKinds).join(', ')})`,
      };

/** Only for moves to a client: it runs with the settings the placement asked for, or not at all. */
export const settingsApplied: VmCheck = ({ vm }) =>
  vm.settingsNotApplied === undefined ? undefined : { action: 'Blocked', reason: Reasons.MigrationSettingsNotApplied, message: vm.settingsNotApplied };

export function firstGate(checks: readonly VmCheck[], s: VmSituation): VmGate | undefined {
  for (const check of checks) {
    const gate = check(s);
    if (gate) return gate;
  }
  return undefined;
}

export function cooldownGate(endsAtMs: number, nowMs: number, desiredNode: string | undefined): VmGate {
  return {
    action: 'Wait',
    reason: Reasons.Cooldown,
    message: `it would move${desiredNode ? ` to ${desiredNode}` : ''}, but it moved recently; cooldown ends in ${formatDuration(endsAtMs - nowMs)}`,
    ...(desiredNode ? { desiredNode } : {}),
  };
}
