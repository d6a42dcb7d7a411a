/**
 * Turns an OfflineFirstPlacement spec into the engine's PlacementPolicy, parsing every quantity
 * once. The API server already enforced the schema; what can still be wrong (a value the schema
 * lets through but the parser cannot read) comes back as an error naming the field.
 */
import type { PlacementPolicy } from '../domain/placement/index.js';
import { parseBandwidth, parseDuration } from '../domain/units.js';
import type { OfflineFirstPlacement } from '../kube/placement.js';
import { objectKey } from '../kube/objects.js';

export type PolicyResult = { policy: PlacementPolicy } | { error: string };

const DEFAULT_DOWNTIME_LIMIT_MS = 300;
/** spec.linkMaxAge when unset. */
export const DEFAULT_LINK_MAX_AGE = '10m';

export function placementPolicy(p: OfflineFirstPlacement): PolicyResult {
  const s = p.spec;
  try {
    const t = s.thresholds ?? {};
    const m = s.migration ?? {};
    const maxDowntimeMs = parseDuration(t.maxDowntime ?? '300ms', 'spec.thresholds.maxDowntime');
    const policy: PlacementPolicy = {
      key: objectKey(p),
      mode: s.mode ?? 'Recommend',
      thresholds: {
        minBandwidthBytesPerSecond: parseBandwidth(t.minBandwidth ?? '20Mbit/s', 'spec.thresholds.minBandwidth'),
        maxPredictedSeconds: parseDuration(t.maxPredictedMigrationTime ?? '15m', 'spec.thresholds.maxPredictedMigrationTime') / 1000,
        maxDirtyRateRatio: t.maxDirtyRateRatio ?? 0.5,
        maxDowntimeMs,
      },
      triggers: {
        offlineCapabilityWanted: s.triggers?.offlineCapabilityWanted ?? false,
        ...(s.triggers?.cloudLatencyAbove ? { cloudRttAboveMs: parseDuration(s.triggers.cloudLatencyAbove, 'spec.triggers.cloudLatencyAbove') } : {}),
        ...(s.triggers?.cloudBandwidthBelow
          ? { cloudBandwidthBelowBytesPerSecond: parseBandwidth(s.triggers.cloudBandwidthBelow, 'spec.triggers.cloudBandwidthBelow') }
          : {}),
      },
      limits: {
        maxConcurrentPerPlacement: s.concurrency?.maxPerPlacement ?? 3,
        maxConcurrentPerClientNode: s.concurrency?.maxPerClientNode ?? 1,
      },
      cooldown: {
        baseSeconds: parseDuration(s.cooldown?.base ?? '10m', 'spec.cooldown.base') / 1000,
        maxSeconds: parseDuration(s.cooldown?.max ?? '4h', 'spec.cooldown.max') / 1000,
      },
      failureBackoff: {
        baseSeconds: parseDuration(s.failureBackoff?.base ?? '1m', 'spec.failureBackoff.base') / 1000,
        maxSeconds: parseDuration(s.failureBackoff?.max ?? '1h', 'spec.failureBackoff.max') / 1000,
        maxFailuresPerTarget: s.failureBackoff?.maxFailuresPerTarget ?? 3,
      },
      hysteresisMargin: (s.hysteresisPercent ?? 20) / 100,
      migration: {
        ...(m.bandwidthLimit ? { bandwidthLimitBytesPerSecond: parseBandwidth(m.bandwidthLimit, 'spec.migration.bandwidthLimit') } : {}),
        allowAutoConverge: m.allowAutoConverge ?? false,
        allowPostCopy: m.allowPostCopy ?? false,
        // QEMU's own default: KubeVirt only changes it through a MigrationPolicy's maxDowntimeMs.
        downtimeLimitMs: Math.min(DEFAULT_DOWNTIME_LIMIT_MS, maxDowntimeMs),
        completionTimeoutPerGiB: m.completionTimeoutPerGiB ?? 150,
        progressTimeoutSeconds: m.progressTimeout ?? 150,
      },
      linkMaxAgeSeconds: parseDuration(s.linkMaxAge ?? DEFAULT_LINK_MAX_AGE, 'spec.linkMaxAge') / 1000,
      ...(s.clientBinding ? { clientBinding: s.clientBinding } : {}),
      ...(s.linkClasses?.length ? { linkClasses: s.linkClasses.map((c) => c.name) } : {}),
    };
    return { policy };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}
