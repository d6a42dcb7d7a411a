/** A watch on the benchmark namespace's migrations that times when a new one is delivered. */
import type { KubeClient } from '../src/kube/client.js';
import { isMigrationFinal, type VirtualMachineInstanceMigration } from '../src/kube/kubevirt.js';
import { Resources } from '../src/kube/resources.js';
import { Informer } from '../src/runtime/informer.js';
import { NAMESPACE } from './operator-world.js';

export interface Sample {
  /** Trigger request sent -> migration seen by a watch. */
  totalMs: number;
  /** Trigger request sent -> API server acknowledged it. */
  ackMs: number;
}

/** Watches migrations and resolves waiters on the first migration matching their test. */
export class MigrationWatch {
  readonly informer: Informer<VirtualMachineInstanceMigration>;
  private waiters: { test: (m: VirtualMachineInstanceMigration) => boolean; resolve: (atMs: number) => void }[] = [];

  constructor(client: KubeClient) {
    this.informer = new Informer<VirtualMachineInstanceMigration>(client, Resources.migration, { namespace: NAMESPACE });
    this.informer.addHandler({
      onUpsert: (m, old) => {
        if (old) return;
        const at = performance.now();
        this.waiters = this.waiters.filter((w) => {
          if (!w.test(m)) return true;
          w.resolve(at);
          return false;
        });
      },
    });
  }

  /** Register before the trigger is sent, so a fast operator cannot be missed. */
  next(test: (m: VirtualMachineInstanceMigration) => boolean): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  cancelAll(): void {
    this.waiters = [];
  }
  /** Times `trigger` from just before its request to the first new migration passing `test`; undefined after `timeoutMs`. */
  async time(test: (m: VirtualMachineInstanceMigration) => boolean, trigger: () => Promise<unknown>, timeoutMs: number): Promise<Sample | undefined> {
    const seen = this.next(test);
    const t0 = performance.now();
    await trigger();
    const ackMs = performance.now() - t0;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    const at = await Promise.race([seen, timeout]);
    clearTimeout(timer);
    if (at === undefined) {
      this.cancelAll();
      return undefined;
    }
    return { totalMs: at - t0, ackMs };
  }

  open(): VirtualMachineInstanceMigration[] {
    return this.informer.list().filter((m) => !isMigrationFinal(m));
  }
}

