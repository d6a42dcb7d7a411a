/**
 * The simulated cluster's state at one instant of simulated time: which clients are connected and
 * which announced their departure, where each VM runs, which migrations are open and which of ours
 * succeeded (the operator's cooldown reads them). Strategies read it; only the engine changes it.
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
}

export class SimWorld {
  readonly nodes = new Map<string, NodeState>();
  readonly vms: VmState[];
  readonly vmByKey = new Map<string, VmState>();
  /** Successful moves, for the operator's growing cooldown. */
  readonly succeeded: SucceededMove[] = [];
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
