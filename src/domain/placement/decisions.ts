/**
 * Decisions as they appear in status and events: the action, a reason from the table, and a message
 * a person can act on, with the numbers behind it.
 */
import { formatBandwidth, formatBytes, formatDuration } from '../units.js';
import { furthestRejection, pipelineStage, type Reason, type RejectionReason } from './reasons.js';
import type { RejectionLog } from './rejections.js';
import type { Action, Decision, PredictionSummary, ScoreExplanation, VmView } from './types.js';

export interface DecisionFields {
  readonly action: Action;
  readonly reason: Reason;
  readonly message: string;
  readonly desiredNode?: string;
  readonly score?: ScoreExplanation;
  readonly currentScore?: number;
  readonly prediction?: PredictionSummary;
  readonly returnNode?: string;
}

export function decisionFor(vm: VmView, fields: DecisionFields, log?: RejectionLog): Decision {
  return {
    vmKey: vm.key,
    placementKey: vm.placementKey,
    currentNode: vm.nodeName,
    ...fields,
    rejected: log?.listed ?? [],
    rejectedCounts: log?.counts ?? {},
  };
}

/** "predicted 9m52s at 37 Mbit/s, 2.74 GB sent, 229ms down". */
export function describePrediction(p: PredictionSummary): string {
  const parts = [
    `predicted ${formatDuration(p.seconds * 1000)} at ${formatBandwidth(p.bandwidthBytesPerSecond)}`,
    `${formatBytes(p.bytes, 'decimal')} sent`,
    `${formatDuration(p.downtimeMs)} down`,
  ];
  if (p.mode !== 'PreCopy') parts.push(p.mode);
  if (p.dirtyRateConfidence === 'fallback') parts.push('dirty rate not measured (fallback)');
  if (p.linkConfidence === 'low') parts.push('link measurement stale or missing (low confidence)');
  // The domain names the annotation so the message says how to give the real figure (annotations.ts).
  if (p.localDiskBytesAssumed) parts.push('local disks assumed full (capacity); give their used bytes in offline-first.io/local-disk-used');
  return parts.join(', ');
}

export function describeScore(s: ScoreExplanation): string {
  return `score ${s.total} = benefit ${s.benefit} − cost ${s.cost}`;
}

/** "1 InsufficientMemory, 990 NoLinkData, 9 NotBoundClient": the furthest rejection first, then by count. */
export function describeRejections(counts: Readonly<Partial<Record<RejectionReason, number>>>, shown = 4): string {
  const entries = (Object.entries(counts) as [RejectionReason, number][]).filter(([, n]) => n > 0);
  const furthest = furthestRejection(counts);
  entries.sort(([a, na], [b, nb]) => (a === furthest ? -1 : b === furthest ? 1 : nb - na || pipelineStage(b) - pipelineStage(a)));
  const text = entries.slice(0, shown).map(([reason, n]) => `${n} ${reason}`);
  if (entries.length > shown) text.push('…');
  return text.join(', ');
}
