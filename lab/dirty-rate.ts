/**
 * QEMU's own dirty-rate measurement (calc-dirty-rate, then query-dirty-rate) over several windows.
 * Under TCG only page-sampling works: QEMU 7.2 segfaults on dirty-bitmap and dirty-ring without
 * KVM (seen in this lab), so the lab never asks for them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { JsonObject, QmpClient } from './qmp.js';

export const DIRTY_RATE_MODE = 'page-sampling';

export interface DirtyRateWindow {
  readonly calcTimeSeconds: number;
  /** Sampled pages per GiB; QEMU's default (and KubeVirt's) is 512, allowed 128..16384. */
  readonly samplePages: number;
}

export interface DirtyRateMeasurement extends DirtyRateWindow {
  readonly mode: string;
  /** QEMU's result in MB/s (its unit; MiB-based in 7.2's code). */
  readonly dirtyRateMBps: number;
  /** query-dirty-rate as returned. */
  readonly raw: JsonObject;
}

export async function measureDirtyRate(qmp: QmpClient, window: DirtyRateWindow): Promise<DirtyRateMeasurement> {
  await qmp.execute('calc-dirty-rate', { 'calc-time': window.calcTimeSeconds, 'sample-pages': window.samplePages, mode: DIRTY_RATE_MODE });
  await sleep(window.calcTimeSeconds * 1000);
  const deadline = Date.now() + 10000 + window.calcTimeSeconds * 1000;
  for (;;) {
    const raw = (await qmp.execute('query-dirty-rate')) as JsonObject;
    if (raw['status'] === 'measured') {
      return { ...window, mode: DIRTY_RATE_MODE, dirtyRateMBps: Number(raw['dirty-rate']), raw };
    }
    if (Date.now() > deadline) throw new Error(`calc-dirty-rate of ${window.calcTimeSeconds} s never finished: ${JSON.stringify(raw)}`);
    await sleep(100);
  }
}
