/**
 * A real local control plane: etcd and kube-apiserver on free loopback ports, in a throwaway
 * directory, with RBAC authorization, a token-authenticated admin (system:masters), service-account
 * signing keys and a CA-verified serving certificate. `stop()` (or `stopNow()` from an exit
 * handler) tears everything down; a detached guardian does it if this process is killed.
 * For fault tests, either component can be stopped and started again on the same ports, data
 * directory and certificates (`restartApiServer()`, `restartEtcd()`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { createCA, createServiceAccountKeys, issueServingCert, type CertificateAuthority } from './certs.js';
import { freePort } from './ports.js';
import { controlPlaneTools, type ToolPaths } from './tools.js';

export interface ControlPlaneOptions {
  onProgress?: (line: string) => void;
  /** Directory to create the throwaway directory in (default: the OS temp dir). */
  parentDir?: string;
  startTimeoutMs?: number;
}

type Component = 'etcd' | 'kube-apiserver';

export class ControlPlane {
  readonly dir: string;
  private procs: ChildProcess[] = [];
  /** Each component's command line, kept to start it again the same way. */
  private readonly commands = new Map<Component, { bin: string; args: string[] }>();
  private stopped = false;
  ca!: CertificateAuthority;
  server = '';
  token = '';
  kubeconfigPath = '';
  tools!: ToolPaths;
  etcdUrl = '';

