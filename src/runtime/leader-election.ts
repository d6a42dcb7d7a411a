/**
 * Leader election over a coordination.k8s.io/v1 Lease, after client-go's `leaderelection`.
 *
 * States of one `run()`:
 *   Candidate -> try at once, then every retryPeriod (jittered): read the Lease and take it when it
 *                is absent, released (empty holder) or expired -> Leading
 *   Leading   -> `onStartedLeading(signal)`; renew every retryPeriod. No successful renewal for
 *                renewDeadline, or the Lease names another holder -> Lost: abort the signal,
 *                `onStoppedLeading()`, `run()` resolves "lost" (the caller decides: exit or run again)
 *   `stop()`  -> as a candidate: resolves "stopped". As the leader: abort the signal and keep
 *                renewing until `onStartedLeading`'s promise settles (drain before handing over),
 *                then release the Lease (empty holder, leaseDurationSeconds 1, as client-go's
 *                ReleaseOnCancel) so a candidate takes it at its next try, not after expiry.
 *
 * Guarantees:
 * - Every write is an update carrying the resourceVersion we read (or a create that fails if the
 *   Lease exists): a 409 means another candidate wrote first and won the round; we never
 *   overwrite blindly.
 * - Expiry is judged on our own clock from when we first saw the Lease's current content, never
 *   from its renewTime (another machine's clock), as client-go does.
 * - `isLeader()` turns false at renewDeadline after the last successful renewal was *sent*; a
 *   candidate can take over only leaseDuration after it *saw* that renewal, which is later. With
 *   renewDeadline < leaseDuration there is no moment with two leaders (up to clock-rate drift).
 */
import type { KubeClient } from '../kube/client.js';
import { FIELD_MANAGER } from '../kube/client.js';
import { isAlreadyExists, isConflict, isNotFound } from '../kube/errors.js';
import { toMicroTime, type Lease, type LeaseSpec } from '../kube/lease.js';
import { apiVersionOf, resourcePath, Resources } from '../kube/resources.js';
import { sleep } from './backoff.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export interface LeaderElectionOptions {
  namespace: string;
  /** Name of the Lease object. */
  name: string;
  /** Unique per candidate (e.g. the pod name); written as holderIdentity. */
  identity: string;
  /** How long candidates wait after the last renewal they saw before taking over (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failing renewal before it steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Pause between tries, as candidate and as leader (default 2 s). */
  retryPeriodMs?: number;
  /** Release the Lease when stopped while leading (default true). */
  releaseOnStop?: boolean;
  /** Source of the times written and of expiry decisions; timers still run in real time. */
  clock?: Clock;
  random?: () => number;
  /** Every error the loop recovers from (API errors, throwing callbacks), for logs and metrics. */
  onError?(err: unknown, phase: LeaderElectionPhase): void;
}

export type LeaderElectionPhase = 'acquire' | 'renew' | 'release' | 'callback';

export interface LeaderCallbacks {
  /**
   * This candidate now leads; `signal` aborts when that ends. If it returns a promise, the Lease
   * is released only after it settles, so the work should stop promptly once `signal` aborts.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Leadership ended (lost or released), after `onStartedLeading`'s work settled. Once per term. */
  onStoppedLeading(): void;
  /** A holder other than the last one reported was observed (this candidate included). */
  onNewLeader?(identity: string): void;
}

/** Why `run()` returned: `stop()` was called, or leadership was lost. */
export type LeadershipEnd = 'stopped' | 'lost';

