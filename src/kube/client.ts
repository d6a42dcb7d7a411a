/**
 * The one Kubernetes client of the project: every read and write goes through here.
 * A thin REST layer over the credentials (a kubeconfig through @kubernetes/client-node, or a pod's
 * ServiceAccount), so the project controls resourceVersions, subresources, server-side apply and
 * watch streams exactly.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fetch, request, type Dispatcher } from 'undici';
import { KubeApiError } from './errors.js';
import type { KubeList, KubeObject, StatusBody } from './objects.js';
import { apiVersionOf, resourcePath, type Resource } from './resources.js';
import type { Credentials } from './credentials.js';
import { InClusterCredentials } from './in-cluster.js';
import { KubeconfigCredentials, newKubeConfig } from './kubeconfig-credentials.js';

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T | StatusBody;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export const FIELD_MANAGER = 'offline-first';

export class KubeClient {
  /** The API server's URL. */
  readonly server: string;

  constructor(readonly credentials: Credentials) {
    this.server = credentials.server;
  }

  /** The kubeconfig behind this client; a client with in-cluster credentials has none. */
  get config(): KubeConfig {
    if (this.credentials instanceof KubeconfigCredentials) return this.credentials.config;
    throw new Error('this client authenticates with its pod\'s ServiceAccount, not a kubeconfig');
  }

  static fromKubeConfig(kc: KubeConfig): KubeClient {
    return new KubeClient(new KubeconfigCredentials(kc));
  }

  /**
   * From an explicit kubeconfig path, or the usual defaults in client-go's order: KUBECONFIG,
   * ~/.kube/config, then the pod's ServiceAccount (without loading client-node).
   */
  static load(kubeconfigPath?: string): KubeClient {
    if (!kubeconfigPath && !process.env.KUBECONFIG && !existsSync(join(homedir(), '.kube', 'config'))) {
      const inCluster = InClusterCredentials.detect();
      if (inCluster) return new KubeClient(inCluster);
    }
    const kc = newKubeConfig();
    try {
      if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
      else kc.loadFromDefault();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
      throw new Error(`cannot read kubeconfig ${kubeconfigPath ?? '(default locations)'}: ${why}`);
    }
    // With nothing found, client-node falls back to http://localhost:8080, which fails later with a
    // message about TLS: say what to do instead.
    if (!kubeconfigPath && kc.getClusters().every((c) => c.server === 'http://localhost:8080') && !process.env.KUBECONFIG) {
      throw new Error(
        'no kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, put one at ~/.kube/config, or run in a pod. To try it locally: npm run cluster -- up, then --kubeconfig .cluster/kubeconfig',
      );
    }
    return KubeClient.fromKubeConfig(kc);
  }

  /**
   * A client for the same API server, trusting the same CA, that authenticates with a bearer token
   * instead: a ServiceAccount's token from a TokenRequest, say.
   */
  withBearerToken(token: string, user = 'bearer-token'): KubeClient {
    const kc = newKubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...this.config.getCurrentCluster()!, name: 'cluster' }],
      users: [{ name: user, token }],
      contexts: [{ name: user, cluster: 'cluster', user }],
      currentContext: user,
    });
    return KubeClient.fromKubeConfig(kc);
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    if (res.status >= 200 && res.status < 300) return (text ? JSON.parse(text) : {}) as T;
    throw errorFromResponse(method, path, res.status, text);
  }

  private url(path: string, query: Query = {}): URL {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    return url;
  }

  private async send(method: string, path: string, opts: RequestOptions) {
    const url = this.url(path, opts.query);
    const { headers, dispatcher } = await this.credentials.authorize(url.toString(), method);
    const h: Record<string, string> = { ...headers, accept: 'application/json' };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      h['content-type'] = opts.contentType ?? 'application/json';
    }
    try {
      return await fetch(url, { method, headers: h, body, dispatcher, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new KubeApiError(method, path, 0, 'Unreachable', `cannot reach ${this.server}: ${cause}`);
    }
  }

  get<T extends KubeObject>(r: Resource, namespace: string | undefined, name: string): Promise<T> {
    return this.request<T>('GET', resourcePath(r, namespace, name));
  }

  list<T extends KubeObject>(r: Resource, namespace?: string, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(r, namespace), { query: { ...opts } });
  }

  /** Lists every page of a collection. */
  /**
   * Every page of a list. `each` maps every item as its page arrives (an informer's trim), so that
   * only one page of whole objects is held at a time, not the whole list.
   */
  async listAll<T extends KubeObject>(r: Resource, namespace?: string, opts: ListOptions = {}, each?: (item: T) => T): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await this.list<T>(r, namespace, { limit: 500, ...opts, continue: cont });
      for (const item of page.items) items.push(each ? each(item) : item);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  create<T extends KubeObject>(r: Resource, obj: T, fieldManager = FIELD_MANAGER): Promise<T> {
    const body = { apiVersion: apiVersionOf(r), kind: r.kind, ...obj };
    return this.request<T>('POST', resourcePath(r, obj.metadata.namespace), { body, query: { fieldManager } });
  }

  /** Replaces an object; fails with a Conflict when its resourceVersion is stale. */
  update<T extends KubeObject>(r: Resource, obj: T, subresource?: string, fieldManager = FIELD_MANAGER): Promise<T> {
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name, subresource);
    return this.request<T>('PUT', path, { body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj }, query: { fieldManager } });
  }

  /** Server-side apply of the fields this manager owns. */
  apply<T extends KubeObject>(r: Resource, obj: T, opts: { subresource?: string; fieldManager?: string; force?: boolean } = {}): Promise<T> {
    const path = resourcePath(r, obj.metadata.namespace, obj.metadata.name, opts.subresource);
    return this.request<T>('PATCH', path, {
      body: { apiVersion: apiVersionOf(r), kind: r.kind, ...obj },
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: opts.force ?? true },
    });
  }

  mergePatch<T extends KubeObject>(r: Resource, namespace: string | undefined, name: string, patch: unknown, subresource?: string): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, namespace, name, subresource), {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  jsonPatch<T extends KubeObject>(r: Resource, namespace: string | undefined, name: string, ops: unknown[], subresource?: string): Promise<T> {
    return this.request<T>('PATCH', resourcePath(r, namespace, name, subresource), {
      body: ops,
      contentType: 'application/json-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  delete(r: Resource, namespace: string | undefined, name: string, opts: { uid?: string; propagationPolicy?: string } = {}): Promise<unknown> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.uid) body.preconditions = { uid: opts.uid };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    return this.request('DELETE', resourcePath(r, namespace, name), { body });
  }

  serverVersion(): Promise<{ major: string; minor: string; gitVersion: string }> {
    return this.request('GET', '/version');
  }

  /**
   * Opens one watch stream and delivers its events until the server closes it, the signal aborts,
   * or the connection fails (then it rejects). Resuming and relisting are the informer's job.
   */
  async watch<T extends KubeObject>(
    r: Resource,
    namespace: string | undefined,
    opts: WatchOptions,
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const path = resourcePath(r, namespace);
    const url = this.url(path, { ...opts, watch: true });
    const { headers, dispatcher } = await this.credentials.authorize(url.toString(), 'GET');
    // undici's request, not fetch: its body is a Node stream, without a web stream and readline
    // between the socket and JSON.parse (the watches carry every change of every VMI and node).
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method: 'GET', headers: { ...headers, accept: 'application/json' }, ...(dispatcher ? { dispatcher } : {}), signal });
    } catch (err) {
      if (signal.aborted) return;
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new KubeApiError('WATCH', path, 0, 'Unreachable', `cannot reach ${this.server}: ${cause}`);
    }
    if (res.statusCode !== 200) throw errorFromResponse('WATCH', path, res.statusCode, await res.body.text());
    let pending = '';
    const deliver = (line: string): void => {
      if (!line.trim()) return;
      let event: WatchEvent<T>;
      try {
        event = JSON.parse(line) as WatchEvent<T>;
      } catch {
        throw new KubeApiError('WATCH', path, 200, 'BadWatchEvent', `unparseable watch event: ${line.slice(0, 200)}`);
      }
      onEvent(event);
    };
    try {
      res.body.setEncoding('utf8');
      for await (const chunk of res.body as AsyncIterable<string>) {
        let start = 0;
        for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
          const line = pending + chunk.slice(start, nl);
          pending = '';
          start = nl + 1;
          deliver(line);
        }
        pending += chunk.slice(start);
      }
      deliver(pending);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      // If onEvent threw, the stream would linger until the server ends it, and a later connection
      // error on it (no listener) would crash the process. Destroying it ends the request.
      res.body.destroy();
    }
  }
}

function errorFromResponse(method: string, path: string, status: number, text: string): KubeApiError {
  let body: StatusBody | undefined;
  try {
    body = JSON.parse(text) as StatusBody;
  } catch {
    body = undefined;
  }
  const reason = body?.reason ?? (status === 404 ? 'NotFound' : status === 409 ? 'Conflict' : 'Error');
  return new KubeApiError(method, path, status, reason, body?.message ?? text.slice(0, 300), body);
}
