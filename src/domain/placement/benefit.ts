/**
 * What a VM gains on a client (DESIGN.md item 4): it keeps working offline, or its user escapes a
 * poor path to the cloud. A fully met trigger is worth 1; an interaction trigger that is only just
 * met is worth 0.5, growing to 1 as the path gets twice as bad as its threshold (twice the rtt,
 * half the bandwidth), so that a client barely over the line does not justify an expensive move.
 */
import type { BenefitPart, NodeView, PlacementPolicy } from './types.js';

export type BenefitParts = Partial<Record<BenefitPart, number>>;

const JUST_MET = 0.5;

function severity(excess: number): number {
  return JUST_MET + (1 - JUST_MET) * Math.min(1, Math.max(0, excess));
}

/**
 * The benefit of running on `node` for a VM of this placement. Offline capability needs no node
 * data: eligibility already refused VMs that are not offline-capable when the placement wants it.
 */
export function benefitParts(triggers: PlacementPolicy['triggers'], node: NodeView): BenefitParts {
  const parts: BenefitParts = {};
  if (triggers.offlineCapabilityWanted) parts.offlineCapability = 1;
  const path = node.cloudPath ?? node.link;
  if (path) {
    const rttAbove = triggers.cloudRttAboveMs;
    if (rttAbove !== undefined && path.rttMs > rttAbove) {
      parts.cloudLatency = severity(rttAbove > 0 ? path.rttMs / rttAbove - 1 : 1);
    }
    const bandwidthBelow = triggers.cloudBandwidthBelowBytesPerSecond;
    if (bandwidthBelow !== undefined && path.bandwidthBytesPerSecond < bandwidthBelow) {
      parts.cloudBandwidth = severity(bandwidthBelow / path.bandwidthBytesPerSecond - 1);
    }
  }
  return parts;
}

export function sumParts(parts: Readonly<Partial<Record<string, number>>>): number {
  let total = 0;
  for (const value of Object.values(parts)) total += value ?? 0;
  return total;
}
