/** HTTP endpoints: /metrics on the metrics port; /healthz and /readyz on the health port. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface Endpoints {
  registry: Registry;
  /** Liveness: the process can serve (always true while it runs). */
  live(): boolean;
  /** Readiness: caches synced and not shutting down. */
  ready(): boolean;
}

function listen(server: Server, port: number, host: string, flag: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} is already in use: choose another with ${flag}` : `cannot listen on ${host}:${port} (${flag}): ${err.message}`)),
    );
    server.listen(port, host, () => resolve(server));
  });
}

export async function serveEndpoints(e: Endpoints, metricsPort: number, healthPort: number, host = '0.0.0.0'): Promise<() => Promise<void>> {
  const sameServer = metricsPort === healthPort;
  const handler = (serveMetrics: boolean, serveHealth: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    if (serveMetrics && req.url === '/metrics') {
      e.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': e.registry.contentType }).end(body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    const ok = !serveHealth ? undefined : req.url === '/healthz' ? e.live() : req.url === '/readyz' ? e.ready() : undefined;
    if (ok === undefined) res.writeHead(404).end('not found\n');
    else res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'not ready\n');
  };
  const servers = [await listen(createServer(handler(true, sameServer)), metricsPort, host, '--metrics-port')];
  if (!sameServer) servers.push(await listen(createServer(handler(false, true)), healthPort, host, '--health-port'));
  return async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  };
}
