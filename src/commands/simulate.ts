/**
 * `offline-first simulate`: runs the operator's planner and the migration cost model against a
 * described cluster in simulated time, for one strategy or all three side by side, and prints a
 * timeline and a summary (or JSON), optionally writing an HTML or SVG report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { QuantityError } from '../domain/units.js';
import { BUILTIN_SCENARIOS } from '../sim/scenario/builtin/index.js';
import { formatClock } from '../sim/scenario/clock.js';
import { simulate } from '../sim/scenario/engine.js';
import { ScenarioError } from '../sim/scenario/field-reader.js';
import { simulationDocument, toJson } from '../sim/scenario/json-output.js';
import { builtinScenario, scenarioFromYaml } from '../sim/scenario/load.js';
import { htmlReport, svgReport } from '../sim/scenario/report.js';
import { shippedParseOptions } from '../sim/scenario/shipped-crd.js';
import type { SimulationRun } from '../sim/scenario/results.js';
import { STRATEGIES, type Strategy, type StrategyName } from '../sim/scenario/strategy.js';
import { NaiveStrategy } from '../sim/scenario/strategy-naive.js';
import { StayHomeStrategy } from '../sim/scenario/strategy-none.js';
import { OfflineFirstStrategy } from '../sim/scenario/strategy-offline-first.js';
import { refusalLines, summaryTable } from '../sim/scenario/summary-table.js';
import { timelineLines } from '../sim/scenario/timeline.js';
import type { Scenario } from '../sim/scenario/types.js';
import { formatDuration } from '../domain/units.js';
import { parseCommandFlags, UsageError, type FlagSpecs, type ParsedFlags } from './flags.js';

const USAGE = `Usage: offline-first simulate [--scenario NAME | --file SCENARIO.yaml] [--strategy offline-first|naive|none|all] [flags]

Runs the operator's planner and the QEMU/KubeVirt migration cost model on a described cluster in
simulated time: clients join and leave, VMs move when their migrations succeed, and migrations fail
where KubeVirt would abort them. Without --strategy, the three strategies run side by side:
  offline-first  the operator (every placement acts as Enforce)
  naive          every eligible VM to its client at once, no cost model, no thresholds
  none           everything stays in the data centre
Built-in scenarios:${Object.entries(BUILTIN_SCENARIOS).map(([name, s]) => `\n  ${name.padEnd(10)} ${s.summary}`).join('')}
Without --scenario or --file, lab-room runs. --print-scenario prints a built-in one as a starting
point for your own file; the README describes the format.`;

const specs: FlagSpecs = {
  scenario: { kind: 'string', value: 'NAME', help: `a built-in scenario (${Object.keys(BUILTIN_SCENARIOS).join(', ')})` },
  file: { kind: 'string', value: 'PATH', help: 'a scenario file (YAML)' },
  strategy: { kind: 'string', value: 'NAME', help: 'offline-first, naive, none, or all (default: all, side by side)' },
  json: { kind: 'boolean', help: 'print one JSON document (summary, migrations, events, samples per strategy)' },
  report: { kind: 'string', value: 'FILE', help: 'write a self-contained report with charts: FILE.html or FILE.svg' },
  timeline: { kind: 'string', value: 'MODE', help: 'summary (default: the first 40 lines per strategy), full, or none' },
  'print-scenario': { kind: 'boolean', help: 'print the built-in scenario\'s YAML and exit' },
  'lab-error': { kind: 'boolean', help: "let each migration deviate from the prediction as real QEMU migrations did in the lab (default: exactly as predicted)" },
  help: { kind: 'boolean', help: 'show this help' },
};

const TIMELINE_LINES = 40;

function strategyOf(name: StrategyName): Strategy {
  switch (name) {
    case 'offline-first':
      return new OfflineFirstStrategy();
    case 'naive':
      return new NaiveStrategy();
    case 'none':
      return new StayHomeStrategy();
  }
}

function chosenStrategies(flag: string | undefined): StrategyName[] {
  if (flag === undefined || flag === 'all') return [...STRATEGIES];
  if (!(STRATEGIES as readonly string[]).includes(flag)) throw new UsageError(`--strategy: expected offline-first, naive, none or all, got "${flag}"`);
  return [flag as StrategyName];
}

function loadScenario(flags: ParsedFlags): { scenario: Scenario; source: string } {
  const file = flags.strings.get('file');
  const name = flags.strings.get('scenario');
  if (file !== undefined && name !== undefined) throw new UsageError('give --scenario or --file, not both');
  const source = file ?? `built-in scenario ${name ?? 'lab-room'}`;
  try {
    if (file === undefined) return { scenario: builtinScenario(name ?? 'lab-room', shippedParseOptions()), source };
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err)}`);
    }
    return { scenario: scenarioFromYaml(text, shippedParseOptions()), source };
  } catch (err) {
    // A bad scenario is bad input: exit code 2, with the field named.
    if (err instanceof ScenarioError || err instanceof QuantityError) throw new UsageError(`${source}: ${err.message}`);
    throw err;
  }
}

function progressReporter(strategy: StrategyName, scenario: Scenario): ((done: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (done) => {
    const now = Date.now();
    if (done < 1 && now - last < 200) return;
    last = now;
    const at = formatClock(scenario.startMs + done * scenario.horizonMs, scenario, false);
    process.stderr.write(`\r\x1b[Ksimulating ${strategy}: ${at} (${Math.round(done * 100)}%)${done >= 1 ? '\r\x1b[K' : ''}`);
  };
}

function header(scenario: Scenario, source: string): string {
  const clients = scenario.nodes.filter((n) => n.role === 'client').length;
  const span = `${formatClock(scenario.startMs, scenario, false)} to ${formatClock(scenario.startMs + scenario.horizonMs, scenario, false)} (${formatDuration(scenario.horizonMs)}), re-planning every ${formatDuration(scenario.stepMs)}`;
  const lines = [
    `Scenario ${scenario.name} (${source}): ${scenario.vms.length} VMs, ${scenario.nodes.length - clients} data-centre nodes, ${clients} clients, ${scenario.placements.length} placement${scenario.placements.length === 1 ? '' : 's'}; ${span}`,
  ];
  if (scenario.description) lines.push(...wrap(scenario.description, 96));
  for (const p of scenario.placements) if (p.policy.mode === 'Recommend') lines.push(`note: placement ${p.key} is in Recommend mode; the simulation enforces it to show what it would do`);
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function textOutput(scenario: Scenario, source: string, runs: readonly SimulationRun[], timeline: string): string {
  const parts = [header(scenario, source)];
  if (timeline !== 'none') {
    for (const run of runs) {
      if (run.strategy === 'none' && runs.length > 1) continue;
      const lines = timelineLines(run, scenario, { maxLines: timeline === 'full' ? Infinity : TIMELINE_LINES });
      parts.push(`\n== ${run.strategy}: timeline ==\n${lines.length > 0 ? lines.join('\n') : '(nothing happened)'}`);
    }
  }
  parts.push(`\n== summary ==\n${summaryTable(runs)}`);
  const of = runs.find((r) => r.strategy === 'offline-first');
  const refusals = of ? refusalLines(of) : [];
  if (refusals.length > 0) parts.push(`\noffline-first refused these VMs a move at least once (reason, VMs):\n${refusals.join('\n')}`);
  const warnings = [...new Set(runs.flatMap((r) => r.warnings))];
  if (warnings.length > 0) parts.push(`\nwarnings:\n${warnings.map((w) => `  ${w}`).join('\n')}`);
  return `${parts.join('\n')}\n`;
}

export async function run(args: readonly string[]): Promise<number> {
  const flags = parseCommandFlags(args, specs, USAGE, { positionalHint: '(a scenario file goes after --file)' });
  if (!flags) return 0;
  if (flags.booleans.has('print-scenario')) {
    if (flags.strings.has('file')) throw new UsageError('--print-scenario prints a built-in scenario; give --scenario NAME');
    const name = flags.strings.get('scenario') ?? 'lab-room';
    const entry = BUILTIN_SCENARIOS[name];
    if (!entry) throw new UsageError(`--scenario: no built-in scenario "${name}" (there are ${Object.keys(BUILTIN_SCENARIOS).join(', ')})`);
    process.stdout.write(entry.yaml);
    return 0;
  }
  const timeline = flags.strings.get('timeline') ?? 'summary';
  if (!['summary', 'full', 'none'].includes(timeline)) throw new UsageError(`--timeline: expected summary, full or none, got "${timeline}"`);
  const report = flags.strings.get('report');
  if (report !== undefined && !['.html', '.htm', '.svg'].includes(extname(report).toLowerCase())) {
    throw new UsageError(`--report: expected a file name ending in .html or .svg, got "${report}"`);
  }
  const strategies = chosenStrategies(flags.strings.get('strategy'));
  const { scenario, source } = loadScenario(flags);

  const started = performance.now();
  const labError = flags.booleans.has('lab-error');
  const runs = strategies.map((name) => simulate(scenario, strategyOf(name), { onProgress: progressReporter(name, scenario), labError }));
  const elapsedSeconds = (performance.now() - started) / 1000;

  if (flags.booleans.has('json')) process.stdout.write(`${toJson(simulationDocument(scenario, runs))}\n`);
  else process.stdout.write(textOutput(scenario, source, runs, timeline));
  if (report !== undefined) {
    writeFileSync(report, extname(report).toLowerCase() === '.svg' ? svgReport(scenario, runs) : htmlReport(scenario, runs));
    process.stderr.write(`report written to ${report}\n`);
  }
  const plans = runs.reduce((sum, r) => sum + r.plans, 0);
  process.stderr.write(`simulated ${formatDuration(scenario.horizonMs)} of ${strategies.join(', ')} (${plans} plans) in ${elapsedSeconds.toFixed(2)} s\n`);
  return 0;
}
