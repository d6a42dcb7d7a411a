/**
 * What the probes cost. One probe moves at most `bytes` and lasts at most `seconds` (both enforced
 * by the agent and, again, by the reflector). A fleet of agents on the default schedule loads the
 * reflector on average with agents × bytes / interval, and never more than
 * agents × bytes / ((1 - jitter) × interval) over time; at any instant at most
 * replicas × maxConcurrent downloads run, each no faster than its client's link.
 */

export interface ProbeBudget {
  readonly bytes: number;
  readonly seconds: number;
}

const MiB = 1024 * 1024;

/**
 * 8 MiB fill 2 s of a 33 Mbit/s link and 0.34 s of a 200 Mbit/s one: enough for a steady rate on
 * either (docs/link-agent.md has the measured accuracy) at 28 MB/s for 1,000 agents every 5 min.
 */
export const DEFAULT_PROBE_BUDGET: ProbeBudget = { bytes: 8 * MiB, seconds: 2 };
/** The reflector's own caps: an agent asking for more gets these. */
export const DEFAULT_REFLECTOR_CAPS: ProbeBudget = { bytes: 64 * MiB, seconds: 5 };
/** 5 min: a probe, a retry and the jitter stay within the operator's default linkMaxAge of 10 min. */
export const DEFAULT_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_MAX_CONCURRENT = 8;

export const PROBE_BYTES_RANGE = { min: 256 * 1024, max: 1024 * MiB } as const;
export const PROBE_SECONDS_RANGE = { min: 0.5, max: 30 } as const;

export interface Fleet {
  readonly agents: number;
  readonly budget: ProbeBudget;
  readonly intervalMs: number;
  readonly jitterFraction: number;
  readonly reflectorReplicas: number;
  readonly maxConcurrent: number;
}

export interface ReflectorLoad {
  /** Long-run probes per second across the fleet. */
  readonly probesPerSecond: number;
  /** Long-run bytes per second if every probe used its whole byte cap. */
  readonly averageBytesPerSecond: number;
  /** The same with every interval at its shortest jittered length: a hard bound on the average. */
  readonly maxAverageBytesPerSecond: number;
  /** Downloads running at once, at most. */
  readonly maxConcurrentProbes: number;
}

export function reflectorLoad(f: Fleet): ReflectorLoad {
  const intervalSeconds = f.intervalMs / 1000;
  return {
    probesPerSecond: f.agents / intervalSeconds,
    averageBytesPerSecond: (f.agents * f.budget.bytes) / intervalSeconds,
    maxAverageBytesPerSecond: (f.agents * f.budget.bytes) / ((1 - f.jitterFraction) * intervalSeconds),
    maxConcurrentProbes: f.reflectorReplicas * f.maxConcurrent,
  };
}
