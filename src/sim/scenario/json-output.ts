/**
 * The machine-readable result: one JSON document with the scenario's outline and, per strategy,
 * the summary, every migration, every event, the samples and each VM's track. Times are epoch
 * milliseconds (`atMs`, `startMs`) as in the runs; infinite numbers become null, as in `predict --json`.
 */
import { isoTime } from './clock.js';
import type { SimulationRun } from './results.js';
import type { Scenario } from './types.js';

export function simulationDocument(scenario: Scenario, runs: readonly SimulationRun[]): unknown {
  return {
    scenario: {
      name: scenario.name,
      ...(scenario.description ? { description: scenario.description } : {}),
      start: isoTime(scenario.startMs),
      startMs: scenario.startMs,
      horizonSeconds: scenario.horizonMs / 1000,
      stepSeconds: scenario.stepMs / 1000,
      nodes: { cloud: scenario.nodes.filter((n) => n.role === 'cloud').length, client: scenario.nodes.filter((n) => n.role === 'client').length },
      vms: scenario.vms.length,
      placements: scenario.placements.map((p) => p.key),
    },
    strategies: runs.map((r) => r.strategy),
    runs: Object.fromEntries(
      runs.map((r) => [r.strategy, { summary: r.summary, plans: r.plans, warnings: r.warnings, migrations: r.migrations, events: r.events, samples: r.samples, tracks: r.tracks }]),
    ),
  };
}

export function toJson(doc: unknown): string {
  return JSON.stringify(doc, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value));
}
