/**
 * The lab link: two namespaces and a tbf-shaped veth (lab/netns.sh), plus a TCP goodput probe
 * across it (lab/link-probe.ts) so each run records what the link really carried.
 */
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { labSourceDir } from './paths.js';

const run = promisify(execFile);

export const SOURCE_ADDRESS = '10.77.0.1';
export const DESTINATION_ADDRESS = '10.77.0.2';

export interface LinkSpec {
  /** "lan" or "wan": a label for reports. */
  readonly name: string;
  /** tc rate, e.g. "37mbit", "1gbit". */
  readonly rate: string;
  readonly rateBitsPerSecond: number;
  /** tbf burst and latency; a 1 Gbit/s tbf needs a burst of at least rate/HZ bytes. */
  readonly burst: string;
  readonly latency: string;
}

export interface LinkProbe {
  readonly seconds: number;
  readonly bytes: number;
  readonly goodputBytesPerSecond: number;
}

export class LabNetwork {
  private constructor(readonly prefix: string) {}

  get source(): string {
    return `${this.prefix}-a`;
  }

  get destination(): string {
    return `${this.prefix}-b`;
  }

  static async up(prefix: string, link: LinkSpec): Promise<LabNetwork> {
    await run(`${labSourceDir}/netns.sh`, ['up', prefix, link.rate, link.burst, link.latency]);
    return new LabNetwork(prefix);
  }

  /** Safe to call for a network that was never brought up (cleans leftovers of a killed run). */
  static async down(prefix: string): Promise<void> {
    await run(`${labSourceDir}/netns.sh`, ['down', prefix]);
  }

  /** Sends TCP data from source to destination for `seconds` and reports the receiver's goodput. */
  async probe(port: number, seconds: number): Promise<LinkProbe> {
    const script = fileURLToPath(new URL('./link-probe.js', import.meta.url));
    // Our own binary through /proc: it still runs if node_modules is reinstalled meanwhile.
    const node = `/proc/${process.pid}/exe`;
    const sink = spawn('ip', ['netns', 'exec', this.destination, node, script, 'sink', DESTINATION_ADDRESS, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(sink, 'exit');
    try {
      sink.stdout.setEncoding('utf8');
      let out = '';
      const listening = new Promise<void>((resolve) => {
        sink.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('listening')) resolve();
        });
      });
      await Promise.race([listening, exited]);
      await run('ip', ['netns', 'exec', this.source, node, script, 'send', DESTINATION_ADDRESS, String(port), String(seconds)]);
      await exited;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) throw new Error(`link probe printed no result: ${out}`);
      return JSON.parse(line) as LinkProbe;
    } finally {
      if (sink.exitCode === null) sink.kill('SIGKILL');
    }
  }
}
