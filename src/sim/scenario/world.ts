/**
 * The simulated cluster's state at one instant of simulated time: which clients are connected and
 * which announced their departure, where each VM runs, which migrations are open and which of ours
 * ended (the operator's cooldown and failure backoff read them). Strategies read it; only the engine
 * changes it.
 */
import type { MigrationDirection } from '../../domain/placement/index.js';
import type { MigrationRun } from './migration-run.js';
import type { Scenario, ScenarioNode, ScenarioVm } from './types.js';

export interface NodeState {
  readonly spec: ScenarioNode;
  online: boolean;
  /** The announced departure (the offline-first.io/departure-time annotation). */
  departureAtMs?: number;
  /** When the link agent last published (it publishes while the client is connected). */
  linkMeasuredAtMs?: number;
}

export interface OpenMigration {
  readonly id: number;
  readonly vmKey: string;
  readonly placementKey?: string;
  readonly source: string;
  readonly target: string;
  readonly direction: MigrationDirection;
  readonly startMs: number;
  /** Undefined when it would never end (no completion budget). */
  readonly endMs?: number;
  /** The planner's prediction (offline-first only). */
  readonly predictedSeconds?: number;
  readonly reason: string;
  readonly run: MigrationRun;
  /** The VirtualMachineInstanceMigration the operator's actuator built for it (offline-first only). */
  readonly object?: MigrationObject;
}

/** Name and annotations of a migration as the operator would create it (attempt, failure counts, …). */
export interface MigrationObject {
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface VmState {
  readonly spec: ScenarioVm;
  node: string;
  migration?: OpenMigration;
}

export interface SucceededMove {
  readonly vmKey: string;
  readonly placementKey?: string;
  readonly endMs: number;
  readonly id: number;
  readonly target?: string;
  readonly object?: MigrationObject;
}

/** A migration of a placement's that failed or was broken off: the operator backs off after it. */
export interface FailedMove extends SucceededMove {
  readonly failed: true;
}

export class SimWorld {
  readonly nodes = new Map<string, NodeState>();
  readonly vms: VmState[];
  readonly vmByKey = new Map<string, VmState>();
  /** Successful moves, for the operator's growing cooldown. */
  readonly succeeded: SucceededMove[] = [];
  /** Failed migrations of placements', for the operator's failure backoff. */
  readonly failed: FailedMove[] = [];
  private nextId = 1;

  constructor(readonly scenario: Scenario) {
    for (const spec of scenario.nodes) {
      // A client without sessions is connected all along; with sessions, from the first one.
      const online = spec.role === 'cloud' || spec.sessions.length === 0;
      this.nodes.set(spec.name, { spec, online, ...(online && spec.link ? { linkMeasuredAtMs: scenario.startMs } : {}) });
    }
    this.vms = scenario.vms.map((spec) => ({ spec, node: spec.startNode }));
    for (const vm of this.vms) this.vmByKey.set(vm.spec.key, vm);
  }

  node(name: string): NodeState {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`unknown node ${name}`);
    return n;
  }

  openMigrations(): OpenMigration[] {
    return this.vms.flatMap((vm) => (vm.migration ? [vm.migration] : []));
  }

  newMigrationId(): number {
    return this.nextId++;
  }
}
