/**
 * `offline-first run`: the operator. Wires the client, the operator, leader election and the HTTP
 * endpoints; shuts down gracefully on SIGTERM/SIGINT (finishes the reconcile in flight, releases
 * the Lease). Start-up problems are one clear line and a non-zero exit.
 */
import { accessSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { KubeClient } from '../kube/client.js';
import { checkApis } from '../kube/discovery.js';
import { serveEndpoints } from '../observability/server.js';
import { Operator } from '../operator/operator.js';
import { PrometheusClient } from '../observation/prometheus/client.js';
import { PrometheusSource } from '../observation/prometheus/source.js';
import { ApiHealth } from '../runtime/api-health.js';
import { durationFlag, integerFlag, parseCommandFlags, UsageError, type FlagSpecs, type ParsedFlags } from './flags.js';
import { log, stopSignal } from './log.js';

const flags: FlagSpecs = {
  kubeconfig: { kind: 'string', value: 'PATH', help: 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)' },
  'metrics-port': { kind: 'string', value: 'N', help: 'port of /metrics (default 8080)' },
  'health-port': { kind: 'string', value: 'N', help: 'port of /healthz and /readyz (default 8081)' },
  'leader-elect': { kind: 'boolean', help: 'take a Lease before acting, so only one replica acts' },
  'leader-election-namespace': { kind: 'string', value: 'NS', help: 'namespace of the Lease (default: $POD_NAMESPACE or offline-first-system)' },
  'resync-seconds': { kind: 'string', value: 'N', help: 're-plan at least this often (default 30)' },
  'prometheus-url': { kind: 'string', value: 'URL', help: "read KubeVirt's dirty-rate gauge and guest memory from this Prometheus (off by default)" },
  'prometheus-timeout': { kind: 'string', value: 'DURATION', help: 'give up on a Prometheus query after this long (default 5s)' },
  'prometheus-window': { kind: 'string', value: 'DURATION', help: 'dirty-rate samples of this recent window count (default 10m)' },
  'prometheus-interval': { kind: 'string', value: 'DURATION', help: 'query Prometheus this often (default 30s)' },
  'prometheus-bearer-token-file': { kind: 'string', value: 'PATH', help: 'send the token in this file (re-read on every query) to Prometheus' },
  'prometheus-ca-file': { kind: 'string', value: 'PATH', help: "PEM CAs that sign Prometheus' serving certificate" },
  help: { kind: 'boolean', help: 'show this help' },
};

function readableFileFlag(parsed: ParsedFlags, name: string): string | undefined {
  const path = parsed.strings.get(name);
  if (path === undefined) return undefined;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`flag --${name}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code)})`);
  }
  return path;
}

/** The Prometheus source of `--prometheus-*`, or undefined without --prometheus-url. Flags are checked either way. */
function prometheusSourceOf(parsed: ParsedFlags, onChange: () => void): PrometheusSource | undefined {
  const timeoutMs = durationFlag(parsed, 'prometheus-timeout', '5s', 100, 300_000);
  const windowMs = durationFlag(parsed, 'prometheus-window', '10m', 10_000, 24 * 3_600_000);
  const intervalMs = durationFlag(parsed, 'prometheus-interval', '30s', 1000, 3_600_000);
  const bearerTokenFile = readableFileFlag(parsed, 'prometheus-bearer-token-file');
  const caFile = readableFileFlag(parsed, 'prometheus-ca-file');
  const url = parsed.strings.get('prometheus-url');
  if (url === undefined) {
    const orphan = ['prometheus-timeout', 'prometheus-window', 'prometheus-interval', 'prometheus-bearer-token-file', 'prometheus-ca-file'].find((f) => parsed.strings.has(f));
    if (orphan) throw new UsageError(`flag --${orphan} needs --prometheus-url`);
    return undefined;
  }
  let client: PrometheusClient;
  try {
    client = new PrometheusClient({ url, timeoutMs, ...(bearerTokenFile ? { bearerTokenFile } : {}), ...(caFile ? { caFile } : {}) });
  } catch (err) {
    throw new UsageError(`flag --prometheus-url: ${err instanceof Error ? err.message : String(err)}`);
  }
  return new PrometheusSource(client, {
    windowMs,
    intervalMs,
    onChange,
    onHealthChange: (h) => log(h.ok ? 'Prometheus source healthy' : 'Prometheus source failing, using the next dirty-rate source', { reason: h.reason, message: h.message }),
  });
}

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(args, flags, 'Usage: offline-first run [flags]', { positionals: true });
  if (!parsed) return 0;
  const metricsPort = integerFlag(parsed, 'metrics-port', 8080, 1, 65535);
  const healthPort = integerFlag(parsed, 'health-port', 8081, 1, 65535);
  const resyncSeconds = integerFlag(parsed, 'resync-seconds', 30, 1, 3600);
  // The operator is built after the source; a change before then has nothing to re-plan.
  let onExternalChange = (): void => undefined;
  const prometheus = prometheusSourceOf(parsed, () => onExternalChange());
  const client = KubeClient.load(parsed.strings.get('kubeconfig'));
  try {
    const v = await client.serverVersion();
    log('connected', { server: client.server, version: v.gitVersion });
  } catch (err) {
    throw new Error(`cannot reach the cluster: ${err instanceof Error ? err.message : String(err)}`);
  }
  await checkApis(client);
  const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}`;
  const operator = new Operator(client, {
    identity,
    resyncMs: resyncSeconds * 1000,
    log,
    ...(prometheus ? { externalSource: prometheus } : {}),
    ...(parsed.booleans.has('leader-elect')
      ? { leaderElection: { namespace: parsed.strings.get('leader-election-namespace') ?? process.env.POD_NAMESPACE ?? 'offline-first-system' } }
      : {}),
  });
  // Ready only while the API server answers too: an operator cut off from it can neither see nor act.
  const apiHealth = new ApiHealth((signal) => client.request('GET', '/version', { signal }), {
    onChange: (reachable, error) => log(reachable ? 'API server reachable again' : 'API server unreachable, not ready', error ? { error: String(error) } : undefined),
  });
  // The ports first: one in use ends the command before anything else has started.
  const stopServing = await serveEndpoints(
    { registry: operator.metrics.registry, live: () => true, ready: () => operator.isReady() && apiHealth.isReachable() },
    metricsPort,
    healthPort,
  );
  log('serving', { metricsPort, healthPort, identity });
  apiHealth.start();
  // Re-plan only when some VMI's samples changed.
  onExternalChange = () => operator.replan();
  prometheus?.start();
  if (prometheus) log('reading Prometheus', { url: parsed.strings.get('prometheus-url') });
  const stopped = stopSignal();
  await operator.start();
  const signal = await stopped;
  log('shutting down', { signal });
  await operator.stop();
  await prometheus?.stop();
  await apiHealth.stop();
  await stopServing();
  log('stopped');
  return 0;
}
