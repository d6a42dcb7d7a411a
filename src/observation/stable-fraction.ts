/** A value in [0, 1) fixed by `text`: the same on every replica and every run (jitter, draws from a table). */
import { createHash } from 'node:crypto';

export function stableFraction(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}
