/**
 * Where a VM's measurements come from, and which wins. The precedence is data (DIRTY_RATE_SOURCES):
 * page-sampling readings written on the VMI, then an external source (Prometheus: KubeVirt's own
 * page-sampling gauge), then dirty-rate windows, then a mean rate, then the conservative fallback.
 * Each decision records the source that won and its confidence, so a verdict reached on the
 * fallback says so.
 */
import type { PageSamplingReading } from '../domain/migration/page-sampling.js';

export type DirtyRateSourceName = 'readings-annotation' | 'prometheus' | 'windows-annotation' | 'rate-annotation' | 'fallback';

/** Highest precedence first. */
export const DIRTY_RATE_SOURCES: readonly DirtyRateSourceName[] = ['readings-annotation', 'prometheus', 'windows-annotation', 'rate-annotation', 'fallback'];

/** What an external source (Prometheus) knows of one VMI now. */
export interface VmiSamples {
  /** KubeVirt's gauge as page-sampling readings (1 s, 512 samples per GiB, whole MiB/s), de-duplicated. */
  readonly dirtyRateReadings?: readonly PageSamplingReading[];
  /** Guest memory in use: available − unused. */
  readonly guestUsedBytes?: number;
  /** When the newest sample behind these was taken. */
  readonly observedAtMs: number;
}

/** A source of per-VMI measurements outside the Kubernetes objects, polled in the background. */
export interface ExternalVmiSource {
  readonly name: 'prometheus';
  /** The samples of a VMI ("namespace/name"); undefined when there are none usable. */
  samples(vmiKey: string): VmiSamples | undefined;
  /** Whether the last poll worked, and what went wrong if not (for logs, metrics and status). */
  health(): { readonly ok: boolean; readonly message: string; readonly lastSuccessMs?: number };
}
