/**
 * The operator's write seam in the simulator: a planned migration becomes the migration object the
 * real actuator would create (same name, same annotations: attempt number, failure counts, inputs),
 * handed to the simulation engine as a start; status and events have nowhere to go and are kept as
 * a count. With it, the simulated operator reads its own history back — cooldown and failure
 * backoff included — exactly as the real one does from the cluster.
 */
import type { Actuator } from '../../actuation/actuator.js';
import { migrationFor, type CreateOutcome } from '../../actuation/migration-object.js';
import type { PlannedMigration } from '../../domain/placement/index.js';
import type { VirtualMachineInstance } from '../../kube/kubevirt.js';
import type { MigrationOptions } from './migration-run.js';
import type { StartRequest } from './strategy.js';

export class SimulatedActuator implements Actuator {
  readonly starts: StartRequest[] = [];
  writes = 0;

  constructor(private readonly optionsOf: (placementKey: string) => MigrationOptions) {}

  async startMigration(vmi: VirtualMachineInstance, planned: PlannedMigration): Promise<CreateOutcome> {
    return this.start(vmi, planned);
  }

  /** startMigration without the promise: the simulation engine is synchronous. */
  start(vmi: VirtualMachineInstance, planned: PlannedMigration): CreateOutcome {
    const migration = migrationFor(vmi, planned);
    this.starts.push({
      vmKey: planned.vmKey,
      placementKey: planned.placementKey,
      target: planned.targetNode,
      direction: planned.direction,
      predictedSeconds: planned.predictedSeconds,
      reason: planned.reason,
      options: this.optionsOf(planned.placementKey),
      object: { name: migration.metadata.name!, annotations: migration.metadata.annotations ?? {} },
    });
    return { kind: 'created', migration };
  }

  async claimPhase(): Promise<boolean> {
    this.writes++;
    return true;
  }

  async writeStatus(): Promise<void> {
    this.writes++;
  }

  async event(): Promise<void> {
    this.writes++;
  }

  /** The scenario's migrations run with their placement's options (optionsOf): what its managed policy says. */
  async applyMigrationPolicy(): Promise<void> {
    this.writes++;
  }

  async deleteMigrationPolicy(): Promise<void> {
    this.writes++;
  }

  async setFinalizer(): Promise<boolean> {
    this.writes++;
    return true;
  }
}
