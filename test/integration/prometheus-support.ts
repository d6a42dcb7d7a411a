/**
 * Debian's real Prometheus server for the integration tests, on a loopback port with its own
 * config and storage directory, and an exporter serving KubeVirt-shaped series. stop() and
 * restart() keep the port and the storage, as a Prometheus pod restart would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { eventually } from './support.js';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? '/usr/bin/prometheus';

export function prometheusAvailable(): boolean {
  return existsSync(PROMETHEUS_BINARY);
}

/** Every child still running when the test process exits is killed, whatever the way out. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

export class PrometheusServer {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly dir: string,
    readonly port: number,
    readonly configPath: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The last lines Prometheus logged, for failure messages. */
  get log(): string {
    return this.output.split('\n').slice(-20).join('\n');
  }

  async start(): Promise<void> {
    const child = spawn(
      PROMETHEUS_BINARY,
      [
        `--config.file=${this.configPath}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    running.add(child);
    const collect = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20_000));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', () => running.delete(child));
    await eventually(`Prometheus ready on ${this.url}`, async () => {
      if (child.exitCode !== null) throw new Error(`Prometheus exited with ${child.exitCode}: ${this.log}`);
      const r = await fetch(`${this.url}/-/ready`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    }, 30_000);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async api<T>(path: string): Promise<T> {
    const r = await fetch(`${this.url}${path}`);
    const body = (await r.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? r.status}`);
    return body.data;
  }
}

export interface RuleStatus {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: 'inactive' | 'pending' | 'firing';
}

export async function ruleStatuses(p: PrometheusServer): Promise<RuleStatus[]> {
  const data = await p.api<{ groups: { rules: RuleStatus[] }[] }>('/api/v1/rules');
  return data.groups.flatMap((g) => g.rules);
}

/** A virt-handler stand-in: serves the gauges the source reads, in the Prometheus text format. */
export class KubevirtExporter {
  /** VMI key "namespace/name" → what it exports now. */
  readonly vmis = new Map<string, { dirtyRateBytesPerSecond: number; availableBytes: number; unusedBytes: number; node: string }>();
  scrapes = 0;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<KubevirtExporter> {
    let self: KubevirtExporter | undefined;
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      self!.scrapes++;
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(self!.text());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    self = new KubevirtExporter(server);
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  text(): string {
    const lines: string[] = [];
    const gauge = (metric: string, help: string, value: (v: typeof this.vmis extends Map<string, infer V> ? V : never) => number) => {
      lines.push(`# HELP ${metric} ${help}`, `# TYPE ${metric} gauge`);
      for (const [key, v] of this.vmis) {
        const [namespace, name] = key.split('/');
        lines.push(`${metric}{namespace="${namespace}",name="${name}",node="${v.node}",kubernetes_vmi_label_app="lab"} ${value(v)}`);
      }
    };
    gauge('kubevirt_vmi_dirty_rate_bytes_per_second', 'Guest dirty-rate in bytes per second.', (v) => v.dirtyRateBytesPerSecond);
    gauge('kubevirt_vmi_memory_available_bytes', 'Amount of usable memory as seen by the domain.', (v) => v.availableBytes);
    gauge('kubevirt_vmi_memory_unused_bytes', 'The amount of memory left completely unused by the system.', (v) => v.unusedBytes);
    return `${lines.join('\n')}\n`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
