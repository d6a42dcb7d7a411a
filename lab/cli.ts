/**
 * Runs a lab grid and appends one JSON line per run:
 *
 *   node dist/lab/cli.js quick [--out FILE]
 *   node dist/lab/cli.js full  [--out FILE] [--max-minutes N] [--only TEXT]... [--list]
 *
 * Resumable: runs whose id is already in the output file are skipped.
 */
import { formatHelp, integerFlag, parseFlags, UsageError, type FlagSpecs } from '../src/commands/flags.js';
import { runAbortHooks } from './abort.js';
import { fullGrid, quickGrid } from './grid.js';
import { prepareImages } from './images.js';
import { acquireLabLock } from './lock.js';
import { defaultResultsDir } from './paths.js';
import { appendRecord, recordedIds } from './results.js';
import { runOne, type RunConfig, type RunRecord } from './run.js';

const specs: FlagSpecs = {
  out: { kind: 'string', value: 'FILE', help: 'JSON-lines file to append to (default lab/results/<grid>-grid.jsonl)' },
  'max-minutes': { kind: 'string', value: 'N', help: 'start no run that could end later than N minutes after launch' },
  only: { kind: 'list', value: 'TEXT', help: 'run only points whose id contains TEXT' },
  list: { kind: 'boolean', help: 'print the grid points and exit' },
  help: { kind: 'boolean', help: 'show this help' },
};
const USAGE = 'Usage: node dist/lab/cli.js quick|full [flags]';

/** A run's worst case beyond its bound: link probe, boot, dirty-rate windows, cancel, teardown. */
const RUN_OVERHEAD_SECONDS = 90;

const mb = (bytes: number | undefined): string => (bytes === undefined ? '?' : `${(bytes / 1e6).toFixed(1)} MB`);
const sec = (ms: number | undefined): string => (ms === undefined ? '?' : `${(ms / 1000).toFixed(1)} s`);

function progressLine(r: RunRecord): string {
  if (r.error) return `ERROR ${r.error}`;
  const s = r.summary;
  const d1 = r.dirtyRate?.[0]?.dirtyRateMBps;
  const parts = [
    s?.outcome ?? '?',
    `total ${sec(s?.totalTimeMs ?? s?.wallMs)}`,
    `downtime ${s?.downtimeMs ?? '?'} ms (pause ${s?.guestPauseMs ?? '?'} ms)`,
    `sent ${mb(s?.transferredBytes ?? (r.migration?.lastActive?.['ram'] as { transferred?: number } | undefined)?.transferred)}`,
    `eff ${s?.effectiveBytesPerSecond === undefined ? '?' : mb(s.effectiveBytesPerSecond) + '/s'}`,
    `link ${r.linkProbe ? mb(r.linkProbe.goodputBytesPerSecond) + '/s' : '?'}`,
    `1st pass ${sec(s?.firstPassMs)}`,
    `syncs ${s?.dirtySyncCount ?? r.migration?.passCount ?? '?'}`,
    `dirty(1s) ${d1 ?? '?'} MB/s`,
  ];
  return parts.join('  ');
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv, specs);
  if (flags.booleans.has('help')) {
    process.stdout.write(formatHelp(USAGE, specs));
    return 0;
  }
  const gridName = flags.positionals[0];
  if (gridName !== 'quick' && gridName !== 'full') throw new UsageError(`name a grid: quick or full\n${USAGE}`);
  const only = flags.lists.get('only') ?? [];
  const points: RunConfig[] = (gridName === 'quick' ? quickGrid() : fullGrid()).filter(
    (p) => only.length === 0 || only.some((o) => p.id.includes(o)),
  );
  if (flags.booleans.has('list')) {
    for (const p of points) process.stdout.write(`${p.id}  bound ${p.boundSeconds} s\n`);
    return 0;
  }
  const maxMinutes = integerFlag(flags, 'max-minutes', 0);
  const out = flags.strings.get('out') ?? `${defaultResultsDir}/${gridName}-grid.jsonl`;

  const release = await acquireLabLock((pid) =>
    process.stdout.write(`lab: another lab run (pid ${pid}) holds /tmp/offline-first-lab.lock; waiting for it\n`),
  );
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`lab: ${signal}: tearing down the current run\n`);
    runAbortHooks();
    release();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const images = await prepareImages();
    const done = await recordedIds(out);
    const todo = points.filter((p) => !done.has(p.id));
    const started = Date.now();
    process.stdout.write(
      `lab ${gridName}: ${todo.length} of ${points.length} runs to do (${points.length - todo.length} already in ${out})` +
        `${maxMinutes ? `, at most ${maxMinutes} min` : ''}; ${images.qemu}\n`,
    );
    let errors = 0;
    let ran = 0;
    for (const [i, p] of todo.entries()) {
      const elapsedS = (Date.now() - started) / 1000;
      if (maxMinutes && elapsedS + p.boundSeconds + RUN_OVERHEAD_SECONDS > maxMinutes * 60) {
        process.stdout.write(`[${i + 1}/${todo.length}] ${p.id}  skipped: could exceed --max-minutes ${maxMinutes}\n`);
        continue;
      }
      const t0 = Date.now();
      const record = await runOne(p, gridName, images);
      await appendRecord(out, record);
      ran++;
      if (record.error) errors++;
      process.stdout.write(`[${i + 1}/${todo.length}] ${p.id}  (${sec(Date.now() - t0)})  ${progressLine(record)}\n`);
    }
    process.stdout.write(`lab ${gridName}: ${ran} runs in ${sec(Date.now() - started)}, ${errors} broken; results in ${out}\n`);
    return errors ? 1 : 0;
  } finally {
    release();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
