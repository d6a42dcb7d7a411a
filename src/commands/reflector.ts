/**
 * `offline-first reflector`: the data-centre end of the link agents' probes, run as its own
 * Deployment behind a Service (docs/link-agent.md says why not inside the operator's pods).
 * Needs no Kubernetes API access. Stops cleanly on SIGTERM/SIGINT.
 */
import { DEFAULT_INTERVAL_MS, DEFAULT_MAX_CONCURRENT, DEFAULT_PROBE_BUDGET, DEFAULT_REFLECTOR_CAPS, PROBE_BYTES_RANGE, PROBE_SECONDS_RANGE, reflectorLoad } from '../agent/budget.js';
import { DEFAULT_JITTER_FRACTION } from '../agent/schedule.js';
import { formatBandwidth, formatBytes, formatDuration } from '../domain/units.js';
import { Reflector } from '../link/reflector.js';
import { bytesFlag, durationFlag, integerFlag, parseCommandFlags, type FlagSpecs } from './flags.js';
import { log, stopSignal } from './log.js';

const flags: FlagSpecs = {
  port: { kind: 'string', value: 'N', help: 'TCP port to serve probes on (default 7480)' },
  host: { kind: 'string', value: 'ADDRESS', help: 'address to listen on (default: all)' },
  'max-concurrent': { kind: 'string', value: 'N', help: `probes served at once; others are told BUSY and back off (default ${DEFAULT_MAX_CONCURRENT})` },
  'max-probe-bytes': { kind: 'string', value: 'BYTES', help: `cap on one probe's download; larger requests get this (default 64Mi)` },
  'max-probe-seconds': { kind: 'string', value: 'DURATION', help: `cap on one probe's download time (default ${DEFAULT_REFLECTOR_CAPS.seconds}s)` },
  'max-pings': { kind: 'string', value: 'N', help: 'echo round trips allowed per probe (default 16)' },
  help: { kind: 'boolean', help: 'show this help' },
};

function helpSuffix(): string {
  const fleet = { agents: 1000, budget: DEFAULT_PROBE_BUDGET, intervalMs: DEFAULT_INTERVAL_MS, jitterFraction: DEFAULT_JITTER_FRACTION, reflectorReplicas: 2, maxConcurrent: DEFAULT_MAX_CONCURRENT };
  const load = reflectorLoad(fleet);
  return `
The load it carries, for 1,000 agents with their defaults (${formatBytes(fleet.budget.bytes)} per probe every
${formatDuration(fleet.intervalMs)}) and 2 reflector replicas: ${load.probesPerSecond.toFixed(1)} probes/s, ${formatBandwidth(load.averageBytesPerSecond)} on average
if every probe uses its whole cap (never above ${formatBandwidth(load.maxAverageBytesPerSecond)} over time), at most ${load.maxConcurrentProbes} downloads at once.
`;
}

export async function run(args: readonly string[]): Promise<number> {
  const parsed = parseCommandFlags(args, flags, 'Usage: offline-first reflector [flags]', { helpSuffix: helpSuffix() });
  if (!parsed) return 0;
  const port = integerFlag(parsed, 'port', 7480, 1, 65535);
  const limits = {
    maxConcurrent: integerFlag(parsed, 'max-concurrent', DEFAULT_MAX_CONCURRENT, 1, 1000),
    caps: {
      bytes: bytesFlag(parsed, 'max-probe-bytes', '64Mi', PROBE_BYTES_RANGE.min, PROBE_BYTES_RANGE.max),
      seconds: durationFlag(parsed, 'max-probe-seconds', `${DEFAULT_REFLECTOR_CAPS.seconds}s`, PROBE_SECONDS_RANGE.min * 1000, PROBE_SECONDS_RANGE.max * 1000) / 1000,
    },
    maxPings: integerFlag(parsed, 'max-pings', 16, 1, 64),
  };
  const reflector = new Reflector(limits, {
    served: (p) => log('probe served', { remote: p.remote, bytes: p.bytes, seconds: Math.round(p.seconds * 1000) / 1000 }),
    refused: (remote, why) => log('probe refused', { remote, why }),
  });
  const host = parsed.strings.get('host');
  const address = await reflector.listen(port, host);
  log('reflector listening', { host: host ?? '*', port: address.port, maxConcurrent: limits.maxConcurrent, maxProbeBytes: limits.caps.bytes, maxProbeSeconds: limits.caps.seconds });
  const signal = await stopSignal();
  log('shutting down', { signal, inFlight: reflector.inFlight });
  await reflector.close();
  log('stopped');
  return 0;
}
