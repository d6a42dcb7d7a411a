/**
 * NodeLink (placement.offline-first.io/v1alpha1, cluster-scoped): one per client node, named after
 * the node, holding what the link agent on that node measured of its link to the data centre.
 * Only the agent running on the node may write it (a ValidatingAdmissionPolicy keyed on the
 * pod-bound token's node name); the operator reads it. Measurements are observed state, so they
 * live in status; spec is empty.
 */
import type { KubeObject } from './objects.js';

export interface NodeLinkProbe {
  /** When the probe finished (RFC 3339). */
  measuredAt: string;
  /** Goodput of this probe, bytes per second. */
  bandwidthBytesPerSecond: number;
  /** Round-trip time of this probe, milliseconds. */
  rttMs: number;
  /** Bytes this probe moved (within the agent's byte cap). */
  bytes: number;
  /** How long the transfer took, seconds. */
  seconds: number;
}

export interface NodeLinkStatus {
  /** The smoothed estimate the operator uses: one bad probe does not flip decisions. */
  bandwidthBytesPerSecond?: number;
  rttMs?: number;
  /** When the newest probe that fed the estimate finished (RFC 3339); older than linkMaxAge is stale. */
  measuredAt?: string;
  /** The newest probe, unsmoothed. */
  lastProbe?: NodeLinkProbe;
  /** Probes that fed the estimate since the agent started. */
  probes?: number;
  /** Where the agent measured to (host:port). */
  reflector?: string;
  /** The last probe's failure, if it failed (the estimate stays as it was). */
  lastError?: string;
}

export interface NodeLink extends KubeObject {
  spec?: Record<string, never>;
  status?: NodeLinkStatus;
}
