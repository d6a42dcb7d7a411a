/** What one simulation run produces: the event log, samples over time, every migration, the summary. */
import type { Action, MigrationDirection } from '../../domain/placement/index.js';
import type { MigrationFailure } from './migration-run.js';
import type { StrategyName } from './strategy.js';

export type SimEvent =
  | { readonly atMs: number; readonly kind: 'client-joined'; readonly node: string; readonly vmsBackOnline: readonly string[] }
  | { readonly atMs: number; readonly kind: 'departure-announced'; readonly node: string; readonly departureAtMs: number }
  | { readonly atMs: number; readonly kind: 'client-left'; readonly node: string; readonly announced: boolean; readonly vmsCaught: readonly string[] }
  | {
      readonly atMs: number;
      readonly kind: 'migration-started';
      readonly id: number;
      readonly vm: string;
      readonly from: string;
      readonly to: string;
      readonly direction: MigrationDirection;
      readonly predictedSeconds?: number;
      readonly reason: string;
    }
  | {
      readonly atMs: number;
      readonly kind: 'migration-ended';
      readonly id: number;
      readonly vm: string;
      readonly from: string;
      readonly to: string;
      readonly direction: MigrationDirection;
      readonly succeeded: boolean;
      readonly failure?: MigrationFailure;
      readonly seconds: number;
      readonly predictedSeconds?: number;
      readonly bytes: number;
    }
  | {
      readonly atMs: number;
      readonly kind: 'decision';
      readonly vm: string;
      readonly action: Action;
      readonly reason: string;
      readonly desiredNode?: string;
      readonly message: string;
    };

export interface MigrationRecord {
  readonly id: number;
  readonly vm: string;
  readonly placement?: string;
  readonly from: string;
  readonly to: string;
  readonly direction: MigrationDirection;
  readonly reason: string;
  readonly startMs: number;
  /** Undefined while still running at the end of the run. */
  endMs?: number;
  readonly predictedSeconds?: number;
  outcome: 'Succeeded' | 'Failed' | 'Running';
  failure?: MigrationFailure;
  seconds: number;
  bytes: number;
  readonly overWan: boolean;
}

/** Counts at one instant (taken at every step). */
export interface Sample {
  readonly atMs: number;
  readonly onClients: number;
  /** On a client that is not connected: running offline. */
  readonly offline: number;
  readonly atHome: number;
  readonly migrating: number;
  readonly clientsOnline: number;
}

export type VmLocation = 'home' | 'client' | 'offline' | 'migrating';

export interface TrackSegment {
  readonly fromMs: number;
  toMs: number;
  readonly state: VmLocation;
  readonly node: string;
}

export interface RunSummary {
  readonly vms: number;
  readonly onClientsAtEnd: number;
  readonly peakOnClients: number;
  /** Time-weighted mean number of VMs on connected clients. */
  readonly meanOnClients: number;
  readonly vmHoursOnClients: number;
  /** On clients that left (running offline). */
  readonly vmHoursOffline: number;
  /** Memory not held on the servers: GiB × hours a VM ran off them. */
  readonly serverGiBHoursFreed: number;
  readonly migrations: {
    readonly started: number;
    readonly succeeded: number;
    readonly failed: number;
    readonly failedBy: Readonly<Partial<Record<MigrationFailure, number>>>;
    readonly stillRunning: number;
    readonly toClient: number;
    readonly home: number;
    readonly totalSeconds: number;
    readonly longestSeconds: number;
    readonly longestVm?: string;
  };
  readonly bytesOverClientLinks: number;
  readonly bytesOverWan: number;
  /** VMs still on a client when it left. */
  readonly caughtByDeparture: number;
  /** offline-first: VMs whose move it refused on cost, and how those moves would really have gone. */
  readonly refusedMoves: { readonly vms: number; readonly wouldHaveFailed: number; readonly wouldHaveSucceeded: number };
  /** Round-trip time to the cloud that users of VMs on clients did not pay, averaged per VM-hour on a client. */
  readonly meanRttSavedMs: number;
  /** offline-first: migrations that took longer than predicted (0 when the model holds). */
  readonly slowerThanPredicted: number;
  /** offline-first: VMs refused a move (or a return) at least once, by the reason (not passing ones such as a limit or an absent client). */
  readonly refusedBy: Readonly<Record<string, readonly string[]>>;
}

export interface SimulationRun {
  readonly strategy: StrategyName;
  readonly events: readonly SimEvent[];
  readonly samples: readonly Sample[];
  readonly migrations: readonly MigrationRecord[];
  /** Where each VM was, over time, by VM key. */
  readonly tracks: Readonly<Record<string, readonly TrackSegment[]>>;
  readonly summary: RunSummary;
  readonly warnings: readonly string[];
  /** Plans made (steps, wake-ups and reactions to events). */
  readonly plans: number;
}
