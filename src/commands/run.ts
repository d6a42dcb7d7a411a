/**
 * `offline-first run`: the operator. Wires the client, the operator, leader election and the HTTP
 * endpoints; shuts down gracefully on SIGTERM/SIGINT (finishes the reconcile in flight, releases
 * the Lease). Start-up problems are one clear line and a non-zero exit.
 */
import { hostname } from 'node:os';
import { KubeClient } from '../kube/client.js';
import { checkApis } from '../kube/discovery.js';
import { serveEndpoints } from '../observability/server.js';
import { Operator } from '../operator/operator.js';
import { ApiHealth } from '../runtime/api-health.js';
import { integerFlag, parseCommandFlags, type FlagSpecs } from './flags.js';

const flags: FlagSpecs = {
  kubeconfig: { kind: 'string', value: 'PATH', help: 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)' },
  'metrics-port': { kind: 'string', value: 'N', help: 'port of /metrics (default 8080)' },
  'health-port': { kind: 'string', value: 'N', help: 'port of /healthz and /readyz (default 8081)' },
  'leader-elect': { kind: 'boolean', help: 'take a Lease before acting, so only one replica acts' },
  'leader-election-namespace': { kind: 'string', value: 'NS', help: 'namespace of the Lease (default: $POD_NAMESPACE or offline-first-system)' },
  'resync-seconds': { kind: 'string', value: 'N', help: 're-plan at least this often (default 30)' },
  help: { kind: 'boolean', help: 'show this help' },
};

/** One JSON object per line: what a log pipeline expects from a controller. */
function log(msg: string, fields?: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), msg, ...fields })}\n`);
}

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(args, flags, 'Usage: offline-first run [flags]', { positionals: true });
  if (!parsed) return 0;
  const metricsPort = integerFlag(parsed, 'metrics-port', 8080, 1, 65535);
  const healthPort = integerFlag(parsed, 'health-port', 8081, 1, 65535);
  const resyncSeconds = integerFlag(parsed, 'resync-seconds', 30, 1, 3600);
  const client = KubeClient.load(parsed.strings.get('kubeconfig'));
  try {
    const v = await client.serverVersion();
    log('connected', { server: client.config.getCurrentCluster()?.server, version: v.gitVersion });
  } catch (err) {
    throw new Error(`cannot reach the cluster: ${err instanceof Error ? err.message : String(err)}`);
  }
  await checkApis(client);
  const identity = `${process.env.POD_NAME ?? hostname()}-${process.pid}`;
  const operator = new Operator(client, {
    identity,
    resyncMs: resyncSeconds * 1000,
    log,
    ...(parsed.booleans.has('leader-elect')
      ? { leaderElection: { namespace: parsed.strings.get('leader-election-namespace') ?? process.env.POD_NAMESPACE ?? 'offline-first-system' } }
      : {}),
  });
  // Ready only while the API server answers too: an operator cut off from it can neither see nor act.
  const apiHealth = new ApiHealth((signal) => client.request('GET', '/version', { signal }), {
    onChange: (reachable, error) => log(reachable ? 'API server reachable again' : 'API server unreachable, not ready', error ? { error: String(error) } : undefined),
  });
  apiHealth.start();
  const stopServing = await serveEndpoints(
    { registry: operator.metrics.registry, live: () => true, ready: () => operator.isReady() && apiHealth.isReachable() },
    metricsPort,
    healthPort,
  );
  log('serving', { metricsPort, healthPort, identity });
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await operator.start();
  const signal = await stopped;
  log('shutting down', { signal });
  await operator.stop();
  await apiHealth.stop();
  await stopServing();
  log('stopped');
  return 0;
}
