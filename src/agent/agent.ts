/**
 * The link agent's loop: probe the reflector on the schedule, keep the smoothed estimate, publish
 * each result. Probe, sink, clock, random source and sleep are injected, so the loop runs in tests
 * without a network or a cluster. A failed publish is logged and retried with the next probe; it
 * never stops the loop.
 */
import type { NodeLinkStatus } from '../kube/node-link.js';
import { ProbeError, type LinkMeasurement, type ProbeOutcome } from '../link/probe.js';
import { estimateLink, recordProbe, type ProbeSample } from './estimator.js';
import { firstProbeDelayMs, nextProbeDelayMs, type ProbeSchedule } from './schedule.js';
import type { LinkSink } from './sink.js';

export interface AgentConfig {
  readonly nodeName: string;
  /** host:port of the reflector, as published. */
  readonly reflector: string;
  readonly schedule: ProbeSchedule;
  /** Stop after this many probes (measured or not); undefined: until the signal aborts. */
  readonly maxProbes?: number;
  /** Probe at once instead of at a random point of the first interval. */
  readonly startImmediately: boolean;
}

export interface AgentDeps {
  probe(signal: AbortSignal): Promise<ProbeOutcome>;
  readonly sink: LinkSink;
  now(): Date;
  random(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  log(msg: string, fields: Record<string, unknown>): void;
}

export interface AgentSummary {
  readonly attempts: number;
  readonly measured: number;
  /** The last attempt's outcome: measured, busy, or the failure reason. */
  readonly lastOutcome?: string;
  readonly status?: NodeLinkStatus;
}

interface AgentState {
  history: ProbeSample[];
  measured: number;
  lastProbe?: { sample: ProbeSample; measurement: LinkMeasurement };
  lastError?: string;
}

/** The record's limit on lastError. */
const MAX_ERROR_LENGTH = 1024;

/** The NodeLink status for the agent's state: the estimate, the newest probe, the last error. */
export function nodeLinkStatus(state: Readonly<AgentState>, reflector: string): NodeLinkStatus {
  const estimate = estimateLink(state.history);
  const status: NodeLinkStatus = { reflector, probes: state.measured };
  if (estimate) {
    status.bandwidthBytesPerSecond = estimate.bandwidthBytesPerSecond;
    status.rttMs = estimate.rttMs;
    status.measuredAt = estimate.measuredAt.toISOString();
  }
  if (state.lastProbe) {
    const { sample, measurement } = state.lastProbe;
    status.lastProbe = {
      measuredAt: sample.measuredAt.toISOString(),
      bandwidthBytesPerSecond: sample.bandwidthBytesPerSecond,
      rttMs: Math.round(sample.rttMs * 100) / 100,
      bytes: measurement.bytes,
      // The record wants a duration above 0: a loopback probe can finish within a millisecond.
      seconds: Math.max(0.001, Math.round(measurement.seconds * 1000) / 1000),
    };
  }
  if (state.lastError) status.lastError = state.lastError.slice(0, MAX_ERROR_LENGTH);
  return status;
}

export async function runAgent(config: AgentConfig, deps: AgentDeps, signal: AbortSignal): Promise<AgentSummary> {
  const state: AgentState = { history: [], measured: 0 };
  let attempts = 0;
  let failures = 0;
  let lastOutcome: string | undefined;
  let published: NodeLinkStatus | undefined;

  const publish = async (status: NodeLinkStatus): Promise<void> => {
    try {
      await deps.sink.publish(status);
      published = status;
    } catch (err) {
      deps.log('publish failed', { node: config.nodeName, error: err instanceof Error ? err.message : String(err) });
    }
  };

  if (!config.startImmediately) await deps.sleep(firstProbeDelayMs(config.schedule, deps.random), signal);
  while (!signal.aborted && (config.maxProbes === undefined || attempts < config.maxProbes)) {
    attempts++;
    let outcome: ProbeOutcome | undefined;
    let failure: string | undefined;
    try {
      outcome = await deps.probe(signal);
    } catch (err) {
      if (signal.aborted) break;
      failure = err instanceof ProbeError ? `${err.reason}: ${err.message}` : err instanceof Error ? err.message : String(err);
    }
    let retryAfterMs = 0;
    if (outcome?.kind === 'measured') {
      const m = outcome.measurement;
      const sample: ProbeSample = { measuredAt: deps.now(), bandwidthBytesPerSecond: m.bandwidthBytesPerSecond, rttMs: m.rttMs };
      state.history = recordProbe(state.history, sample);
      state.measured++;
      state.lastProbe = { sample, measurement: m };
      state.lastError = undefined;
      failures = 0;
      lastOutcome = 'measured';
    } else {
      failures++;
      if (outcome?.kind === 'busy') {
        retryAfterMs = outcome.retryAfterMs;
        lastOutcome = 'busy';
      } else {
        state.lastError = failure;
        lastOutcome = failure;
      }
    }
    const delayMs = nextProbeDelayMs(config.schedule, failures, deps.random, retryAfterMs);
    const last = config.maxProbes !== undefined && attempts >= config.maxProbes;
    const status = nodeLinkStatus(state, config.reflector);
    const fields: Record<string, unknown> = { node: config.nodeName, reflector: config.reflector, ...(last ? {} : { nextProbeInMs: delayMs }) };
    if (outcome?.kind === 'measured') {
      const m = outcome.measurement;
      deps.log('probe', {
        ...fields,
        bandwidthBytesPerSecond: m.bandwidthBytesPerSecond,
        rttMs: Math.round(m.rttMs * 100) / 100,
        bytes: m.bytes,
        capBytes: m.granted.bytes,
        seconds: Math.round(m.seconds * 1000) / 1000,
        estimateBytesPerSecond: status.bandwidthBytesPerSecond,
        estimateRttMs: status.rttMs,
      });
      await publish(status);
    } else if (outcome?.kind === 'busy') {
      deps.log('reflector busy, backing off', { ...fields, failures });
    } else {
      deps.log('probe failed', { ...fields, failures, error: failure });
      // The same error again changes nothing the operator reads: no write.
      if (published?.lastError !== status.lastError) await publish(status);
    }
    if (!last) await deps.sleep(delayMs, signal);
  }
  return { attempts, measured: state.measured, ...(lastOutcome ? { lastOutcome } : {}), ...(published ? { status: published } : {}) };
}
