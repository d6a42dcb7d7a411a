/**
 * KubeVirt's post-copy switch (live-migration-source.go): once the completion budget has passed
 * and AllowPostCopy is set, it calls MigrateStartPostCopy. QEMU stops the guest briefly, sends the
 * device state, and the guest runs on the destination while the rest of memory is pushed in the
 * background and pulled on page faults, at the link's bandwidth. KubeVirt no longer times out a
 * migration in post-copy, so it completes (a link failure in that phase loses or pauses the guest:
 * a risk this model does not price; the planner should weigh `postCopySeconds`). Post-copy can only
 * start once QEMU migrates RAM: during a block-migration disk copy the switch waits for it.
 *
 * What is left at the switch is the union of the pages not yet sent in the current pass and those
 * dirtied since the last sync, estimated so that it grows with the dirty rate and shrinks with the
 * bandwidth (which keeps totals monotone):
 * - in pass 0 (whose length does not depend on the dirty rate): the unsent rest of the pass plus
 *   what was dirtied since it began, at most all of memory;
 * - in a later pass: the size of that pass while passes shrink (the union starts at that size and
 *   ends at the next, smaller pass: an upper bound, because the fluid sum would double-count hot
 *   pages, and the phase of a sawtooth is not monotone in the rate);
 * - while passes grow: the fixed point they grow towards, also an upper bound.
 */
import { dirtiedDuring, fixedPointSeconds, nextPassSeconds, transferSeconds, type PassMap } from './pass-map.js';

export interface PassInProgress {
  readonly index: number;
  readonly seconds: number;
  readonly elapsedSeconds: number;
}

/** Seconds of transfer left after switching to post-copy during `pass`. */
export function postCopyTransferSeconds(map: PassMap, pass: PassInProgress): number {
  const growing = nextPassSeconds(map, pass.seconds) > pass.seconds;
  const settled = growing ? fixedPointSeconds(map, pass.seconds) : pass.seconds;
  if (pass.index > 0) return settled;
  const unsentSeconds = pass.seconds - pass.elapsedSeconds;
  const dirtiedSeconds = transferSeconds(map, dirtiedDuring(map, pass.elapsedSeconds));
  const firstPassLeft = Math.min(transferSeconds(map, map.memoryBytes), unsentSeconds + dirtiedSeconds);
  return growing ? Math.max(firstPassLeft, settled) : firstPassLeft;
}
