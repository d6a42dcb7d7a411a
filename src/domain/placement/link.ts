/**
 * The client's measured link to the data centre, and the bandwidth a migration can use over it.
 * A stale measurement is not trusted for a move to a client (the link may have degraded since), but a
 * return home uses whatever is known: returning must never wait for a fresh probe.
 */
import { Reasons, type RejectionReason } from './reasons.js';
import type { LinkMeasurement, PlacementPolicy } from './types.js';

export function isLinkFresh(link: LinkMeasurement, nowMs: number, maxAgeSeconds: number): boolean {
  // A timestamp ahead of nowMs (clock skew) counts as fresh.
  return nowMs - link.measuredAtMs <= maxAgeSeconds * 1000;
}

/** The link capped by the placement's migration bandwidth limit. */
export function usableBandwidth(linkBytesPerSecond: number, policy: PlacementPolicy): number {
  const limit = policy.migration.bandwidthLimitBytesPerSecond;
  return limit === undefined ? linkBytesPerSecond : Math.min(linkBytesPerSecond, limit);
}

/** Why a client's link rules it out as a migration target, if it does. */
export function linkRejection(link: LinkMeasurement | undefined, policy: PlacementPolicy, nowMs: number): RejectionReason | undefined {
  if (!link) return Reasons.NoLinkData;
  if (!isLinkFresh(link, nowMs, policy.linkMaxAgeSeconds)) return Reasons.StaleLinkData;
  if (usableBandwidth(link.bandwidthBytesPerSecond, policy) < policy.thresholds.minBandwidthBytesPerSecond) {
    return Reasons.BandwidthBelowThreshold;
  }
  return undefined;
}
