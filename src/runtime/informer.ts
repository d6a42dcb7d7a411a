/**
 * An informer: a read-only cache of one resource kept current by list + watch.
 *
 * State machine (after kube-rs's watcher):
 *   Listing  -> list every page, replace the cache, note the list's resourceVersion -> Watching
 *   Watching -> watch from the last resourceVersion seen (bookmarks included);
 *               stream ends normally        -> Watching (resume from the last resourceVersion)
 *               410 Gone / "Expired" event  -> Listing (relist; the resourceVersion is too old)
 *               any other error             -> wait with capped backoff, then Watching (or Listing
 *                                              if the list itself failed)
 * It never throws out of its loop and never exits the process; `stop()` ends it.
 * Cached objects have `metadata.managedFields` removed: the project never reads them and they
 * are a large share of an object's size. A `transform` may trim them further (bookmarks excepted).
 */
import type { KubeClient, WatchEvent } from '../kube/client.js';
import { KubeApiError, isGone } from '../kube/errors.js';
import { objectKey, type KubeObject, type StatusBody } from '../kube/objects.js';
import type { Resource } from '../kube/resources.js';
import { backoffDelayMs, sleep, type BackoffPolicy } from './backoff.js';

const SHORT_WATCH_MS = 1000;

export interface InformerHandler<T> {
  /** An object appeared or changed; `old` is the cached version before, if any. */
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions<T extends KubeObject = KubeObject> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  backoff?: BackoffPolicy;
  /** Upper bound of one watch request; the server ends the stream after it and we resume. */
  watchTimeoutSeconds?: number;
  /**
   * Applied to every listed or watched object before it is cached or handed to a handler, e.g. to
   * keep only the fields the caller reads. Must not throw.
   */
  transform?(obj: T): T;
  /** Called with every error the loop recovers from (for logs and metrics). */
  onError?(err: unknown, phase: 'list' | 'watch'): void;
}

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly abort = new AbortController();
  private resourceVersion: string | undefined;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private loop: Promise<void> | undefined;
  /** Counts relists, for tests and metrics. */
  relists = 0;
  private watchEvents = 0;

  constructor(
    private readonly client: KubeClient,
    readonly resource: Resource,
    private readonly opts: InformerOptions<T> = {},
  ) {}

  addHandler(h: InformerHandler<T>): void {
    this.handlers.push(h);
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  private async run(): Promise<void> {
    const backoff = this.opts.backoff ?? { initialMs: 200, maxMs: 30_000 };
    const signal = this.abort.signal;
    let needList = true;
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const started = Date.now();
        const eventsBefore = this.watchEvents;
        await this.watchOnce(signal);
        // As client-go's reflector: a watch that closes at once without events is a failure, or an
        // API server (or proxy) that keeps doing so would be called again in a tight loop.
        if (this.watchEvents === eventsBefore && Date.now() - started < SHORT_WATCH_MS && !signal.aborted) {
          throw new Error(`watch of ${this.resource.plural} closed after less than ${SHORT_WATCH_MS} ms without events`);
        }
        failures = 0;
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          needList = true;
          continue;
        }
        this.opts.onError?.(err, needList ? 'list' : 'watch');
        failures++;
        await sleep(backoffDelayMs(backoff, failures), signal);
      }
    }
  }

  private async relist(): Promise<void> {
    // Trimmed page by page: the whole list of untrimmed objects is never held at once.
    const list = await this.client.listAll<T>(
      this.resource,
      this.opts.namespace,
      { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector },
      (item) => this.cached(item),
    );
    this.relists++;
    const seen = new Set<string>();
    for (const obj of list.items) {
      const key = objectKey(obj);
      seen.add(key);
      this.upsert(key, obj);
    }
    for (const [key, old] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        for (const h of this.handlers) h.onDelete?.(old);
      }
    }
    this.resourceVersion = list.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private watchOnce(signal: AbortSignal): Promise<void> {
    const timeoutSeconds = this.opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 120);
    return this.client.watch<T>(
      this.resource,
      this.opts.namespace,
      {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      },
      (e) => this.apply(e),
      signal,
    );
  }

  private apply(e: WatchEvent<T>): void {
    this.watchEvents++;
    if (e.type === 'ERROR') {
      const s = e.object as StatusBody;
      throw new KubeApiError('WATCH', this.resource.plural, s.code ?? 500, s.reason ?? 'Error', s.message ?? 'watch error');
    }
    const resourceVersion = (e.object as T).metadata?.resourceVersion;
    if (resourceVersion) this.resourceVersion = resourceVersion;
    if (e.type === 'BOOKMARK') return;
    const obj = this.cached(e.object as T);
    const key = objectKey(obj);
    if (e.type === 'DELETED') {
      const old = this.store.get(key);
      this.store.delete(key);
      for (const h of this.handlers) h.onDelete?.(old ?? obj);
      return;
    }
    this.upsert(key, obj);
  }

  private cached(obj: T): T {
    if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
    return this.opts.transform ? this.opts.transform(obj) : obj;
  }

  private upsert(key: string, obj: T): void {
    const old = this.store.get(key);
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.store.set(key, obj);
    for (const h of this.handlers) h.onUpsert?.(obj, old);
  }
}