/** client-go's JitterFactor: candidates retry after retryPeriod x [1, 2.2). */
const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly leaseDurationSeconds: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly stopping = new AbortController();
  private running: Promise<LeadershipEnd> | undefined;
  /** The Lease as last read or written; its resourceVersion guards the next update. */
  private observed: Lease | undefined;
  private observedSpec = '';
  /** Our clock when `observed.spec` last changed; expiry counts from here. */
  private observedAtMs = 0;
  /** While leading: the time after which we must not act without a further renewal; 0 otherwise. */
  private leadingUntilMs = 0;
  private reportedLeader: string | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    // Same checks as client-go's NewLeaderElector: they are what makes two leaders impossible.
    if (!opts.identity) throw new Error('leader election: identity must not be empty');
    if (!opts.namespace || !opts.name) throw new Error('leader election: the Lease needs a namespace and a name');
    if (!(this.retryPeriodMs > 0)) throw new Error('leader election: retryPeriodMs must be positive');
    if (!(this.leaseDurationMs > this.renewDeadlineMs)) {
      throw new Error(`leader election: leaseDurationMs (${this.leaseDurationMs}) must be greater than renewDeadlineMs (${this.renewDeadlineMs})`);
    }
    if (!(this.renewDeadlineMs > JITTER_FACTOR * this.retryPeriodMs)) {
      throw new Error(
        `leader election: renewDeadlineMs (${this.renewDeadlineMs}) must be greater than ${JITTER_FACTOR} x retryPeriodMs (${this.retryPeriodMs})`,
      );
    }
    // The Lease holds whole seconds; rounding up keeps candidates waiting at least leaseDurationMs.
    this.leaseDurationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.random = opts.random ?? Math.random;
  }

  /** True while this candidate holds the Lease and may act on it. */
  isLeader(): boolean {
    return this.clock.now() < this.leadingUntilMs;
  }

  /** The holder last observed; undefined when unknown or released. */
  leader(): string | undefined {
    return this.observed?.spec?.holderIdentity || undefined;
  }

  /** Campaigns, leads, and resolves when leadership ends or `stop()` is called. */
  run(callbacks: LeaderCallbacks): Promise<LeadershipEnd> {
    if (this.running) throw new Error(`leader election for ${this.describe()} is already running`);
    const term = this.campaign(callbacks).finally(() => {
      this.running = undefined;
    });
    this.running = term;
    return term;
  }

  /** Stops campaigning; a leader drains its work, then releases the Lease. Resolves when done. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async campaign(cb: LeaderCallbacks): Promise<LeadershipEnd> {
    const stop = this.stopping.signal;
    if (!(await this.acquire(cb, stop))) return 'stopped';
    if (stop.aborted) {
      await this.release();
      return 'stopped';
    }

    const leading = new AbortController();
    const work = (async () => cb.onStartedLeading(leading.signal))().catch((err: unknown) => this.report(err, 'callback'));
    const renewStop = new AbortController();
    const renewing = this.renewLoop(cb, renewStop.signal);

    let onStop = () => {};
    const end = await new Promise<LeadershipEnd>((resolve) => {
      onStop = () => resolve('stopped');
      if (stop.aborted) return resolve('stopped');
      stop.addEventListener('abort', onStop, { once: true });
      void renewing.then((r) => r === 'lost' && resolve('lost'));
    });
    stop.removeEventListener('abort', onStop);

    if (end === 'lost') this.leadingUntilMs = 0;
    leading.abort();
    await work;
    renewStop.abort();
    const renewal = await renewing;
    if (end === 'stopped' && renewal !== 'lost' && (this.opts.releaseOnStop ?? true)) await this.release();
    this.leadingUntilMs = 0;
    try {
      cb.onStoppedLeading();
    } catch (err) {
      this.report(err, 'callback');
    }
    return end;
  }

  /** Tries until the Lease is ours (true) or `stop` aborts (false). */
  private async acquire(cb: LeaderCallbacks, stop: AbortSignal): Promise<boolean> {
    while (!stop.aborted) {
      const sentAt = this.clock.now();
      const acquired = await this.tryAcquireOrRenew(AbortSignal.any([stop, AbortSignal.timeout(this.renewDeadlineMs)]), 'acquire');
      if (acquired) this.leadingUntilMs = sentAt + this.renewDeadlineMs;
      this.reportLeader(cb);
      if (acquired) return true;
      await sleep(this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR), stop);
    }
    return false;
  }

  /** Renews every retryPeriod until renewals fail for renewDeadline ("lost") or `until` aborts. */
  private async renewLoop(cb: LeaderCallbacks, until: AbortSignal): Promise<LeadershipEnd> {
    for (;;) {
      await sleep(this.retryPeriodMs, until);
      for (;;) {
        if (until.aborted) return 'stopped';
        const remainingMs = this.leadingUntilMs - this.clock.now();
        if (remainingMs <= 0) return 'lost';
        const sentAt = this.clock.now();
        const renewed = await this.tryAcquireOrRenew(AbortSignal.any([until, AbortSignal.timeout(remainingMs)]), 'renew');
        this.reportLeader(cb);
        if (renewed) {
          this.leadingUntilMs = sentAt + this.renewDeadlineMs;
          break;
        }
        if (until.aborted) return 'stopped';
        if (this.heldByAnother(this.clock.now())) return 'lost';
        await sleep(Math.min(this.retryPeriodMs, Math.max(0, this.leadingUntilMs - this.clock.now())), until);
      }
    }
  }

  /** One round of client-go's tryAcquireOrRenew: true when the Lease is ours after it. */
  private async tryAcquireOrRenew(signal: AbortSignal, phase: LeaderElectionPhase): Promise<boolean> {
    const now = this.clock.now();
    const at = toMicroTime(now);

    // Fast path for a leader: update the Lease as we last wrote it, without reading it first.
    const last = this.observed;
    if (last?.spec?.holderIdentity === this.opts.identity && this.isLeaseValid(now)) {
      try {
        this.observe(await this.write({ metadata: last.metadata, spec: this.renewed(last.spec, at) }, signal));
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.report(err, phase); // someone else wrote it, or the API failed: read and decide below
      }
    }

    let current: Lease;
    try {
      current = await this.read(signal);
    } catch (err) {
      if (!isNotFound(err)) {
        if (!signal.aborted) this.report(err, phase);
        return false;
      }
      const spec: LeaseSpec = { ...this.renewed(undefined, at), acquireTime: at, leaseTransitions: 0 };
      try {
        this.observe(await this.create({ metadata: { name: this.opts.name, namespace: this.opts.namespace }, spec }, signal));
        return true;
      } catch (createErr) {
        // AlreadyExists: another candidate created it first and won this round.
        if (!isAlreadyExists(createErr) && !signal.aborted) this.report(createErr, phase);
        return false;
      }
    }

    this.observe(current);
    if (this.heldByAnother(now)) return false;
    const spec = current.spec ?? {};
    const next: LeaseSpec =
      spec.holderIdentity === this.opts.identity
        ? this.renewed(spec, at)
        : { ...this.renewed(spec, at), acquireTime: at, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    try {
      this.observe(await this.write({ metadata: current.metadata, spec: next }, signal));
      return true;
    } catch (err) {
      // Conflict: the Lease changed since we read it; whoever wrote it won this round.
      if (!isConflict(err) && !signal.aborted) this.report(err, phase);
      return false;
    }
  }

  /** Gives the Lease up if we still hold it, so a candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    // No longer leading from here on: the Lease may change hands as soon as the write lands.
    this.leadingUntilMs = 0;
    const signal = AbortSignal.timeout(this.renewDeadlineMs);
    try {
      const current = await this.read(signal);
      this.observe(current);
      if (current.spec?.holderIdentity !== this.opts.identity) return;
      const at = toMicroTime(this.clock.now());
      const spec: LeaseSpec = { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, acquireTime: at, renewTime: at };
      this.observe(await this.write({ metadata: current.metadata, spec }, signal));
    } catch (err) {
      this.report(err, 'release');
    }
  }

  private renewed(spec: LeaseSpec | undefined, at: string): LeaseSpec {
    return { ...spec, holderIdentity: this.opts.identity, leaseDurationSeconds: this.leaseDurationSeconds, renewTime: at };
  }

  private observe(lease: Lease): void {
    const spec = JSON.stringify(lease.spec ?? {});
    if (spec !== this.observedSpec) {
      this.observedSpec = spec;
      this.observedAtMs = this.clock.now();
    }
    this.observed = lease;
  }

  private isLeaseValid(now: number): boolean {
    return this.observedAtMs + (this.observed?.spec?.leaseDurationSeconds ?? 0) * 1000 > now;
  }

  private heldByAnother(now: number): boolean {
    const holder = this.observed?.spec?.holderIdentity;
    return !!holder && holder !== this.opts.identity && this.isLeaseValid(now);
  }

  private reportLeader(cb: LeaderCallbacks): void {
    const holder = this.leader();
    if (!holder || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    try {
      cb.onNewLeader?.(holder);
    } catch (err) {
      this.report(err, 'callback');
    }
  }

  private report(err: unknown, phase: LeaderElectionPhase): void {
    this.opts.onError?.(err, phase);
  }

  private describe(): string {
    return `Lease ${this.opts.namespace}/${this.opts.name}`;
  }

  private read(signal: AbortSignal): Promise<Lease> {
    return this.client.request<Lease>('GET', resourcePath(Resources.lease, this.opts.namespace, this.opts.name), { signal });
  }

  private create(lease: Lease, signal: AbortSignal): Promise<Lease> {
    return this.client.request<Lease>('POST', resourcePath(Resources.lease, this.opts.namespace), {
      body: withType(lease),
      query: { fieldManager: FIELD_MANAGER },
      signal,
    });
  }

  /** A replace guarded by `lease.metadata.resourceVersion`: the server answers 409 if it is stale. */
  private write(lease: Lease, signal: AbortSignal): Promise<Lease> {
    const { managedFields: _owned, ...metadata } = lease.metadata;
    return this.client.request<Lease>('PUT', resourcePath(Resources.lease, this.opts.namespace, this.opts.name), {
      body: withType({ metadata, spec: lease.spec }),
      query: { fieldManager: FIELD_MANAGER },
      signal,
    });
  }
}

function withType(lease: Lease): Lease {
  return { apiVersion: apiVersionOf(Resources.lease), kind: Resources.lease.kind, ...lease };
}
