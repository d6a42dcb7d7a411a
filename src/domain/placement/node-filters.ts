/**
 * Whether a node can take any launcher pod at all, whatever the VM: a chain of small checks, the
 * first failing one names the rejection. The same chain screens client targets and home targets.
 */
import { hasTrueLabel, NodeLabels } from './node-labels.js';
import { Reasons, type RejectionReason } from './reasons.js';
import type { NodeView } from './types.js';

export type NodeCheck = (node: NodeView) => RejectionReason | undefined;

const ready: NodeCheck = (node) => (node.ready ? undefined : Reasons.NodeNotReady);

// Checked before taints: a leaving client usually carries a NoSchedule taint too, and "leaving" is the real reason.
const notLeaving: NodeCheck = (node) => (node.leaving ? Reasons.ClientLeaving : undefined);

const schedulable: NodeCheck = (node) => (node.unschedulable ? Reasons.NodeUnschedulable : undefined);

const untainted: NodeCheck = (node) =>
  node.taints.some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute') ? Reasons.NodeTainted : undefined;

const kubevirtSchedulable: NodeCheck = (node) =>
  hasTrueLabel(node.labels, NodeLabels.kubevirtSchedulable) ? undefined : Reasons.KubevirtNotSchedulable;

export const SCHEDULING_CHECKS: readonly NodeCheck[] = [ready, notLeaving, schedulable, untainted, kubevirtSchedulable];

/** What exactly a node-level rejection is about, where the reason alone does not say: the taints. */
export function rejectionDetail(node: NodeView, reason: RejectionReason): string | undefined {
  if (reason === Reasons.NodeTainted) {
    return node.taints
      .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
      .map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`)
      .join(', ');
  }
  if (reason === Reasons.KubevirtNotSchedulable) return `label ${NodeLabels.kubevirtSchedulable} is not "true"`;
  return undefined;
}

export function firstRejection<T>(checks: readonly ((subject: T) => RejectionReason | undefined)[], subject: T): RejectionReason | undefined {
  for (const check of checks) {
    const reason = check(subject);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
