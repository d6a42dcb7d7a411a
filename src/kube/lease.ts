/** The coordination.k8s.io/v1 Lease, as leader election reads and writes it. */
import type { KubeObject } from './objects.js';

export interface LeaseSpec {
  /** Empty (or absent) when nobody holds the Lease, e.g. after a release. */
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime strings, see `toMicroTime`. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/**
 * A MicroTime as the API server parses it: RFC 3339 with exactly six fractional digits
 * (`2026-11-25T10:00:00.123000Z`). It rejects `Date.toISOString()`'s three digits with a 400.
 */
export function toMicroTime(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return `${iso.slice(0, -1)}000Z`;
}
