/**
 * Builds a placement's status from the plan: counts, the bounded decision table (VMs with an action
 * first), and conditions. Pure; the controller writes it only when it changed.
 */
import type { Decision, PlannedMigration } from '../../domain/placement/index.js';
import type { Condition } from '../../kube/objects.js';
import type { DecisionStatus, OfflineFirstPlacement, OfflineFirstPlacementStatus } from '../../kube/placement.js';
import { setCondition } from './conditions.js';
import type { PlacementProblem } from '../../observation/gather.js';
import { desiredPolicies, type ManagedPolicyIntent } from '../../observation/managed-policy.js';

export const MAX_DECISIONS = 100;
const ACTION_ORDER: Record<string, number> = { MoveToClient: 0, ReturnHome: 0, Wait: 1, Blocked: 2, Stay: 3 };

export interface PlacementFacts {
  decisions: readonly Decision[];
  /** Migration name per VM key, for decisions being carried out. */
  migrationOf: ReadonlyMap<string, string>;
  onClients: number;
  atHome: number;
  migrating: number;
  runningOffline: number;
  clientNodes: number;
  homeNodes: number;
  problems: readonly PlacementProblem[];
  /** Input values about this placement's VMIs and nodes the plan could not use, one line each. */
  inputProblems?: readonly string[];
  /** Its open migrations that hang, one line each. */
  hangs?: readonly string[];
  /** Its managed MigrationPolicy, when spec.migration asks for settings. */
  managedPolicy?: ManagedPolicyIntent;
  /** Its VMs KubeVirt would not migrate with those settings, one line each. */
  settingsNotApplied?: readonly string[];
}

/** Messages listed in a condition; the count says how many there are in all. */
export const LISTED_IN_CONDITION = 3;

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function decisionStatus(d: Decision, migration: string | undefined): DecisionStatus {
  const name = d.vmKey.slice(d.vmKey.indexOf('/') + 1);
  const s: DecisionStatus = { vm: name, node: d.currentNode, action: d.action, reason: d.reason, message: d.message.slice(0, 1024) };
  if (d.desiredNode) s.desiredNode = d.desiredNode;
  if (d.score) {
    s.score = {
      total: round(d.score.total),
      benefit: round(d.score.benefit),
      cost: round(d.score.cost),
      parts: Object.fromEntries([...Object.entries(d.score.benefitParts), ...Object.entries(d.score.costParts).map(([k, v]) => [k, -(v ?? 0)])].map(([k, v]) => [k, round(Number(v))])),
    };
  }
  if (d.prediction) {
    s.predicted = {
      seconds: round(d.prediction.seconds, 1),
      downtimeMs: round(d.prediction.downtimeMs, 1),
      bytes: Math.round(d.prediction.bytes),
      converges: d.prediction.converges,
      dirtyRateConfidence: d.prediction.dirtyRateConfidence,
      ...(d.prediction.dirtyRateSource !== undefined ? { dirtyRateSource: d.prediction.dirtyRateSource } : {}),
      linkConfidence: d.prediction.linkConfidence,
      ...(d.prediction.linkSource !== undefined ? { linkSource: d.prediction.linkSource } : {}),
      ...(d.prediction.link && d.prediction.link.correction !== 1 ? { linkCorrection: round(d.prediction.link.correction) } : {}),
      ...(d.prediction.migrationPolicy !== undefined ? { migrationPolicy: d.prediction.migrationPolicy } : {}),
    };
  }
  if (d.returnNode) s.returnNode = d.returnNode;
  if (migration) s.migration = migration;
  if (d.rejected.length) s.rejected = d.rejected.slice(0, 5).map((r) => ({ node: r.node, reason: r.reason, ...(r.detail ? { detail: r.detail.slice(0, 256) } : {}) }));
  return s;
}

