/**
 * The incremental part of gather: what it derived for one cached VMI (its placement, KubeVirt's
 * settings for it, its view for the planner and the problems found), kept until the VMI, its
 * migrations or the plan's context change. With 10,000 VMIs and a live cluster's churn, most VMIs
 * are the same objects from one plan to the next, and deriving them again was most of a plan's
 * gathering and of its garbage.
 *
 * The context is everything the derivation reads besides the VMI and its migrations: the placements
 * (by uid and generation: their status changes on every plan and is not read), KubeVirt's parsed
 * settings and policies, the namespaces' labels. gather gives it as a signature; a new signature
 * starts a new generation and every entry of an older one is derived anew. Entries are keyed by the
 * object (a WeakMap), so only objects nobody edits in place may be given (an informer's); gather
 * uses it only with a ParsedFacts that remembers.
 */
import type { VirtualMachineInstance, VirtualMachineInstanceMigration } from '../kube/kubevirt.js';

export interface VmViewEntry<T> {
  readonly generation: number;
  /** Whether an open migration of the VM was counted. */
  readonly open: boolean;
  /** The VM's migrations, as read (compared by identity). */
  readonly migrations: readonly VirtualMachineInstanceMigration[];
  readonly value: T;
}

export class VmViewMemo<T> {
  private readonly entries = new WeakMap<VirtualMachineInstance, VmViewEntry<T>>();
  private signature: string | undefined;
  private generation = 0;

  /** Starts a gather whose context is `signature`; a different one than last time invalidates every entry. */
  begin(signature: string): void {
    if (signature === this.signature) return;
    this.signature = signature;
    this.generation++;
  }

  /** What was derived for this VMI in this generation, with the same migrations and open state. */
  get(vmi: VirtualMachineInstance, open: boolean, migrations: readonly VirtualMachineInstanceMigration[]): T | undefined {
    const e = this.entries.get(vmi);
    if (!e || e.generation !== this.generation || e.open !== open || e.migrations.length !== migrations.length) return undefined;
    for (let i = 0; i < migrations.length; i++) if (e.migrations[i] !== migrations[i]) return undefined;
    return e.value;
  }

  /** `next` replaced `old` with nothing read changed: what was derived of `old` holds for it. */
  carry(old: VirtualMachineInstance, next: VirtualMachineInstance): void {
    const e = this.entries.get(old);
    if (e) this.entries.set(next, e);
  }

  set(vmi: VirtualMachineInstance, open: boolean, migrations: readonly VirtualMachineInstanceMigration[], value: T): void {
    this.entries.set(vmi, { generation: this.generation, open, migrations, value });
  }
}
