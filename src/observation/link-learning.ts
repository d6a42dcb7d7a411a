/**
 * The operator's finished migrations as link observations (domain/placement/link-correction.ts):
 * what each prediction used, recorded on the migration when it was created, against its Running
 * time from KubeVirt's timestamps.
 *
 * Nothing is stored besides the migrations themselves, so a restarted operator or a new leader learns
 * the same corrections from the same cache. KubeVirt keeps five finished migrations per VMI (older
 * ones are garbage-collected, and a deleted VMI's go with it): the observations are the recent ones,
 * which the half-life weighs most anyway.
 */
import { achievedLinkRatio, linkCorrections, type LinkCorrection, type LinkObservation } from '../domain/placement/link-correction.js';
import type { VirtualMachineInstanceMigration } from '../kube/kubevirt.js';
import { isOurs, PlacementAnnotations } from '../kube/placement.js';
import { endedAtMs, runningSeconds } from './history.js';

/**
 * The observation one migration gives, or undefined: only succeeded migrations of ours that
 * recorded the link their prediction used count. `timeScale`: real seconds per reported second (1
 * on a real cluster; the simulated KubeVirt reports scaled time).
 */
export function linkObservation(m: VirtualMachineInstanceMigration, timeScale = 1): LinkObservation | undefined {
  if (!isOurs(m) || m.status?.phase !== 'Succeeded') return undefined;
  const a = m.metadata.annotations ?? {};
  const node = a[PlacementAnnotations.linkNode];
  const running = runningSeconds(m);
  if (!node || running === undefined) return undefined;
  const r = achievedLinkRatio({
    predictedSeconds: Number(a[PlacementAnnotations.predictedSeconds]),
    predictedBytes: Number(a[PlacementAnnotations.predictedBytes]),
    predictedBandwidthBytesPerSecond: Number(a[PlacementAnnotations.predictedBandwidth]),
    linkBandwidthBytesPerSecond: Number(a[PlacementAnnotations.linkBandwidth]),
    linkCorrection: Number(a[PlacementAnnotations.linkCorrection] ?? 1),
    runningSeconds: running / timeScale,
  });
  return 'ratio' in r ? { node, ratio: r.ratio, endedAtMs: endedAtMs(m) } : undefined;
}

/** Per client node: the correction its finished migrations teach at nowMs. */
export function learnedLinkCorrections(migrations: readonly VirtualMachineInstanceMigration[], nowMs: number, timeScale = 1): Map<string, LinkCorrection> {
  return linkCorrections(
    migrations.map((m) => linkObservation(m, timeScale)).filter((o): o is LinkObservation => o !== undefined),
    nowMs,
  );
}