export function placementStatus(p: OfflineFirstPlacement, f: PlacementFacts, now: string): OfflineFirstPlacementStatus {
  const sorted = [...f.decisions].sort((a, b) => (ACTION_ORDER[a.action] ?? 9) - (ACTION_ORDER[b.action] ?? 9) || a.vmKey.localeCompare(b.vmKey));
  const decisions = sorted.slice(0, MAX_DECISIONS).map((d) => decisionStatus(d, f.migrationOf.get(d.vmKey)));
  const selected = f.decisions.length;
  let conditions: Condition[] = p.status?.conditions ?? [];
  const gen = p.metadata.generation;
  const invalid = f.problems.find((x) => x.reason === 'InvalidSpec');
  const claimed = f.problems.filter((x) => x.reason === 'VMClaimedByOtherPlacement');
  const selectorProblem = invalid
    ? undefined
    : selected === 0 && claimed.length > 0
      ? { reason: 'VMClaimedByOtherPlacement', message: `every VM it selects belongs to an older placement: ${listed(claimed.map((c) => c.message))}` }
    : selected === 0
      ? { reason: 'NoVMsSelected', message: 'vmSelector matches no VirtualMachineInstance in this namespace' }
      : f.clientNodes === 0
        ? { reason: 'NoClientNodes', message: 'clientNodeSelector matches no node' }
        : f.homeNodes === 0
          ? { reason: 'NoHomeNodes', message: 'homeNodeSelector matches no node; VMs could not return home' }
          : undefined;
  conditions = setCondition(conditions, invalid
    // Not evaluated: an invalid placement selects nothing, so "0 VMs matched" would be untrue.
    ? { type: 'SelectorsMatch', status: 'Unknown', reason: 'InvalidSpec', message: 'selectors not evaluated: the spec is invalid', observedGeneration: gen }
    : selectorProblem
    ? { type: 'SelectorsMatch', status: 'False', reason: selectorProblem.reason, message: selectorProblem.message, observedGeneration: gen }
    : claimed.length
      ? { type: 'SelectorsMatch', status: 'False', reason: 'VMClaimedByOtherPlacement', message: listed(claimed.map((c) => c.message)), observedGeneration: gen }
      : { type: 'SelectorsMatch', status: 'True', reason: 'Matched', message: `${selected} VMs, ${f.clientNodes} client nodes, ${f.homeNodes} home nodes`, observedGeneration: gen }, now);
  conditions = setCondition(conditions, invalid
    ? { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: invalid.message, observedGeneration: gen }
    : selectorProblem
      ? { type: 'Ready', status: 'False', reason: selectorProblem.reason, message: selectorProblem.message, observedGeneration: gen }
      : { type: 'Ready', status: 'True', reason: 'Planned', message: `${p.spec.mode === 'Enforce' ? 'enforcing' : 'recommending'} a plan for ${selected} VMs`, observedGeneration: gen }, now);
  conditions = setCondition(conditions, f.migrating > 0
    ? { type: 'Progressing', status: 'True', reason: 'Migrating', message: `${f.migrating} migrations in progress`, observedGeneration: gen }
    : { type: 'Progressing', status: 'False', reason: 'Settled', message: 'no migration in progress', observedGeneration: gen }, now);
  const inputProblems = f.inputProblems ?? [];
  conditions = setCondition(conditions, inputProblems.length > 0
    ? { type: 'InputsValid', status: 'False', reason: 'InvalidInput', message: `${inputProblems.length} input values could not be used: ${listed(inputProblems)}`, observedGeneration: gen }
    : { type: 'InputsValid', status: 'True', reason: 'AllInputsUsable', message: 'every annotation and field of its VMs and nodes could be used', observedGeneration: gen }, now);
  const hangs = f.hangs ?? [];
  conditions = setCondition(conditions, hangs.length > 0
    ? { type: 'MigrationsHealthy', status: 'False', reason: 'MigrationHung', message: `${hangs.length} migrations hang: ${listed(hangs)}`, observedGeneration: gen }
    : { type: 'MigrationsHealthy', status: 'True', reason: 'NoneHung', message: 'no migration of this placement hangs', observedGeneration: gen }, now);
  conditions = setCondition(conditions, { ...settingsCondition(p, f, selected), observedGeneration: gen }, now);
  return {
    observedGeneration: gen,
    placed: `${f.onClients}/${selected}`,
    vms: { selected, onClients: f.onClients, atHome: f.atHome, migrating: f.migrating, runningOffline: f.runningOffline },
    conditions,
    decisions,
    decisionsTruncated: Math.max(0, sorted.length - MAX_DECISIONS),
  };
}

/** MigrationSettingsApplied: whether KubeVirt will migrate the VMs with what spec.migration asks. */
function settingsCondition(p: OfflineFirstPlacement, f: PlacementFacts, selected: number): Omit<Condition, 'lastTransitionTime'> {
  const type = 'MigrationSettingsApplied';
  const intent = f.managedPolicy;
  const notCarried = intent?.notCarried.length ? `; ${intent.notCarried.join('; ')}` : '';
  const policies = desiredPolicies(intent).map((x) => x.metadata.name);
  if (!intent || (policies.length === 0 && !intent.refusal)) {
    return { type, status: 'True', reason: 'KubevirtSettings', message: `spec.migration sets no MigrationPolicy setting: KubeVirt's own apply (the KubeVirt resource, then a MigrationPolicy matching the VMI)${notCarried}` };
  }
  if (intent.refusal) return { type, status: 'False', reason: 'NotExpressible', message: `${intent.refusal}; its VMs are not moved to clients${notCarried}` };
  const name = `${policies.length === 1 ? 'MigrationPolicy' : 'MigrationPolicies'} ${policies.join(', ')}`;
  const overridden = f.settingsNotApplied ?? [];
  if (overridden.length > 0) {
    return { type, status: 'False', reason: 'OverriddenByPolicy', message: `${overridden.length} of ${selected} VMs would migrate with another MigrationPolicy and are not moved to clients: ${listed(overridden)}${notCarried}` };
  }
  return p.spec.mode === 'Enforce'
    ? { type, status: 'True', reason: 'PolicyApplied', message: `${name} ${policies.length === 1 ? 'governs' : 'govern'} its ${selected} VMs${notCarried}` }
    : { type, status: 'True', reason: 'PolicyPlanned', message: `Recommend mode: ${name} would govern its ${selected} VMs once Enforced; predictions assume ${policies.length === 1 ? 'it' : 'them'}${notCarried}` };
}

/** The first few messages, and how many more. */
function listed(messages: readonly string[]): string {
  const shown = messages.slice(0, LISTED_IN_CONDITION).join('; ');
  return messages.length > LISTED_IN_CONDITION ? `${shown}; and ${messages.length - LISTED_IN_CONDITION} more` : shown;
}

/**
 * Whether two statuses differ in anything but the plan time. Keys are compared sorted: the API
 * server returns the stored status with its keys in another order than the one built here, and a
 * status seen as changed on every plan is written on every plan, whose watch event plans again.
 */
export function statusChanged(a: OfflineFirstPlacementStatus | undefined, b: OfflineFirstPlacementStatus): boolean {
  const strip = (s: OfflineFirstPlacementStatus | undefined) => JSON.stringify({ ...s, lastPlanTime: undefined }, sortedKeys);
  return strip(a) !== strip(b);
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

export type { PlannedMigration };
