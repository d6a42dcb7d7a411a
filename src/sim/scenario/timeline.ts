/**
 * A run's event log told briefly: events of the same kind within the same minute become one line
 * ("5 moves to clients started: …"), refusals are grouped by reason with the planner's message
 * once, and the whole is cut at a number of lines. The JSON output keeps every event.
 */
import { formatDuration } from '../../domain/units.js';
import { formatClock, type ClockStart } from './clock.js';
import type { MigrationFailure } from './migration-run.js';
import type { SimEvent, SimulationRun } from './results.js';

const MINUTE_MS = 60_000;
const NAMES_SHOWN = 4;

export const FAILURE_TEXT: Record<MigrationFailure, string> = {
  AbortedByKubevirt: 'aborted by KubeVirt (completion timeout)',
  NeverConverges: 'never converges (aborted at the completion timeout)',
  TargetLeft: 'the target client left',
  SourceLeft: 'the client left during the return',
};

/** `namespace/name` → `name`: scenarios rarely reuse a name across namespaces. */
export const shortName = (key: string): string => key.slice(key.indexOf('/') + 1);

export function nameList(names: readonly string[], shown = NAMES_SHOWN): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head} +${names.length - shown} more` : head;
}

const seconds = (s: number): string => formatDuration(s * 1000);

function range(values: readonly number[]): string {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return Math.abs(hi - lo) < 0.05 * hi ? seconds(hi) : `${seconds(lo)}-${seconds(hi)}`;
}

function migrationNoun(direction: string, n: number): string {
  if (direction === 'Home') return n === 1 ? 'return home' : 'returns home';
  return n === 1 ? 'move to a client' : 'moves to clients';
}

type Group = { key: string; order: number; events: SimEvent[] };

/** The order lines of one minute appear in. */
function groupOf(e: SimEvent): { key: string; order: number } | undefined {
  switch (e.kind) {
    case 'client-left':
      return { key: 'left', order: 0 };
    case 'migration-ended':
      return e.succeeded ? { key: `ok-${e.direction}`, order: 1 } : { key: 'failed', order: 2 };
    case 'client-joined':
      return { key: 'joined', order: 3 };
    case 'departure-announced':
      return { key: `announced-${e.departureAtMs}`, order: 4 };
    case 'migration-started':
      return { key: `start-${e.direction}`, order: 5 };
    case 'decision':
      // Only refusals and blocks are news; moves show as migrations, waits resolve by themselves.
      if (e.action !== 'Stay' && e.action !== 'Blocked') return undefined;
      if (['Placed', 'NodeNotReady', 'ClientOffline', 'ClientLeaving', 'NotBoundClient', 'HysteresisHold'].includes(e.reason)) return undefined;
      return { key: `refused-${e.reason}`, order: 6 };
  }
}

function describe(group: Group, clock: ClockStart): string {
  const ev = group.events;
  const first = ev[0]!;
  switch (first.kind) {
    case 'client-left': {
      const left = ev as Extract<SimEvent, { kind: 'client-left' }>[];
      const caught = left.flatMap((e) => e.vmsCaught.map((vm) => `${shortName(vm)} on ${e.node}${e.announced ? '' : ' (no notice)'}`));
      const what = `${left.length === 1 ? `client ${first.node} left` : `${left.length} clients left (${nameList(left.map((e) => e.node))})`}`;
      return caught.length === 0 ? `${what}; no VM left on them` : `${what}; CAUGHT BY DEPARTURE, running offline: ${nameList(caught)}`;
    }
    case 'client-joined': {
      const joined = ev as Extract<SimEvent, { kind: 'client-joined' }>[];
      const back = joined.flatMap((e) => e.vmsBackOnline.map(shortName));
      const what = joined.length === 1 ? `client ${first.node} joined` : `${joined.length} clients joined (${nameList(joined.map((e) => e.node))})`;
      return back.length > 0 ? `${what}; back online with their VMs: ${nameList(back)}` : what;
    }
    case 'departure-announced':
      return `${ev.length === 1 ? `client ${first.node} announces` : `${ev.length} clients announce`} leaving at ${formatClock(first.departureAtMs, clock, false)}${ev.length > 1 ? ` (${nameList(ev.map((e) => (e as typeof first).node))})` : ''}`;
    case 'migration-started': {
      const started = ev as Extract<SimEvent, { kind: 'migration-started' }>[];
      const items = started.map((e) => `${shortName(e.vm)} -> ${e.to}${e.predictedSeconds !== undefined ? ` (predicted ${seconds(e.predictedSeconds)})` : ''}`);
      return `${started.length} ${migrationNoun(first.direction, started.length)} started: ${nameList(items, 3)}`;
    }
    case 'migration-ended': {
      const ended = ev as Extract<SimEvent, { kind: 'migration-ended' }>[];
      if (first.succeeded) {
        return `${ended.length} ${migrationNoun(first.direction, ended.length)} succeeded in ${range(ended.map((e) => e.seconds))}: ${nameList(ended.map((e) => shortName(e.vm)))}`;
      }
      const items = ended.map((e) => `${shortName(e.vm)} -> ${e.to} after ${seconds(e.seconds)}: ${FAILURE_TEXT[e.failure!]}`);
      return `${ended.length} migration${ended.length === 1 ? '' : 's'} FAILED: ${nameList(items, 2)}`;
    }
    case 'decision': {
      const refused = ev as Extract<SimEvent, { kind: 'decision' }>[];
      const blocked = first.action === 'Blocked';
      if (refused.length === 1) return `${shortName(first.vm)} ${blocked ? 'is blocked' : 'stays'} (${first.reason}): ${first.message}`;
      return `${refused.length} VMs ${blocked ? 'are blocked' : 'stay'} (${first.reason}): ${nameList(refused.map((e) => shortName(e.vm)))}; ${shortName(first.vm)}: ${first.message}`;
    }
  }
}

export interface TimelineOptions {
  /** Lines at most; the rest is counted. */
  readonly maxLines: number;
}

/** One minute's lines, without their time: equal blocks in a row are told once. */
interface Block {
  readonly atMs: number;
  readonly lines: readonly string[];
}

function blocksOf(events: readonly SimEvent[], clock: ClockStart): Block[] {
  const blocks: Block[] = [];
  let bucket = -Infinity;
  let groups = new Map<string, Group>();
  const flush = (): void => {
    const ordered = [...groups.values()].sort((a, b) => a.events[0]!.atMs - b.events[0]!.atMs || a.order - b.order);
    if (ordered.length > 0) blocks.push({ atMs: ordered[0]!.events[0]!.atMs, lines: ordered.map((g) => describe(g, clock)) });
    groups = new Map();
  };
  for (const e of events) {
    const g = groupOf(e);
    if (!g) continue;
    const b = Math.floor(e.atMs / MINUTE_MS);
    if (b !== bucket) {
      flush();
      bucket = b;
    }
    const group = groups.get(g.key) ?? { ...g, events: [] };
    group.events.push(e);
    groups.set(g.key, group);
  }
  flush();
  return blocks;
}

export function timelineLines(run: SimulationRun, clock: ClockStart, opts: TimelineOptions): string[] {
  const lines: string[] = [];
  const blocks = blocksOf(run.events, clock);
  for (let i = 0; i < blocks.length; ) {
    const block = blocks[i]!;
    // A retry loop (fail, start again, fail …) repeats the same block: tell it once.
    let j = i + 1;
    while (j < blocks.length && blocks[j]!.lines.join('\n') === block.lines.join('\n')) j++;
    const time = formatClock(block.atMs, clock, false);
    block.lines.forEach((line, k) => lines.push(`${k === 0 ? time : ' '.repeat(time.length)}  ${line}`));
    if (j - i > 1) lines.push(`${' '.repeat(time.length)}  ... the same ${j - i - 1} more time${j - i - 1 === 1 ? '' : 's'}, until ${formatClock(blocks[j - 1]!.atMs, clock, false)}`);
    i = j;
  }
  if (lines.length <= opts.maxLines) return lines;
  return [...lines.slice(0, opts.maxLines), `... ${lines.length - opts.maxLines} more lines (--timeline full, or --json for every event)`];
}
