/** HTTP endpoints: /metrics on the metrics port; /healthz and /readyz on the health port. */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface Endpoints {
  registry: Registry;
  /** Liveness: the process can serve (always true while it runs). */
  live(): boolean;
  /** Readiness: caches synced and not shutting down. */
  ready(): boolean;
}

function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(err.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cannot listen on ${host}:${port}: ${err.message}`)),
    );
    server.listen(port, host, () => resolve(server));
  });
}

export async function serveEndpoints(e: Endpoints, metricsPort: number, healthPort: number, host = '0.0.0.0'): Promise<() => Promise<void>> {
  const metrics = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    e.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': e.registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  const health = createServer((req, res) => {
    const ok = req.url === '/healthz' ? e.live() : req.url === '/readyz' ? e.ready() : undefined;
    if (ok === undefined) res.writeHead(404).end('not found\n');
    else res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : 'not ready\n');
  });
  const servers = [await listen(metrics, metricsPort, host)];
  servers.push(metricsPort === healthPort ? metrics : await listen(health, healthPort, host));
  return async () => {
    for (const s of new Set(servers)) await new Promise<void>((r) => s.close(() => r()));
  };
}
