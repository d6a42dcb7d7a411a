/**
 * A described cluster for the simulator, after validation: every quantity parsed, every name
 * resolved, templates (`count`) expanded. parse-scenario.ts builds it from a YAML document; the
 * engine reads nothing else.
 */
import type { DirtyRateInput } from '../../domain/migration/predict.js';
import type { ClusterLimits, PlacementPolicy, VolumeKind } from '../../domain/placement/index.js';
import type { OfflineFirstPlacementSpec } from '../../kube/placement.js';

export interface Scenario {
  readonly name: string;
  readonly description?: string;
  /** Simulated clock at the start (epoch ms). */
  readonly startMs: number;
  /** The start's UTC offset, so that times print as the scenario wrote them. */
  readonly utcOffsetMinutes: number;
  readonly horizonMs: number;
  /** Re-plan interval: the operator's resync. */
  readonly stepMs: number;
  readonly kubevirt: ClusterLimits;
  readonly nodes: readonly ScenarioNode[];
  readonly vms: readonly ScenarioVm[];
  readonly placements: readonly ScenarioPlacement[];
}

export type NodeRole = 'cloud' | 'client';

export interface ScenarioLink {
  readonly bandwidthBytesPerSecond: number;
  readonly rttMs: number;
  /** Only for accounting: bytes over `wan` links are reported as WAN traffic. */
  readonly network: 'lan' | 'wan';
}

/** One stretch of time a client is connected. */
export interface Session {
  readonly fromMs: number;
  /** Undefined: stays until the end. */
  readonly untilMs?: number;
  /** How long before untilMs the departure time is announced; undefined: it leaves without notice. */
  readonly noticeMs?: number;
}

export interface ScenarioNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly labels: Readonly<Record<string, string>>;
  readonly cpu: {
    readonly vendor: 'Intel' | 'AMD';
    readonly arch: 'amd64' | 'arm64';
    readonly hostModel?: string;
    readonly usableModels?: readonly string[];
  };
  /** Kubernetes quantities, as the Node's allocatable carries them. */
  readonly capacity: { readonly cpu: string; readonly memory: string };
  readonly link?: ScenarioLink;
  /** Clients only; empty means connected for the whole run. Sorted, not overlapping. */
  readonly sessions: readonly Session[];
}

export interface ScenarioVm {
  /** "namespace/name". */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly memoryBytes: number;
  readonly guestUsedBytes?: number;
  /** What the guest really does; the simulated migrations run with it. */
  readonly dirtyRate: DirtyRateInput;
  /** The dirty rate as written (`2.5MB/s` or `1s=2.5MB/s,5s=1.9MB/s`), for the annotation. */
  readonly dirtyRateText: { readonly rate?: string; readonly windows?: string };
  /** False: the operator does not see it (no annotation) and plans with its fallback. */
  readonly dirtyRateKnown: boolean;
  /** Informational only: CPU load barely changes migration time (DESIGN.md). */
  readonly cpuLoadPercent?: number;
  readonly cpuModel: string;
  /** The client this VM is bound to; written where the selecting placement's clientBinding reads it. */
  readonly client?: string;
  readonly startNode: string;
  readonly volumes: readonly VolumeKind[];
  /** True, or the reason LiveMigratable is False. */
  readonly liveMigratable: true | string;
}

export interface ScenarioPlacement {
  /** "namespace/name". */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  /** As written: the CRD's spec. */
  readonly spec: OfflineFirstPlacementSpec;
  /** The same spec as the operator reads it (placementPolicy). */
  readonly policy: PlacementPolicy;
}
