/** Shared by the simulator's tests: parse options from the shipped CRD, a tiny scenario document, runs. */
import { parseScenario, type ParseOptions } from '../../../../src/sim/scenario/parse-scenario.js';
import { shippedParseOptions } from '../../../../src/sim/scenario/shipped-crd.js';
import { simulate } from '../../../../src/sim/scenario/engine.js';
import type { SimulationRun } from '../../../../src/sim/scenario/results.js';
import type { StrategyName, Strategy } from '../../../../src/sim/scenario/strategy.js';
import { NaiveStrategy } from '../../../../src/sim/scenario/strategy-naive.js';
import { StayHomeStrategy } from '../../../../src/sim/scenario/strategy-none.js';
import { OfflineFirstStrategy } from '../../../../src/sim/scenario/strategy-offline-first.js';
import type { Scenario } from '../../../../src/sim/scenario/types.js';

let options: ParseOptions | undefined;
export function parseOptions(): ParseOptions {
  return (options ??= shippedParseOptions());
}

export type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * One data-centre node, one client on a 1 Gbit/s LAN connected all hour, one light VM bound to it,
 * one Enforce placement: the VM moves at 08:00.
 */
export function tinyDoc(): Doc {
  return {
    name: 'tiny',
    time: { start: '2026-11-25T08:00:00Z', horizon: '1h', step: '1m' },
    nodes: [
      { name: 'dc-1', role: 'cloud', labels: { role: 'dc' } },
      { name: 'ws-1', role: 'client', labels: { role: 'ws' }, link: { bandwidth: '1Gbit/s', rtt: '1ms' } },
    ],
    vms: [{ name: 'vm-1', labels: { app: 'lab' }, client: 'ws-1', guestUsed: '500Mi', dirtyRate: '1MB/s' }],
    placements: [
      {
        name: 'p',
        spec: {
          mode: 'Enforce',
          vmSelector: { matchLabels: { app: 'lab' } },
          clientNodeSelector: { matchLabels: { role: 'ws' } },
          homeNodeSelector: { matchLabels: { role: 'dc' } },
          clientBinding: { labelKey: 'client' },
          triggers: { offlineCapabilityWanted: true },
        },
      },
    ],
  };
}

export function scenarioOf(doc: Doc): Scenario {
  return parseScenario(doc, parseOptions());
}

export function strategy(name: StrategyName): Strategy {
  return name === 'offline-first' ? new OfflineFirstStrategy() : name === 'naive' ? new NaiveStrategy() : new StayHomeStrategy();
}

export function runOf(scenario: Scenario, name: StrategyName): SimulationRun {
  return simulate(scenario, strategy(name));
}
