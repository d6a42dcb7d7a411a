/**
 * One QEMU 7.2 process inside a network namespace: TCG, no NIC, the lab kernel and initramfs,
 * serial console on stdout (watched for the guest's LAB-* lines), QMP on a unix socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { QmpClient } from './qmp.js';

export interface QemuSpec {
  readonly netns: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly memoryMiB: number;
  readonly append: string;
  readonly qmpPath: string;
  /** e.g. "tcp:10.77.0.2:4444" for the destination. */
  readonly incoming?: string;
}

export interface SerialLine {
  readonly atMs: number;
  readonly text: string;
}

export class QemuProcess {
  readonly lines: SerialLine[] = [];
  private stderrTail = '';
  private readonly waiters = new Set<() => void>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly qmp: QmpClient,
  ) {}

  static async start(spec: QemuSpec): Promise<QemuProcess> {
    const args = [
      'netns', 'exec', spec.netns, 'qemu-system-x86_64',
      // Named threads ("CPU 0/TCG", "live_migration") make the per-thread CPU accounting useful.
      '-name', 'lab,debug-threads=on',
      '-machine', 'pc', '-accel', 'tcg', '-m', String(spec.memoryMiB), '-smp', '1',
      '-display', 'none', '-serial', 'stdio', '-monitor', 'none', '-nic', 'none', '-no-reboot',
      '-kernel', spec.kernel, '-initrd', spec.initrd, '-append', spec.append,
      '-qmp', `unix:${spec.qmpPath},server=on,wait=off`,
      ...(spec.incoming ? ['-incoming', spec.incoming] : []),
    ];
    // `ip netns exec` execs QEMU in place, so child.pid is QEMU's pid (used for CPU accounting).
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let qmp: QmpClient;
    try {
      qmp = await Promise.race([
        QmpClient.open(spec.qmpPath),
        once(child, 'exit').then(() => {
          throw new Error('QEMU exited during start-up');
        }),
      ]);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    const proc = new QemuProcess(child, qmp);
    proc.watch();
    return proc;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Last lines QEMU wrote to stderr, for error reports. */
  get stderr(): string {
    return this.stderrTail;
  }

  /** Resolves with the first serial line at or after `sinceMs` matching `pattern`. */
  async waitForLine(pattern: RegExp, timeoutMs: number, sinceMs = 0): Promise<SerialLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.find((l) => l.atMs >= sinceMs && pattern.test(l.text));
      if (hit) return hit;
      if (this.exited) throw new Error(`QEMU exited before printing ${pattern}: ${this.stderrTail.trim()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${pattern} on the serial console within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** For interrupted runs: no QMP round trip, just gone. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  /** Asks QEMU to quit, then kills it if it has not gone within a few seconds. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = once(this.child, 'exit');
    this.qmp.execute('quit').catch(() => undefined);
    const done = await Promise.race([gone.then(() => true), sleep(3000, undefined, { ref: false }).then(() => false)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await Promise.race([gone, sleep(2000, undefined, { ref: false })]);
    }
    this.qmp.close();
  }

  private watch(): void {
    let partial = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      partial += chunk;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        // The serial console emits terminal escapes and CRs around the guest's lines.
        const text = partial.slice(0, nl).replace(/\x1b\[[0-9;?]*[a-zA-Z]|\r|\x1bc/g, '').trim();
        partial = partial.slice(nl + 1);
        if (text) this.lines.push({ atMs: Date.now(), text });
      }
      for (const w of [...this.waiters]) w();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      this.stderrTail += ` [exited: ${signal ?? `code ${code}`}]`;
      for (const w of [...this.waiters]) w();
    });
  }
}
