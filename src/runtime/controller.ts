/**
 * Runs a level-triggered reconcile function over a work queue with N workers.
 * The error policy is separate from reconcile: a thrown error requeues the key with backoff;
 * a result can ask for a later requeue (for timed work such as cooldowns or departures).
 */
import type { WorkQueue } from './workqueue.js';

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | void>;

export interface ControllerHooks {
  onReconciled?(key: string, durationMs: number, error: unknown): void;
}

export class Controller {
  private workers: Promise<void>[] = [];

  constructor(
    readonly name: string,
    readonly queue: WorkQueue,
    private readonly reconcile: Reconciler,
    private readonly hooks: ControllerHooks = {},
  ) {}

  start(workers = 1): void {
    for (let i = 0; i < workers; i++) this.workers.push(this.work());
  }

  /** Stops taking keys and waits for reconciles in flight to finish. */
  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const start = performance.now();
      let error: unknown;
      try {
        const result = await this.reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        error = err;
        this.queue.addRateLimited(key);
      } finally {
        this.queue.done(key);
        this.hooks.onReconciled?.(key, performance.now() - start, error);
      }
    }
  }
}
