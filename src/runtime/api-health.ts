/**
 * Whether the API server answers, for the operator's readiness: a cheap probe (GET /version) every
 * interval, each bounded by a timeout. After `failureThreshold` consecutive failures the API server
 * counts as unreachable; one success makes it reachable again. An operator that cannot reach its
 * API server can neither see nor act, so it should not report ready (a Service or a rollout then
 * knows), while liveness stays up: restarting it would not bring the API server back.
 *
 * States: Reachable (the start: the operator only gets here after connecting) -> failures <
 * threshold: still Reachable -> failures >= threshold: Unreachable -> one success: Reachable.
 */
import { sleep } from './backoff.js';

export interface ApiHealthOptions {
  /** Pause between probes (default 2 s). */
  intervalMs?: number;
  /** A probe that takes longer counts as failed (default 2 s). */
  timeoutMs?: number;
  /** Consecutive failures before the API server counts as unreachable (default 2). */
  failureThreshold?: number;
  /** Told when reachability changes, with the last error when it became unreachable. */
  onChange?(reachable: boolean, error?: unknown): void;
}

/** One probe: resolves when the API server answered, rejects (or aborts) otherwise. */
export type ApiProbe = (signal: AbortSignal) => Promise<unknown>;

export class ApiHealth {
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly failureThreshold: number;
  private consecutiveFailures = 0;
  private reachable = true;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly probe: ApiProbe,
    private readonly opts: ApiHealthOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 2_000;
    this.timeoutMs = opts.timeoutMs ?? 2_000;
    this.failureThreshold = opts.failureThreshold ?? 2;
    if (!(this.failureThreshold >= 1)) throw new Error('api health: failureThreshold must be at least 1');
  }

  /** False once the last `failureThreshold` probes all failed. */
  isReachable(): boolean {
    return this.reachable;
  }

  /** Probes every interval until `stop()`. */
  start(): void {
    if (this.loop) return;
    this.loop = (async () => {
      while (!this.stopping.signal.aborted) {
        await sleep(this.intervalMs, this.stopping.signal);
        if (this.stopping.signal.aborted) break;
        await this.check();
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** One probe, and the state it leads to. */
  async check(): Promise<boolean> {
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.timeoutMs)]);
    try {
      // A probe that ignores its signal still counts as failed at the timeout.
      await Promise.race([this.probe(signal), rejectOnAbort(signal)]);
      this.consecutiveFailures = 0;
      this.set(true);
    } catch (err) {
      if (this.stopping.signal.aborted) return this.reachable;
      this.consecutiveFailures++;
      if (this.consecutiveFailures >= this.failureThreshold) this.set(false, err);
    }
    return this.reachable;
  }

  private set(reachable: boolean, error?: unknown): void {
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    this.opts.onChange?.(reachable, error);
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason instanceof Error ? signal.reason : new Error('probe aborted'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}
