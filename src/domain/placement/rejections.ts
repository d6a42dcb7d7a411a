/**
 * A VM's rejected candidates: every one counted by reason, the first few listed by node. Whole groups
 * (every node failing a node-level check, every node below a bandwidth cut) are counted at once
 * rather than one by one, which is what keeps 10,000 VMs × 1,000 nodes cheap.
 */
import type { RejectionReason } from './reasons.js';
import type { RejectedCandidate } from './types.js';

export type RejectionCounts = Partial<Record<RejectionReason, number>>;

export class RejectionLog {
  readonly listed: RejectedCandidate[] = [];
  readonly counts: RejectionCounts = {};

  constructor(private readonly listLimit: number) {}

  add(node: string, reason: RejectionReason): void {
    this.count(reason, 1);
    if (this.listed.length < this.listLimit) this.listed.push({ node, reason });
  }

  /** Adds n (or takes back −n) rejections for `reason`. */
  count(reason: RejectionReason, n: number): void {
    if (n === 0) return;
    const total = (this.counts[reason] ?? 0) + n;
    if (total > 0) this.counts[reason] = total;
    else delete this.counts[reason];
  }

  addCounts(counts: RejectionCounts): void {
    for (const [reason, n] of Object.entries(counts) as [RejectionReason, number][]) this.count(reason, n);
  }

  /** Lists examples from a group counted in bulk, after the VM's own rejections. */
  fill(examples: readonly RejectedCandidate[]): void {
    for (const e of examples) {
      if (this.listed.length >= this.listLimit) return;
      this.listed.push(e);
    }
  }
}

export function mergeCounts(into: RejectionCounts, counts: RejectionCounts): void {
  for (const [reason, n] of Object.entries(counts) as [RejectionReason, number][]) into[reason] = (into[reason] ?? 0) + n;
}
