/**
 * Room on each node for launcher pods: allocatable − requested − what the plan (and migrations whose
 * target pod does not exist yet) already put there. The source pod keeps its room until a migration
 * completes, so nothing is ever given back within a plan.
 */
import { Reasons, type RejectionReason } from './reasons.js';
import type { NodeView, Resources } from './types.js';

export class CapacityLedger {
  private readonly freeCpuMillis: Float64Array;
  private readonly freeMemoryBytes: Float64Array;

  constructor(private readonly nodes: readonly NodeView[]) {
    this.freeCpuMillis = Float64Array.from(nodes, (n) => n.allocatable.cpuMillis - n.requested.cpuMillis);
    this.freeMemoryBytes = Float64Array.from(nodes, (n) => n.allocatable.memoryBytes - n.requested.memoryBytes);
  }

  rejection(nodeIndex: number, requests: Resources): RejectionReason | undefined {
    if (this.freeMemoryBytes[nodeIndex]! < requests.memoryBytes) return Reasons.InsufficientMemory;
    if (this.freeCpuMillis[nodeIndex]! < requests.cpuMillis) return Reasons.InsufficientCPU;
    return undefined;
  }

  reserve(nodeIndex: number, requests: Resources): void {
    this.freeCpuMillis[nodeIndex] = this.freeCpuMillis[nodeIndex]! - requests.cpuMillis;
    this.freeMemoryBytes[nodeIndex] = this.freeMemoryBytes[nodeIndex]! - requests.memoryBytes;
  }

  /** max(cpu, memory) share of allocatable in use once `requests` are added (0 adds nothing). */
  loadWith(nodeIndex: number, requests: Resources | undefined): number {
    const { allocatable } = this.nodes[nodeIndex]!;
    const share = (free: number, extra: number, total: number): number => (total > 0 ? (total - free + extra) / total : 1);
    return Math.max(
      share(this.freeCpuMillis[nodeIndex]!, requests?.cpuMillis ?? 0, allocatable.cpuMillis),
      share(this.freeMemoryBytes[nodeIndex]!, requests?.memoryBytes ?? 0, allocatable.memoryBytes),
    );
  }
}
