/**
 * A VM's measurements from its sources, in the precedence DIRTY_RATE_SOURCES holds: page-sampling
 * readings written on the VMI, then Prometheus (KubeVirt's gauge: the same kind of readings), then
 * dirty-rate windows, then a mean rate, then the fallback. The guest's used memory comes from the
 * annotation, else from Prometheus. A source that has something unusable is reported and the next
 * one is asked; nothing here throws.
 *
 * Estimating a write rate from readings takes milliseconds and a plan reads every VMI, so each
 * distinct set of readings is estimated once per reader (an instance the caller keeps across plans).
 */
import { LAB_CALIBRATION, type Calibration } from '../domain/migration/calibration.js';
import { modelDirtyRate } from '../domain/migration/model-input.js';
import type { PageSamplingReading } from '../domain/migration/page-sampling.js';
import type { DirtyRateInput } from '../domain/migration/predict.js';
import type { VirtualMachineInstance } from '../kube/kubevirt.js';
import { objectKey } from '../kube/objects.js';
import { Annotations, dirtyRateFromAnnotations, dirtyRateReadingsFromAnnotations, guestUsedFromAnnotations } from './annotations.js';
import { DIRTY_RATE_SOURCES, type DirtyRateSourceName, type ExternalVmiSource } from './sources.js';

/** Dirty rate assumed when nothing is measured: conservative for a lab VM, and flagged as a fallback. */
export const FALLBACK_DIRTY_RATE_BYTES_PER_SECOND = 4e6;

const MAX_ESTIMATES = 20000;

export interface VmMeasurements {
  /** MemTotal − MemFree, raw (the model adds what it leaves out). */
  readonly guestUsedBytes?: number;
  readonly guestUsedSource?: 'annotation' | 'prometheus';
  readonly dirtyRate: { readonly input: DirtyRateInput; readonly confidence: 'measured' | 'fallback'; readonly source: DirtyRateSourceName };
  /** Values present but unusable, each naming its key. */
  readonly errors: readonly string[];
}

type Found = { input: DirtyRateInput } | { error: string } | undefined;

export class VmMeasurementReader {
  private readonly estimates = new Map<string, DirtyRateInput>();

  constructor(
    private readonly external?: ExternalVmiSource,
    private readonly calibration: Calibration = LAB_CALIBRATION,
  ) {}

  /** Whether a VMI's measurements depend on more than the object (an external source such as Prometheus). */
  get readsOutside(): boolean {
    return this.external !== undefined;
  }

  read(vmi: VirtualMachineInstance, memoryBytes: number): VmMeasurements {
    const errors: string[] = [];
    const key = objectKey(vmi);
    const samples = this.external?.samples(key);
    const used = guestUsedFromAnnotations(vmi);
    if (used.error) errors.push(used.error);
    const guestUsed =
      used.value !== undefined
        ? { guestUsedBytes: used.value, guestUsedSource: 'annotation' as const }
        : samples?.guestUsedBytes !== undefined && samples.guestUsedBytes >= 0 && samples.guestUsedBytes <= memoryBytes
          ? { guestUsedBytes: samples.guestUsedBytes, guestUsedSource: 'prometheus' as const }
          : {};

    const sources: Record<DirtyRateSourceName, () => Found> = {
      'readings-annotation': () => {
        const text = vmi.metadata.annotations?.[Annotations.dirtyRateReadings];
        if (text === undefined) return undefined;
        const readings = dirtyRateReadingsFromAnnotations(vmi);
        if (!readings.value) return readings.error ? { error: readings.error } : undefined;
        return { input: this.estimate(`a|${text}`, readings.value, memoryBytes, guestUsed.guestUsedBytes) };
      },
      prometheus: () => {
        const readings = samples?.dirtyRateReadings;
        if (!readings || readings.length === 0) return undefined;
        const signature = readings.map((r) => `${r.seconds}/${r.samplePages ?? ''}=${r.mibPerSecond}`).join(',');
        return { input: this.estimate(`p|${signature}`, readings, memoryBytes, guestUsed.guestUsedBytes) };
      },
      'windows-annotation': () => (vmi.metadata.annotations?.[Annotations.dirtyRateWindows] === undefined ? undefined : found(dirtyRateFromAnnotations(vmi))),
      'rate-annotation': () => {
        const rate = vmi.metadata.annotations?.[Annotations.dirtyRate];
        return rate === undefined ? undefined : found(dirtyRateFromAnnotations({ metadata: { annotations: { [Annotations.dirtyRate]: rate } } }));
      },
      fallback: () => ({ input: { kind: 'constant', bytesPerSecond: FALLBACK_DIRTY_RATE_BYTES_PER_SECOND } }),
    };
    for (const source of DIRTY_RATE_SOURCES) {
      const result = sources[source]();
      if (result === undefined) continue;
      if ('error' in result) {
        errors.push(result.error);
        continue;
      }
      const confidence = source === 'fallback' ? 'fallback' : 'measured';
      return { ...guestUsed, dirtyRate: { input: result.input, confidence, source }, errors };
    }
    // DIRTY_RATE_SOURCES ends with the fallback, which always answers.
    throw new Error('no dirty-rate source answered');
  }

  private estimate(key: string, readings: readonly PageSamplingReading[], memoryBytes: number, guestUsedBytes: number | undefined): DirtyRateInput {
    const full = `${memoryBytes}|${guestUsedBytes ?? ''}|${key}`;
    let value = this.estimates.get(full);
    if (value === undefined) {
      value = modelDirtyRate({ memoryBytes, ...(guestUsedBytes !== undefined ? { guestUsedBytes } : {}), dirtyRate: { kind: 'readings', readings } }, this.calibration);
      if (this.estimates.size >= MAX_ESTIMATES) this.estimates.delete(this.estimates.keys().next().value!);
      this.estimates.set(full, value);
    }
    return value;
  }
}

function found(parsed: { value?: DirtyRateInput; error?: string }): Found {
  if (parsed.error) return { error: parsed.error };
  return parsed.value ? { input: parsed.value } : undefined;
}
