/**
 * `offline-first agent`: the link agent, one per client node (a DaemonSet). Probes the reflector in
 * the data centre on a jittered schedule, with backoff while it is unreachable or busy, and
 * publishes the smoothed estimate to the node's NodeLink record (or prints it with --print).
 * Stops cleanly on SIGTERM/SIGINT: the probe in flight is cancelled, nothing half-written.
 */
import { runAgent } from '../agent/agent.js';
import { DEFAULT_INTERVAL_MS, DEFAULT_PROBE_BUDGET, PROBE_BYTES_RANGE, PROBE_SECONDS_RANGE } from '../agent/budget.js';
import { scheduleFor } from '../agent/schedule.js';
import { NodeLinkSink, PrintSink, type LinkSink } from '../agent/sink.js';
import { formatDuration } from '../domain/units.js';
import { KubeClient } from '../kube/client.js';
import { DEFAULT_PINGS, probeLink, type ProbeTarget } from '../link/probe.js';
import { sleep } from '../runtime/backoff.js';
import { bytesFlag, durationFlag, integerFlag, parseCommandFlags, UsageError, type FlagSpecs } from './flags.js';
import { log, stopSignal } from './log.js';

const flags: FlagSpecs = {
  'node-name': { kind: 'string', value: 'NAME', help: 'the node this agent measures for, and the NodeLink it writes (default: $NODE_NAME)' },
  reflector: { kind: 'string', value: 'HOST:PORT', help: 'the reflector in the data centre to probe (required)' },
  interval: { kind: 'string', value: 'DURATION', help: `probe this often, jittered by ±20 % (default ${formatDuration(DEFAULT_INTERVAL_MS)}, 1s to 1h)` },
  'probe-bytes': { kind: 'string', value: 'BYTES', help: `cap on the bytes one probe downloads (default 8Mi, 256Ki to 1Gi)` },
  'probe-seconds': { kind: 'string', value: 'DURATION', help: `cap on the seconds one probe downloads for (default ${DEFAULT_PROBE_BUDGET.seconds}s, 0.5s to 30s)` },
  once: { kind: 'boolean', help: 'probe once (at once, not at a random point of the interval), publish, and exit: 0 if measured, 1 if not' },
  probes: { kind: 'string', value: 'N', help: 'probe N times at the interval, then exit as --once does' },
  print: { kind: 'boolean', help: 'print each NodeLink status as a JSON line instead of publishing it (needs no cluster)' },
  kubeconfig: { kind: 'string', value: 'PATH', help: 'kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)' },
  help: { kind: 'boolean', help: 'show this help' },
};

const HELP_SUFFIX = `
Each probe: a few echo round trips (RTT: their median), then a download from the reflector
(goodput: the rate over its last two thirds), within both caps. The published estimate is the
median of the last 5 probes. docs/link-agent.md has the protocol, the schedule and the load bound.
`;

/** host:port or [v6]:port. */
export function parseReflector(text: string): ProbeTarget {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new UsageError(`flag --reflector expects HOST:PORT, e.g. offline-first-reflector.offline-first-system.svc:7480, got "${text}"`);
  return { host: (m[1] ?? m[2])!, port };
}

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(args, flags, 'Usage: offline-first agent --reflector HOST:PORT [flags]', { helpSuffix: HELP_SUFFIX });
  if (!parsed) return 0;
  const reflectorText = parsed.strings.get('reflector');
  if (reflectorText === undefined) throw new UsageError('missing required flag --reflector (the reflector in the data centre, HOST:PORT)');
  const target = parseReflector(reflectorText);
  const intervalMs = durationFlag(parsed, 'interval', formatDuration(DEFAULT_INTERVAL_MS), 1000, 3_600_000);
  const caps = {
    bytes: bytesFlag(parsed, 'probe-bytes', '8Mi', PROBE_BYTES_RANGE.min, PROBE_BYTES_RANGE.max),
    seconds: durationFlag(parsed, 'probe-seconds', `${DEFAULT_PROBE_BUDGET.seconds}s`, PROBE_SECONDS_RANGE.min * 1000, PROBE_SECONDS_RANGE.max * 1000) / 1000,
  };
  if (parsed.booleans.has('once') && parsed.strings.has('probes')) throw new UsageError('flags --once and --probes exclude each other (--once is --probes 1)');
  const maxProbes = parsed.booleans.has('once') ? 1 : parsed.strings.has('probes') ? integerFlag(parsed, 'probes', 1, 1, 1000) : undefined;
  const print = parsed.booleans.has('print');
  const nodeName = parsed.strings.get('node-name') ?? process.env.NODE_NAME;
  if (!nodeName && !print) throw new UsageError('missing flag --node-name and $NODE_NAME is not set (the DaemonSet sets it from spec.nodeName)');
  if (print && parsed.strings.has('kubeconfig')) throw new UsageError('flag --kubeconfig has no use with --print (nothing is published)');

  const sink: LinkSink = print
    ? new PrintSink((line) => process.stdout.write(line))
    : new NodeLinkSink(KubeClient.load(parsed.strings.get('kubeconfig')), nodeName!);
  const stop = new AbortController();
  void stopSignal().then((signal) => {
    log('shutting down', { signal });
    stop.abort();
  });
  log('link agent starting', { node: nodeName, reflector: reflectorText, intervalMs, probeBytes: caps.bytes, probeSeconds: caps.seconds, publish: !print });
  const summary = await runAgent(
    {
      nodeName: nodeName ?? '(--print)',
      reflector: reflectorText,
      schedule: scheduleFor(intervalMs),
      ...(maxProbes !== undefined ? { maxProbes } : {}),
      startImmediately: maxProbes !== undefined,
    },
    {
      probe: (signal) => probeLink(target, { caps, pings: DEFAULT_PINGS, stepTimeoutMs: 10_000, signal }),
      sink,
      now: () => new Date(),
      random: Math.random,
      sleep,
      log,
    },
    stop.signal,
  );
  log('stopped', { probes: summary.attempts, measured: summary.measured });
  if (maxProbes === undefined || stop.signal.aborted) return 0;
  return summary.lastOutcome === 'measured' ? 0 : 1;
}
