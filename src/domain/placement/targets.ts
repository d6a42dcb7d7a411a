/**
 * The nodes a placement's VMs can go to, screened once per plan rather than once per VM:
 * - per placement: every client node through the node-level checks (scheduling, link, bandwidth,
 *   benefit), the survivors sorted by usable bandwidth, best first;
 * - per (placement, CPU requirement): those survivors that can run that CPU. VMs on the same kind of
 *   source with the same CPU settings share one list, and the rejections of everything screened out
 *   are kept as counts plus a few examples.
 * A VM then only walks its list (capacity, dirty-rate cut, cost model), usually a few entries deep.
 */
import { benefitParts, sumParts, type BenefitParts } from './benefit.js';
import { cpuRejection, type CpuRequirement } from './cpu-compatibility.js';
import { linkRejection, usableBandwidth } from './link.js';
import { firstRejection, rejectionDetail, SCHEDULING_CHECKS } from './node-filters.js';
import { Reasons, type RejectionReason } from './reasons.js';
import type { RejectionCounts } from './rejections.js';
import type { NodeView, PlacementPolicy, RejectedCandidate } from './types.js';

export interface ClientTarget {
  /** Index into PlanInput.nodes. */
  readonly index: number;
  readonly node: NodeView;
  readonly usableBandwidthBytesPerSecond: number;
  readonly benefitParts: BenefitParts;
}

export interface ScreenedTargets<T> {
  /** Best first. */
  readonly targets: readonly T[];
  /** The screened-out nodes, by reason. */
  readonly counts: RejectionCounts;
  readonly examples: readonly RejectedCandidate[];
}

export interface CompatibleClients extends ScreenedTargets<ClientTarget> {
  /** Where each node (by index into PlanInput.nodes) is in `targets`. */
  readonly position: ReadonlyMap<number, number>;
  /** The largest benefit any of `targets` offers: no candidate can score more. */
  readonly maxBenefit: number;
}

const EXAMPLES_KEPT = 8;

function screen<T>(
  nodes: Iterable<{ name: string; target?: T; reason?: RejectionReason; node?: NodeView }>,
): ScreenedTargets<T> {
  const targets: T[] = [];
  const counts: RejectionCounts = {};
  const examples: RejectedCandidate[] = [];
  for (const { name, target, reason, node } of nodes) {
    if (reason !== undefined) {
      counts[reason] = (counts[reason] ?? 0) + 1;
      if (examples.length < EXAMPLES_KEPT) {
        const detail = node && rejectionDetail(node, reason);
        examples.push({ node: name, reason, ...(detail ? { detail } : {}) });
      }
    } else if (target !== undefined) {
      targets.push(target);
    }
  }
  return { targets, counts, examples };
}

function* withCpu<T extends { node: NodeView }>(base: ScreenedTargets<T>, requirement: CpuRequirement) {
  for (const target of base.targets) {
    const reason = cpuRejection(requirement, target.node.labels);
    yield reason === undefined ? { name: target.node.name, target } : { name: target.node.name, reason };
  }
}

function mergeScreens<T>(outer: ScreenedTargets<unknown>, inner: ScreenedTargets<T>): ScreenedTargets<T> {
  const counts: RejectionCounts = { ...outer.counts };
  for (const [reason, n] of Object.entries(inner.counts) as [RejectionReason, number][]) counts[reason] = (counts[reason] ?? 0) + n;
  return { targets: inner.targets, counts, examples: [...inner.examples, ...outer.examples].slice(0, EXAMPLES_KEPT) };
}

/** The client nodes of one placement. */
export class ClientTargets {
  /** Every client node of the placement, screened or not. */
  readonly clientCount: number;
  private readonly screened: ScreenedTargets<ClientTarget>;
  private readonly byName = new Map<string, ClientTarget | RejectionReason>();
  private readonly byRequirement = new Map<string, CompatibleClients>();

  constructor(policy: PlacementPolicy, nodes: readonly NodeView[], clientIndexes: readonly number[], nowMs: number) {
    this.clientCount = clientIndexes.length;
    const entries = clientIndexes.map((index) => {
      const node = nodes[index]!;
      const parts = benefitParts(policy.triggers, node);
      const reason =
        firstRejection(SCHEDULING_CHECKS, node) ??
        linkRejection(node.link, policy, nowMs) ??
        (sumParts(parts) > 0 ? undefined : Reasons.NoBenefit);
      const target: ClientTarget | undefined =
        reason === undefined
          ? { index, node, usableBandwidthBytesPerSecond: usableBandwidth(node.link!.bandwidthBytesPerSecond, policy), benefitParts: parts }
          : undefined;
      this.byName.set(node.name, target ?? reason!);
      return { name: node.name, ...(target ? { target } : {}), ...(reason ? { reason, node } : {}) };
    });
    const screened = screen(entries);
    const targets = [...screened.targets].sort(
      (a, b) =>
        b.usableBandwidthBytesPerSecond - a.usableBandwidthBytesPerSecond || (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0),
    );
    this.screened = { ...screened, targets };
  }

  /** A client node's screening result; undefined when the node is not a client of this placement. */
  lookup(name: string): ClientTarget | RejectionReason | undefined {
    return this.byName.get(name);
  }

  /** Why a client was screened out for this CPU; undefined when it was not (or is no client). */
  screenedOutFor(name: string, requirement: CpuRequirement): RejectionReason | undefined {
    const entry = this.byName.get(name);
    if (entry === undefined || typeof entry === 'string') return entry;
    return cpuRejection(requirement, entry.node.labels);
  }

  /** The screened clients that can run this CPU, best bandwidth first. */
  forRequirement(requirement: CpuRequirement): CompatibleClients {
    let entry = this.byRequirement.get(requirement.key);
    if (!entry) {
      const merged = mergeScreens(this.screened, screen(withCpu(this.screened, requirement)));
      entry = {
        ...merged,
        position: new Map(merged.targets.map((t, i) => [t.index, i])),
        maxBenefit: merged.targets.reduce((max, t) => Math.max(max, sumParts(t.benefitParts)), 0),
      };
      this.byRequirement.set(requirement.key, entry);
    }
    return entry;
  }
}

export interface HomeTarget {
  readonly index: number;
  readonly node: NodeView;
}

/** Home nodes that pass, with where each node index stands among them. */
export interface ScreenedHomes extends ScreenedTargets<HomeTarget> {
  readonly position: ReadonlyMap<number, number>;
}

/** The home nodes of one placement: scheduling checks once, CPU per requirement. */
export class HomeTargets {
  readonly homeCount: number;
  private readonly screened: ScreenedTargets<HomeTarget>;
  private readonly byRequirement = new Map<string, ScreenedHomes>();

  constructor(nodes: readonly NodeView[], homeIndexes: readonly number[]) {
    this.homeCount = homeIndexes.length;
    this.screened = screen(
      homeIndexes.map((index) => {
        const node = nodes[index]!;
        const reason = firstRejection(SCHEDULING_CHECKS, node);
        return reason === undefined ? { name: node.name, target: { index, node } } : { name: node.name, reason, node };
      }),
    );
  }

  forRequirement(requirement: CpuRequirement): ScreenedHomes {
    let entry = this.byRequirement.get(requirement.key);
    if (!entry) {
      const merged = mergeScreens(this.screened, screen(withCpu(this.screened, requirement)));
      entry = { ...merged, position: new Map(merged.targets.map((t, i) => [t.index, i])) };
      this.byRequirement.set(requirement.key, entry);
    }
    return entry;
  }
}
