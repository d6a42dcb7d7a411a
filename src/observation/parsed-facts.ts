/**
 * What gather parses out of one version of a cached VMI or Node (quantities, annotations, volumes),
 * kept until the cache replaces that object. An informer stores a new object on every change and
 * never edits one in place, so a WeakMap keyed by the object is exact: a changed object is a new
 * key, and a replaced one is collected with its facts. With 10,000 VMIs most of a plan's gathering
 * was this parsing, repeated for objects that had not changed since the last plan.
 *
 * Only for objects nobody mutates in place (an informer's). The operator keeps one instance across
 * plans; without one, gather parses every object on every call.
 */
import type { VmView } from '../domain/placement/index.js';
import type { VirtualMachineInstance } from '../kube/kubevirt.js';
import type { Node } from '../kube/node.js';
import { departureFromNode, linkFromAnnotations, type LinkMeasurement, type Parsed } from './annotations.js';
import { diskFacts, type DiskFacts } from './disks.js';
import type { VmMeasurementReader, VmMeasurements } from './vm-measurements.js';
import { VmViewMemo } from './vm-view-memo.js';

/** A value, or the error parsing it threw (thrown again on each use, as if parsed anew). */
export type Outcome<T> = { readonly value: T } | { readonly error: unknown };

export function outcome<T>(fn: () => T): Outcome<T> {
  try {
    return { value: fn() };
  } catch (error) {
    return { error };
  }
}

export function valueOf<T>(o: Outcome<T>): T {
  if ('error' in o) throw o.error;
  return o.value;
}

export interface VmiFacts {
  /** Requests plus the launcher's overhead: what the VMI takes on its node. */
  readonly footprint: Outcome<{ cpuMillis: number; memoryBytes: number }>;
  /** Guest memory in bytes. */
  readonly memoryBytes: Outcome<number>;
  readonly disks: DiskFacts;
  /** The measurements read for this memory size, when the reader reads nothing but the object. */
  measurements?: { readonly memoryBytes: number; readonly value: VmMeasurements };
}

/**
 * What gather derived for one VMI besides parsing it: its owning placement (none when no placement
 * selects it), the placements' claims it found, its view with KubeVirt's settings, and its problems.
 */
export interface DerivedVm {
  readonly owner?: string;
  readonly claims: readonly { placementKey: string; message: string }[];
  readonly view?: VmView;
  readonly notApplied?: string;
  readonly errors: readonly string[];
}

export interface NodeFacts {
  readonly link: Parsed<LinkMeasurement>;
  readonly departure: Parsed<{ departureAtMs?: number }>;
  readonly allocatable: Outcome<{ cpuMillis: number; memoryBytes: number }>;
}

export interface VmiParsers {
  footprint(vmi: VirtualMachineInstance): { cpuMillis: number; memoryBytes: number };
  memoryBytes(vmi: VirtualMachineInstance): number;
}

export interface NodeParsers {
  allocatable(node: Node): { cpuMillis: number; memoryBytes: number };
}

export class ParsedFacts {
  private readonly vmis = new WeakMap<VirtualMachineInstance, VmiFacts>();
  private readonly nodes = new WeakMap<Node, NodeFacts>();
  /** What gather derived per VMI in the context of the last plans (vm-view-memo.ts). */
  readonly views = new VmViewMemo<DerivedVm>();

  constructor(private readonly remember = true) {}

  /** Whether this instance keeps what it parses across calls. */
  get remembers(): boolean {
    return this.remember;
  }

  /** A parser for one gather that remembers nothing (every object parsed on every call). */
  static once(): ParsedFacts {
    return new ParsedFacts(false);
  }

  vmi(vmi: VirtualMachineInstance, parse: VmiParsers): VmiFacts {
    let f = this.vmis.get(vmi);
    if (!f) {
      f = { footprint: outcome(() => parse.footprint(vmi)), memoryBytes: outcome(() => parse.memoryBytes(vmi)), disks: diskFacts(vmi) };
      if (this.remember) this.vmis.set(vmi, f);
    }
    return f;
  }

  node(node: Node, parse: NodeParsers): NodeFacts {
    let f = this.nodes.get(node);
    if (!f) {
      f = { link: linkFromAnnotations(node), departure: departureFromNode(node), allocatable: outcome(() => parse.allocatable(node)) };
      if (this.remember) this.nodes.set(node, f);
    }
    return f;
  }

  /**
   * The cache replaced `old` by `next` and nothing gather reads changed (plan-triggers.ts:
   * `sameForPlanner`, equal but for the resourceVersion, as after most of virt-handler's and
   * kubelet's writes): what was parsed and derived of `old` holds for `next`.
   */
  carryVmi(old: VirtualMachineInstance, next: VirtualMachineInstance): void {
    const f = this.vmis.get(old);
    if (f) this.vmis.set(next, f);
    this.views.carry(old, next);
  }

  /** As carryVmi, for a node. */
  carryNode(old: Node, next: Node): void {
    const f = this.nodes.get(old);
    if (f) this.nodes.set(next, f);
  }

  /** The reader's measurements of the VMI; remembered only when they come from the object alone. */
  measurements(vmi: VirtualMachineInstance, facts: VmiFacts, memoryBytes: number, reader: VmMeasurementReader): VmMeasurements {
    const kept = facts.measurements;
    if (kept && kept.memoryBytes === memoryBytes) return kept.value;
    const value = reader.read(vmi, memoryBytes);
    if (this.remember && !reader.readsOutside) facts.measurements = { memoryBytes, value };
    return value;
  }
}
