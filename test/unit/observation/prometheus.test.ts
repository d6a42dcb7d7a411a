import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, issueServingCert } from '../../../src/controlplane/certs.js';
import { PrometheusClient, PrometheusError } from '../../../src/observation/prometheus/client.js';
import { until } from '../runtime/until.js';
import { DIRTY_RATE_METRIC, MEMORY_AVAILABLE_METRIC, MEMORY_UNUSED_METRIC, PrometheusSource } from '../../../src/observation/prometheus/source.js';

const MiB = 2 ** 20;
const NOW_MS = 1_800_000_000_000;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A Prometheus stand-in on loopback: records every request and answers with `handler`. */
class FakePrometheus {
  readonly requests: { url: URL; authorization?: string }[] = [];
  handler: Handler = (_req, res) => answer(res, []);
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(make: (h: Handler) => Server = (h) => createHttpServer(h), scheme = 'http'): Promise<FakePrometheus> {
    let self: FakePrometheus | undefined;
    const server = make((req, res) => {
      self!.requests.push({ url: new URL(req.url ?? '/', 'http://x'), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      self!.handler(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new FakePrometheus(server, `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections?.();
    return new Promise((r) => this.server.close(() => r()));
  }
}

interface FakeSeries {
  metric: string;
  namespace?: string;
  name?: string;
  node?: string;
  /** [seconds before NOW, value as Prometheus writes it] */
  samples: [number, string | number][];
}

function matrix(series: readonly FakeSeries[], nowMs = NOW_MS) {
  return {
    status: 'success',
    data: {
      resultType: 'matrix',
      result: series.map((s) => ({
        metric: { __name__: s.metric, ...(s.namespace ? { namespace: s.namespace } : {}), ...(s.name ? { name: s.name } : {}), node: s.node ?? 'n1', job: 'kubevirt' },
        values: s.samples.map(([ago, v]) => [(nowMs - ago * 1000) / 1000, String(v)]),
      })),
    },
  };
}

function answer(res: ServerResponse, series: readonly FakeSeries[], nowMs = NOW_MS): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(matrix(series, nowMs)));
}

const rate = (name: string, samples: [number, string | number][], namespace = 'lab'): FakeSeries => ({ metric: DIRTY_RATE_METRIC, namespace, name, samples });
const mib = (n: number) => n * MiB;

describe('PrometheusClient', () => {
  let prom: FakePrometheus;
  let dir: string;
  beforeEach(async () => {
    prom = await FakePrometheus.start();
    dir = mkdtempSync(join(tmpdir(), 'offline-first-prom-'));
  });
  afterEach(async () => {
    await prom.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the query and its evaluation time to /api/v1/query and parses a range vector', async () => {
    prom.handler = (_req, res) => answer(res, [rate('vm-1', [[2, mib(3)], [1, 'NaN'], [0, '+Inf']])]);
    const client = new PrometheusClient({ url: `${prom.url}/`, timeoutMs: 1000 });
    const r = await client.query('up[1m]', { timeMs: NOW_MS });
    expect(prom.requests[0]!.url.pathname).to.equal('/api/v1/query');
    expect(prom.requests[0]!.url.searchParams.get('query')).to.equal('up[1m]');
    expect(prom.requests[0]!.url.searchParams.get('time')).to.equal(String(NOW_MS / 1000) + '.000');
    expect(r.resultType).to.equal('matrix');
    expect(r.series[0]!.labels).to.include({ namespace: 'lab', name: 'vm-1' });
    expect(r.series[0]!.samples.map((s) => s.value)).to.deep.equal([mib(3), NaN, Infinity]);
    expect(r.series[0]!.samples.map((s) => s.timeMs)).to.deep.equal([NOW_MS - 2000, NOW_MS - 1000, NOW_MS]);
  });

  it('sends the bearer token from its file, re-read on every request', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'first-token\n');
    const client = new PrometheusClient({ url: prom.url, timeoutMs: 1000, bearerTokenFile: tokenFile });
    await client.query('up');
    writeFileSync(tokenFile, 'rotated-token');
    await client.query('up');
    expect(prom.requests.map((r) => r.authorization)).to.deep.equal(['Bearer first-token', 'Bearer rotated-token']);
  });

  const failures: [string, Handler | 'unreachable' | 'no-token', string, RegExp][] = [
    ['an unreachable server', 'unreachable', 'Unreachable', /cannot reach Prometheus at http:\/\/127\.0\.0\.1:\d+/],
    ['a server that does not answer in time', () => undefined, 'Timeout', /did not answer within 200 ms/],
    ['HTTP 500', (_q, res) => res.writeHead(500).end('internal trouble'), 'HttpError', /HTTP 500: internal trouble/],
    ['a body that is not JSON', (_q, res) => res.writeHead(200).end('<html>login</html>'), 'BadResponse', /not its API's JSON/],
    ['a matrix of the wrong shape', (_q, res) => res.writeHead(200).end('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x",1]]}]}}'), 'BadResponse', /not \[time, "value"\]/],
    ['a refused query', (_q, res) => res.writeHead(400).end('{"status":"error","errorType":"bad_data","error":"parse error at char 3"}'), 'QueryError', /bad_data\): parse error at char 3/],
    ['HTTP 401', (_q, res) => res.writeHead(401).end('Unauthorized'), 'Unauthorized', /--prometheus-bearer-token-file/],
    ['a missing token file', 'no-token', 'TokenUnreadable', /bearer token file .*: no such file/],
  ];
  for (const [what, handler, reason, message] of failures) {
    it(`throws a PrometheusError ${reason} for ${what}`, async () => {
      let url = prom.url;
      if (handler === 'unreachable') await prom.stop().then(() => (url = prom.url));
      else if (handler !== 'no-token') prom.handler = handler;
      const client = new PrometheusClient({ url, timeoutMs: 200, ...(handler === 'no-token' ? { bearerTokenFile: join(dir, 'missing') } : {}) });
      const err = await client.query('up').then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(PrometheusError);
      expect((err as PrometheusError).reason).to.equal(reason);
      expect((err as PrometheusError).message).to.match(message);
      if (handler === 'unreachable') prom = await FakePrometheus.start();
    });
  }

  it('refuses a URL that is not http(s) when constructed', () => {
    expect(() => new PrometheusClient({ url: 'prometheus:9090', timeoutMs: 1000 })).to.throw(/not an http\(s\) URL/);
    expect(() => new PrometheusClient({ url: 'not a url', timeoutMs: 1000 })).to.throw(/not a URL/);
  });

  it("trusts a server certificate signed by the CA file, and only then", async () => {
    const ca = createCA(dir);
    const cert = issueServingCert(ca, dir, 'prometheus', ['127.0.0.1']);
    const secure = await FakePrometheus.start((h) => createHttpsServer({ cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) }, h), 'https');
    try {
      const trusting = new PrometheusClient({ url: secure.url, timeoutMs: 2000, caFile: ca.certPath });
      expect((await trusting.query('up')).resultType).to.equal('matrix');
      await trusting.close();
      const err = await new PrometheusClient({ url: secure.url, timeoutMs: 2000 }).query('up').then(() => undefined, (e: unknown) => e as PrometheusError);
      expect(err?.reason).to.equal('Unreachable');
      const notPem = join(dir, 'not-a-ca');
      writeFileSync(notPem, 'hello');
      const bad = await new PrometheusClient({ url: secure.url, timeoutMs: 2000, caFile: notPem }).query('up').then(() => undefined, (e: unknown) => e as PrometheusError);
      expect(bad?.reason).to.equal('CaUnreadable');
    } finally {
      await secure.stop();
    }
  });
});

describe('PrometheusSource', () => {
  let prom: FakePrometheus;
  let nowMs: number;
  beforeEach(async () => {
    prom = await FakePrometheus.start();
    nowMs = NOW_MS;
  });
  afterEach(() => prom.stop());

  function source(opts: { onChange?: () => void; staleAfterMs?: number } = {}): PrometheusSource {
    return new PrometheusSource(new PrometheusClient({ url: prom.url, timeoutMs: 300 }), {
      windowMs: 600_000,
      intervalMs: 1000,
      staleAfterMs: opts.staleAfterMs ?? 120_000,
      now: () => nowMs,
      ...(opts.onChange ? { onChange: opts.onChange } : {}),
    });
  }

  const values = (s: PrometheusSource, key: string) => s.samples(key)?.dirtyRateReadings?.map((r) => r.mibPerSecond);

  it('fetches every VMI with one request per poll, however many there are', async () => {
    const series = Array.from({ length: 50 }, (_, i) => rate(`vm-${i}`, [[30, mib(i % 7)], [0, mib(1)]]));
    prom.handler = (_req, res) => answer(res, series);
    const s = source();
    await s.poll();
    await s.poll();
    expect(prom.requests).to.have.length(2);
    expect(prom.requests[0]!.url.searchParams.get('query')).to.equal(
      `{__name__=~"${DIRTY_RATE_METRIC}|${MEMORY_AVAILABLE_METRIC}|${MEMORY_UNUSED_METRIC}"}[600s]`,
    );
    expect(values(s, 'lab/vm-3')).to.deep.equal([3, 1]);
    expect(values(s, 'lab/vm-49')).to.deep.equal([0, 1]);
    expect(s.health()).to.include({ ok: true, reason: 'Ok' });
  });

  it('turns whole MiB/s into 1 s page-sampling readings and counts a value KubeVirt repeated from its cache once', async () => {
    // Scraped every second: 2 2 2 (one cached reading), 2 again 4 s later (a new reading), 5, 5, then 2.
    prom.handler = (_req, res) => answer(res, [rate('vm-1', [[10, mib(2)], [9, mib(2)], [8, mib(2)], [4, mib(2)], [3, mib(5)], [2, mib(5)], [1, mib(2)]])]);
    const s = source();
    await s.poll();
    const got = s.samples('lab/vm-1')!;
    expect(got.dirtyRateReadings).to.deep.equal([2, 2, 5, 2].map((v) => ({ seconds: 1, mibPerSecond: v, samplePages: undefined })));
    expect(got.observedAtMs).to.equal(NOW_MS - 1000);
  });

  it('merges the series of a VMI that moved between nodes, in time order', async () => {
    prom.handler = (_req, res) => answer(res, [
      { ...rate('vm-1', [[60, mib(1)], [50, mib(3)]]), node: 'dc-1' },
      { ...rate('vm-1', [[20, mib(7)]]), node: 'ws-01' },
    ]);
    const s = source();
    await s.poll();
    expect(values(s, 'lab/vm-1')).to.deep.equal([1, 3, 7]);
  });

  it('drops NaN, infinite, negative, fractional-MiB and absurd values, and says so', async () => {
    prom.handler = (_req, res) => answer(res, [
      rate('vm-1', [[6, 'NaN'], [5, '+Inf'], [4, -MiB], [3, 1.5 * MiB], [2, 2 ** 41], [1, mib(4)]]),
      rate('vm-2', [[1, 'NaN']]),
      { metric: DIRTY_RATE_METRIC, samples: [[1, mib(1)]] },
    ]);
    const s = source();
    await s.poll();
    expect(values(s, 'lab/vm-1')).to.deep.equal([4]);
    expect(s.samples('lab/vm-2'), 'nothing usable: the next source decides').to.equal(undefined);
    expect(s.problemsOf('lab/vm-1')[0]).to.match(/2 not a number, 1 negative, 1 not a whole MiB\/s, 1 over 1 TiB\/s/);
    expect(s.problemsOf('lab/vm-2')[0]).to.match(/1 not a number/);
    expect(s.lastPollResult()!.dropped).to.deep.equal({ notANumber: 3, negative: 1, notWholeMiB: 1, absurd: 1, unlabelled: 1 });
    expect(s.health().message).to.match(/dropped samples: 3 not a number, 1 negative, 1 not a whole MiB\/s, 1 over 1 TiB\/s, 1 without namespace\/name labels/);
  });

  it('ignores a VMI whose newest sample is older than the staleness limit (KubeVirt 1.9 stops sampling a migrating VMI)', async () => {
    prom.handler = (_req, res) => answer(res, [rate('fresh', [[10, mib(1)]]), rate('migrating', [[400, mib(2)], [130, mib(2)]])]);
    const s = source({ staleAfterMs: 120_000 });
    await s.poll();
    expect(values(s, 'lab/fresh')).to.deep.equal([1]);
    expect(s.samples('lab/migrating')).to.equal(undefined);
    expect(s.health().message).to.match(/1 VMI\(s\) with only stale series ignored/);
    nowMs += 111_000;
    expect(s.samples('lab/fresh'), 'ages out between polls too').to.equal(undefined);
  });

  it('gives guest used memory as available minus unused when both are sane', async () => {
    prom.handler = (_req, res) => answer(res, [
      rate('vm-1', [[5, mib(1)]]),
      { metric: MEMORY_AVAILABLE_METRIC, namespace: 'lab', name: 'vm-1', samples: [[30, 2048 * MiB], [5, 2048 * MiB]] },
      { metric: MEMORY_UNUSED_METRIC, namespace: 'lab', name: 'vm-1', samples: [[5, 1248 * MiB]] },
      { metric: MEMORY_AVAILABLE_METRIC, namespace: 'lab', name: 'vm-2', samples: [[5, 1024 * MiB]] },
      { metric: MEMORY_UNUSED_METRIC, namespace: 'lab', name: 'vm-2', samples: [[5, 4096 * MiB]] },
      { metric: MEMORY_AVAILABLE_METRIC, namespace: 'lab', name: 'vm-3', samples: [[5, 'NaN']] },
      { metric: MEMORY_UNUSED_METRIC, namespace: 'lab', name: 'vm-3', samples: [[5, 0]] },
      { metric: MEMORY_AVAILABLE_METRIC, namespace: 'lab', name: 'vm-4', samples: [[5, 1024 * MiB]] },
    ]);
    const s = source();
    await s.poll();
    expect(s.samples('lab/vm-1')).to.deep.include({ guestUsedBytes: 800 * MiB });
    expect(s.samples('lab/vm-2')).to.equal(undefined);
    expect(s.problemsOf('lab/vm-2')[0]).to.match(/guest memory not usable/);
    expect(s.samples('lab/vm-3')).to.equal(undefined);
    expect(s.samples('lab/vm-4'), 'unused missing').to.equal(undefined);
  });

  const failures: [string, Handler | 'unreachable', string][] = [
    ['unreachable', 'unreachable', 'Unreachable'],
    ['too slow', () => undefined, 'Timeout'],
    ['answering HTTP 500', (_q, res) => res.writeHead(500).end('oops'), 'HttpError'],
    ['answering bad JSON', (_q, res) => res.writeHead(200).end('{"status":'), 'BadResponse'],
  ];
  for (const [what, handler, reason] of failures) {
    it(`reports a Prometheus ${what} in health, never throws, and keeps the last samples until they are stale`, async () => {
      prom.handler = (_req, res) => answer(res, [rate('vm-1', [[1, mib(2)]])]);
      const s = source({ staleAfterMs: 60_000 });
      await s.poll();
      const lastSuccessMs = s.health().lastSuccessMs;
      if (handler === 'unreachable') await prom.stop();
      else prom.handler = handler;
      nowMs += 30_000;
      await s.poll();
      expect(s.health()).to.deep.include({ ok: false, reason, lastSuccessMs });
      expect(values(s, 'lab/vm-1')).to.deep.equal([2]);
      nowMs += 31_000;
      expect(s.samples('lab/vm-1')).to.equal(undefined);
      if (handler === 'unreachable') prom = await FakePrometheus.start();
    });
  }

  it('flags an empty answer: no dirty-rate series at all', async () => {
    const s = source();
    await s.poll();
    expect(s.health()).to.include({ ok: false, reason: 'NoSeries' });
    expect(s.health().message).to.match(/KubeVirt >= 1\.6/);
  });

  it('calls onChange only when the samples served changed, expiry included', async () => {
    let changes = 0;
    let series = [rate('vm-1', [[20, mib(2)], [10, mib(3)]])];
    prom.handler = (_req, res) => answer(res, series, nowMs);
    const s = source({ onChange: () => changes++, staleAfterMs: 60_000 });
    await s.poll();
    expect(changes).to.equal(1);
    await s.poll();
    expect(changes, 'same samples').to.equal(1);
    series = [rate('vm-1', [[20, mib(2)], [10, mib(3)], [0, mib(3)]])];
    await s.poll();
    expect(changes, 'one reading more').to.equal(2);
    prom.handler = (_req, res) => res.writeHead(503).end('down');
    nowMs += 30_000;
    await s.poll();
    expect(changes, 'failed poll, samples still fresh').to.equal(2);
    nowMs += 40_000;
    await s.poll();
    expect(changes, 'samples aged out').to.equal(3);
    expect(s.samples('lab/vm-1')).to.equal(undefined);
  });

  it('re-reports guest used memory only when it moves by more than 1 %', async () => {
    let unused = 1000 * MiB;
    let changes = 0;
    prom.handler = (_req, res) => answer(res, [
      rate('vm-1', [[5, mib(1)]]),
      { metric: MEMORY_AVAILABLE_METRIC, namespace: 'lab', name: 'vm-1', samples: [[5, 2000 * MiB]] },
      { metric: MEMORY_UNUSED_METRIC, namespace: 'lab', name: 'vm-1', samples: [[5, unused]] },
    ]);
    const s = source({ onChange: () => changes++ });
    await s.poll();
    unused = 995 * MiB;
    await s.poll();
    expect(s.samples('lab/vm-1')!.guestUsedBytes).to.equal(1000 * MiB);
    expect(changes).to.equal(1);
    unused = 900 * MiB;
    await s.poll();
    expect(s.samples('lab/vm-1')!.guestUsedBytes).to.equal(1100 * MiB);
    expect(changes).to.equal(2);
  });

  it('polls on its interval from start() until stop()', async () => {
    prom.handler = (_req, res) => answer(res, [rate('vm-1', [[1, mib(1)]])]);
    const s = new PrometheusSource(new PrometheusClient({ url: prom.url, timeoutMs: 300 }), { windowMs: 60_000, intervalMs: 100, now: () => nowMs });
    s.start();
    await until('three polls', () => prom.requests.length >= 3);
    await s.stop();
    const polls = prom.requests.length;
    await new Promise((r) => setTimeout(r, 250));
    expect(prom.requests).to.have.length(polls);
  });
});
