/** Capped exponential backoff with jitter, shared by informers and the work queue. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Delay before attempt number `failures` (1 = first retry); jitter in [0.8, 1.2) from `random`. */
export function backoffDelayMs(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const exp = policy.initialMs * 2 ** Math.max(0, Math.min(failures - 1, 40));
  return Math.min(policy.maxMs, exp) * (0.8 + 0.4 * random());
}

/** Resolves after `ms`, or early (without error) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
