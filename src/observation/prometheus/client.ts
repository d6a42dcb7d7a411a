/**
 * A small client for Prometheus' instant-query API (`GET /api/v1/query`): one request, a timeout,
 * an optional bearer token read from a file on every request (projected ServiceAccount tokens
 * rotate under us), an optional CA bundle (re-read when the file changes), and one typed error
 * whose reason says what to fix. It parses range vectors ("matrix") and instant vectors.
 */
import { readFile, stat } from 'node:fs/promises';
import { Agent, fetch } from 'undici';

export type PrometheusErrorReason =
  | 'Unreachable'
  | 'Timeout'
  | 'Unauthorized'
  | 'HttpError'
  | 'BadResponse'
  | 'QueryError'
  | 'TokenUnreadable'
  | 'CaUnreadable';

export class PrometheusError extends Error {
  override readonly name = 'PrometheusError';
  constructor(
    readonly reason: PrometheusErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. `http://prometheus.monitoring:9090` or `https://host/prometheus`. */
  readonly url: string;
  /** Whole request, body included. */
  readonly timeoutMs: number;
  /** File holding a bearer token (re-read on every request). */
  readonly bearerTokenFile?: string;
  /** PEM bundle of the CAs that sign Prometheus' serving certificate (re-read when it changes). */
  readonly caFile?: string;
}

export interface Sample {
  readonly timeMs: number;
  /** As Prometheus wrote it: NaN and ±Inf stay what they are. */
  readonly value: number;
}

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Oldest first. */
  readonly samples: readonly Sample[];
}

export interface QueryResult {
  readonly resultType: 'matrix' | 'vector';
  readonly series: readonly Series[];
}

/** Prometheus writes sample values as strings: "1048576", "NaN", "+Inf". */
function sampleOf(pair: unknown): Sample | undefined {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'number' || typeof pair[1] !== 'string') return undefined;
  const text = pair[1];
  const value = text === 'NaN' ? NaN : text === '+Inf' ? Infinity : text === '-Inf' ? -Infinity : Number(text);
  if (Number.isNaN(value) && text !== 'NaN') return undefined;
  return { timeMs: Math.round(pair[0] * 1000), value };
}

function labelsOf(metric: unknown): Record<string, string> | undefined {
  if (typeof metric !== 'object' || metric === null || Array.isArray(metric)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metric)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The `data` of a successful answer, or a BadResponse error saying what did not fit. */
export function parseQueryData(data: unknown): QueryResult {
  const bad = (what: string) => new PrometheusError('BadResponse', `unexpected answer from Prometheus: ${what}`);
  if (typeof data !== 'object' || data === null) throw bad('no data');
  const { resultType, result } = data as { resultType?: unknown; result?: unknown };
  if (resultType !== 'matrix' && resultType !== 'vector') throw bad(`resultType ${JSON.stringify(resultType)}, expected matrix or vector`);
  if (!Array.isArray(result)) throw bad('result is not a list');
  const series: Series[] = [];
  for (const item of result) {
    const labels = labelsOf((item as { metric?: unknown })?.metric);
    if (!labels) throw bad('a series without labels');
    const raw = resultType === 'matrix' ? (item as { values?: unknown }).values : [(item as { value?: unknown }).value];
    if (!Array.isArray(raw)) throw bad('a series without samples');
    const samples = raw.map(sampleOf);
    if (samples.some((s) => s === undefined)) throw bad('a sample that is not [time, "value"]');
    series.push({ labels, samples: (samples as Sample[]).sort((a, b) => a.timeMs - b.timeMs) });
  }
  return { resultType, series };
}

export class PrometheusClient {
  private readonly base: string;
  private agent: { key: string; agent: Agent } | undefined;

  constructor(private readonly opts: PrometheusClientOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new Error(`not a URL: "${opts.url}" (expected e.g. http://prometheus.monitoring:9090)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`not an http(s) URL: "${opts.url}"`);
    if (url.search || url.hash) throw new Error(`the URL must not carry a query or fragment: "${opts.url}"`);
    this.base = url.toString().replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /** Evaluates `expr` at `timeMs` (Prometheus' own clock when absent). Throws PrometheusError only. */
  async query(expr: string, opts: { timeMs?: number; signal?: AbortSignal } = {}): Promise<QueryResult> {
    const url = new URL(`${this.base}/api/v1/query`);
    url.searchParams.set('query', expr);
    if (opts.timeMs !== undefined) url.searchParams.set('time', (opts.timeMs / 1000).toFixed(3));
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    const dispatcher = await this.dispatcher();
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { headers, signal, ...(dispatcher ? { dispatcher } : {}) });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (timeout.aborted) throw new PrometheusError('Timeout', `Prometheus at ${this.base} did not answer within ${this.opts.timeoutMs} ms`);
      if (opts.signal?.aborted) throw new PrometheusError('Unreachable', 'query cancelled');
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new PrometheusError('Unreachable', `cannot reach Prometheus at ${this.base}: ${cause}`);
    }
    let body: { status?: unknown; data?: unknown; errorType?: unknown; error?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    if (status === 401 || status === 403) {
      throw new PrometheusError('Unauthorized', `Prometheus at ${this.base} refused the query (HTTP ${status})${this.opts.bearerTokenFile ? `: check the token in ${this.opts.bearerTokenFile}` : ': it may need a bearer token (--prometheus-bearer-token-file)'}`);
    }
    if (body && body.status === 'error') {
      throw new PrometheusError('QueryError', `Prometheus refused the query (HTTP ${status}, ${String(body.errorType)}): ${String(body.error)}`);
    }
    if (status < 200 || status >= 300) throw new PrometheusError('HttpError', `Prometheus at ${this.base} answered HTTP ${status}: ${text.slice(0, 200).trim()}`);
    if (!body || body.status !== 'success') throw new PrometheusError('BadResponse', `Prometheus at ${this.base} answered something that is not its API's JSON: ${text.slice(0, 200).trim()}`);
    return parseQueryData(body.data);
  }

  async close(): Promise<void> {
    const a = this.agent;
    this.agent = undefined;
    await a?.agent.close();
  }

  private async token(): Promise<string | undefined> {
    const file = this.opts.bearerTokenFile;
    if (!file) return undefined;
    try {
      const token = (await readFile(file, 'utf8')).trim();
      if (!token) throw new Error('the file is empty');
      return token;
    } catch (err) {
      throw new PrometheusError('TokenUnreadable', `cannot read the bearer token file ${file}: ${describeFsError(err)}`);
    }
  }

  private async dispatcher(): Promise<Agent | undefined> {
    const file = this.opts.caFile;
    if (!file) return undefined;
    let key: string;
    let ca: string;
    try {
      const s = await stat(file);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
      if (this.agent?.key === key) return this.agent.agent;
      ca = await readFile(file, 'utf8');
    } catch (err) {
      throw new PrometheusError('CaUnreadable', `cannot read the CA file ${file}: ${describeFsError(err)}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new PrometheusError('CaUnreadable', `the CA file ${file} holds no PEM certificate`);
    const old = this.agent;
    this.agent = { key, agent: new Agent({ connect: { ca } }) };
    void old?.agent.close().catch(() => undefined);
    return this.agent.agent;
  }
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e instanceof Error ? e.message : String(err);
}