  private constructor(private readonly opts: ControlPlaneOptions) {
    this.dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), 'offline-first-cp-'));
  }

  static async start(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const cp = new ControlPlane(opts);
    try {
      await cp.boot();
      return cp;
    } catch (err) {
      await cp.stop();
      throw err;
    }
  }

  private progress(line: string): void {
    this.opts.onProgress?.(line);
  }

  private get guardianStateFile(): string {
    return join(this.dir, '.guardian.json');
  }

  private async boot(): Promise<void> {
    this.tools = await controlPlaneTools({ onProgress: this.opts.onProgress, withHelm: true });
    this.startGuardian();
    const timeout = this.opts.startTimeoutMs ?? 90_000;

    const [etcdPort, peerPort, apiPort] = await distinctPorts(3);
    this.etcdUrl = `http://127.0.0.1:${etcdPort}`;
    this.progress(`control plane: starting etcd on ${this.etcdUrl}`);
    this.spawnLogged('etcd', this.tools.etcd, [
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await this.waitForEtcd(timeout);

    this.ca = createCA(this.dir);
    const serving = issueServingCert(this.ca, this.dir, 'apiserver', ['127.0.0.1', 'localhost']);
    const sa = createServiceAccountKeys(this.dir);
    this.token = randomBytes(24).toString('hex');
    const tokenFile = join(this.dir, 'tokens.csv');
    writeFileSync(tokenFile, `${this.token},admin,admin,"system:masters"\n`, { mode: 0o600 });
    this.server = `https://127.0.0.1:${apiPort}`;

    this.progress(`control plane: starting kube-apiserver on ${this.server}`);
    this.spawnLogged('kube-apiserver', this.tools.kubeApiserver, [
      `--etcd-servers=${this.etcdUrl}`,
      `--bind-address=127.0.0.1`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${this.dir}`,
      `--tls-cert-file=${serving.certPath}`,
      `--tls-private-key-file=${serving.keyPath}`,
      `--client-ca-file=${this.ca.certPath}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // No controller-manager runs, so nothing would create service-account tokens for pods.
      '--disable-admission-plugins=ServiceAccount',
      `--service-account-issuer=${this.server}`,
      `--service-account-key-file=${sa.publicKeyPath}`,
      `--service-account-signing-key-file=${sa.privateKeyPath}`,
      '--v=0',
    ]);
    await this.waitForApiServer(timeout);
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
    writeFileSync(this.kubeconfigPath, this.kubeconfig(), { mode: 0o600 });
    this.progress(`control plane: ready; kubeconfig ${this.kubeconfigPath}`);
  }

  private waitForEtcd(timeoutMs: number): Promise<void> {
    return waitUntil(`etcd at ${this.etcdUrl}`, timeoutMs, () => this.ensureRunning(), async () => {
      const res = await fetch(`${this.etcdUrl}/health`);
      return res.ok;
    });
  }

  private async waitForApiServer(timeoutMs: number): Promise<void> {
    const agent = new Agent({ connect: { ca: this.ca.certPem } });
    try {
      await waitUntil(`kube-apiserver at ${this.server}`, timeoutMs, () => this.ensureRunning(), async () => {
        const res = await fetch(`${this.server}/readyz`, {
          headers: { authorization: `Bearer ${this.token}` },
          dispatcher: agent,
        });
        await res.text();
        return res.ok;
      });
    } finally {
      await agent.close();
    }
  }

  /** Whether a component's process is running. */
  isRunning(component: Component): boolean {
    return this.procs.some((p) => componentOf(p) === component && p.exitCode === null && p.signalCode === null);
  }

  /** Stops one component (SIGKILL by default: a crash, not a shutdown) and waits until it has exited. */
  async stopComponent(component: Component, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    for (const p of this.procs.filter((x) => componentOf(x) === component)) {
      if (p.exitCode === null && p.signalCode === null) {
        const exited = new Promise<void>((r) => p.once('exit', () => r()));
        p.kill(signal);
        const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    }
    this.procs = this.procs.filter((x) => componentOf(x) !== component);
    this.writeGuardianState();
  }

  /** Starts a stopped component again with its first command line (same ports, data and certificates), and waits until it is healthy. */
  async startComponent(component: Component, timeoutMs = this.opts.startTimeoutMs ?? 90_000): Promise<void> {
    if (this.stopped) throw new Error('the control plane was torn down');
    if (this.isRunning(component)) return;
    const cmd = this.commands.get(component);
    if (!cmd) throw new Error(`${component} was never started`);
    this.progress(`control plane: starting ${component} again`);
    this.spawnLogged(component, cmd.bin, cmd.args);
    if (component === 'etcd') await this.waitForEtcd(timeoutMs);
    // The API server is healthy again only once it reaches etcd, whichever of the two restarted.
    if (this.isRunning('kube-apiserver')) await this.waitForApiServer(timeoutMs);
  }

  /** Kills kube-apiserver and starts it again; `downMs` keeps it down for that long first. */
  async restartApiServer(opts: { signal?: NodeJS.Signals; downMs?: number } = {}): Promise<void> {
    await this.stopComponent('kube-apiserver', opts.signal);
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    await this.startComponent('kube-apiserver');
  }

  /** Kills etcd and starts it again on the same data directory; the API server stays up and reconnects. */
  async restartEtcd(opts: { signal?: NodeJS.Signals; downMs?: number } = {}): Promise<void> {
    await this.stopComponent('etcd', opts.signal);
    if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
    await this.startComponent('etcd');
  }

  kubeconfig(): string {
    const ca = Buffer.from(this.ca.certPem).toString('base64');
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: offline-first-local',
      '  cluster:',
      `    server: ${this.server}`,
      `    certificate-authority-data: ${ca}`,
      'users:',
      '- name: admin',
      '  user:',
      `    token: ${this.token}`,
      'contexts:',
      '- name: offline-first-local',
      '  context:',
      '    cluster: offline-first-local',
      '    user: admin',
      '    namespace: default',
      'current-context: offline-first-local',
      '',
    ].join('\n');
  }

  /** The log of one component, for failure messages. */
  logTail(component: 'etcd' | 'kube-apiserver', lines = 20): string {
    try {
      return readFileSync(join(this.dir, `${component}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  private spawnLogged(name: Component, bin: string, args: string[]): void {
    if (!this.commands.has(name)) this.commands.set(name, { bin, args });
    const fd = openSync(join(this.dir, `${name}.log`), 'a');
    // Its own process group: a Ctrl-C in the terminal reaches the owner only, which stops the
    // components in order (API server before etcd) instead of both dying at once under it.
    const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    child.on('error', () => undefined);
    (child as ChildProcess & { component?: Component }).component = name;
    this.procs.push(child);
    this.writeGuardianState();
  }

  private ensureRunning(): void {
    for (const p of this.procs) {
      if (p.exitCode !== null || p.signalCode !== null) {
        const name = componentOf(p) ?? 'etcd';
        throw new Error(`${name} exited (${p.exitCode ?? p.signalCode}) during start-up:\n${this.logTail(name)}`);
      }
    }
  }

  private startGuardian(): void {
    this.writeGuardianState();
    const guardian = join(import.meta.dirname, 'guardian.js');
    const child = spawn(process.execPath, [guardian, String(process.pid), this.guardianStateFile], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
  }

  private writeGuardianState(): void {
    const pids = this.procs.map((p) => p.pid).filter((p): p is number => p !== undefined);
    writeFileSync(this.guardianStateFile, JSON.stringify({ pids, dir: this.dir }));
  }

  /** Graceful teardown: SIGTERM, wait, SIGKILL what is left, remove the directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const running = this.procs.filter((p) => p.exitCode === null && p.signalCode === null);
    // API server first, so it does not log etcd connection errors while going down.
    for (const p of running.reverse()) {
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous teardown for exit and signal handlers, where nothing can be awaited. */
  stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.procs) {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function componentOf(p: ChildProcess): Component | undefined {
  return (p as ChildProcess & { component?: Component }).component;
}

async function distinctPorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

async function waitUntil(what: string, timeoutMs: number, check: () => void, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    check();
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} was not healthy after ${Math.round(timeoutMs / 1000)} s${lastError ? ` (last error: ${lastError})` : ''}`);
}
