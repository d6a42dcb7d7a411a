/**
 * The link agent's accuracy on real shaped links (docs/link-agent.md): the reflector in one network
 * namespace, the agent (`offline-first agent --print`, the real command) in the other, joined by a
 * veth pair shaped with tc tbf (lab/netns.sh) at 37 Mbit/s and at 200 Mbit/s. The agent's estimate
 * must lie within 10 % of the shaped rate, its RTT within 5 ms of the link's, and every probe within
 * its byte cap. Needs root; about 15 s.
 *
 * No added delay: this kernel has tbf, htb and fifo but neither netem nor fq (whose earliest-departure
 * time a tc BPF program could set), and tbf's latency only bounds its queue. The expected RTT is that
 * of an idle veth, about 0.1 ms.
 *
 * Run with the lab layer (`npm run test:lab`, as root), or alone:
 * `npm run -s build && npx mocha --timeout 120000 dist/test/lab/link-agent.test.js`.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { DEFAULT_PROBE_BUDGET } from '../../src/agent/budget.js';
import { projectRoot } from '../../src/controlplane/tools.js';
import type { NodeLinkStatus } from '../../src/kube/node-link.js';
import { acquireLabLock } from '../../lab/lock.js';
import { LabNetwork, SOURCE_ADDRESS, type LinkSpec } from '../../lab/network.js';

const PREFIX = 'ofl-agent';
const PORT = 7480;
const PROBES = 3;
const RATE_TOLERANCE = 0.1;
const RTT_TOLERANCE_MS = 5;
/** An idle veth's round trip: no delay can be added on this kernel (see above). */
const EXPECTED_RTT_MS = 0;
const CLI = `${projectRoot}/dist/src/cli.js`;

const LINKS: readonly LinkSpec[] = [
  { name: '37 Mbit/s', rate: '37mbit', rateBitsPerSecond: 37e6, burst: '32kb', latency: '50ms' },
  // tbf needs a burst of at least rate/HZ bytes (100 KB at HZ=250).
  { name: '200 Mbit/s', rate: '200mbit', rateBitsPerSecond: 200e6, burst: '256kb', latency: '50ms' },
];

interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** Runs a command inside a namespace, collecting its JSON log lines. */
function inNamespace(namespace: string, args: readonly string[]): { child: ChildProcess; lines: LogLine[]; stderr: string[] } {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    if (l.startsWith('{')) lines.push(JSON.parse(l) as LogLine);
  });
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  return { child, lines, stderr };
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('link agent on tbf-shaped links (root)', function () {
  this.timeout(120_000);
  let release: (() => void) | undefined;

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, tc): run this suite as root, as CI does');
    release = await acquireLabLock((pid) => console.log(`      waiting for the lab lock held by pid ${pid}`));
    await LabNetwork.down(PREFIX);
  });

  after(async () => {
    await LabNetwork.down(PREFIX);
    release?.();
  });

  for (const link of LINKS) {
    describe(`at ${link.name}`, () => {
      let network: LabNetwork | undefined;
      let reflector: ReturnType<typeof inNamespace> | undefined;
      let probes: LogLine[] = [];
      let served: LogLine[] = [];
      let status: NodeLinkStatus | undefined;
      const shapedBytesPerSecond = link.rateBitsPerSecond / 8;

      before(async () => {
        network = await LabNetwork.up(PREFIX, link);
        // The reflector is the data centre: it sends over the shaped side, as a VM moving to the client would arrive.
        reflector = inNamespace(network.source, ['reflector', '--host', SOURCE_ADDRESS, '--port', String(PORT)]);
        await until('the reflector to listen', () => reflector!.lines.some((l) => l.msg === 'reflector listening') || reflector!.child.exitCode !== null, 10_000);
        expect(reflector.child.exitCode, reflector.stderr.join('\n')).to.equal(null);
        const agent = inNamespace(network.destination, ['agent', '--reflector', `${SOURCE_ADDRESS}:${PORT}`, '--probes', String(PROBES), '--interval', '1s', '--print']);
        const [code] = (await once(agent.child, 'exit')) as [number | null];
        expect(code, agent.stderr.join('\n')).to.equal(0);
        probes = agent.lines.filter((l) => l.msg === 'probe');
        status = agent.lines.filter((l) => l.msg.startsWith('NodeLink status')).map((l) => l.status as NodeLinkStatus).pop();
        served = reflector.lines.filter((l) => l.msg === 'probe served');
        const mbit = (bytesPerSecond: unknown) => `${((Number(bytesPerSecond) * 8) / 1e6).toFixed(1)} Mbit/s`;
        for (const p of probes) console.log(`      probe: ${mbit(p.bandwidthBytesPerSecond)}, RTT ${String(p.rttMs)} ms, ${String(p.bytes)} B of ${String(p.capBytes)} B cap in ${String(p.seconds)} s`);
        console.log(`      estimate: ${mbit(status?.bandwidthBytesPerSecond)} (${((Number(status?.bandwidthBytesPerSecond) / shapedBytesPerSecond - 1) * 100).toFixed(1)} % off ${link.name}), RTT ${String(status?.rttMs)} ms`);
      });

      after(async () => {
        if (reflector?.child.exitCode === null) {
          reflector.child.kill('SIGTERM');
          await once(reflector.child, 'exit');
        }
        await LabNetwork.down(PREFIX);
        network = undefined;
      });

      it(`publishes an estimate within ${RATE_TOLERANCE * 100} % of the shaped rate`, () => {
        expect(probes).to.have.length(PROBES);
        expect(status?.probes).to.equal(PROBES);
        const estimate = status!.bandwidthBytesPerSecond!;
        expect(Math.abs(estimate / shapedBytesPerSecond - 1), `${estimate} B/s against ${shapedBytesPerSecond} B/s`).to.be.at.most(RATE_TOLERANCE);
      });

      it(`publishes an RTT within ${RTT_TOLERANCE_MS} ms of the link's`, () => {
        expect(Math.abs(status!.rttMs! - EXPECTED_RTT_MS)).to.be.at.most(RTT_TOLERANCE_MS);
      });

      it('keeps every probe within its byte cap, on both ends', () => {
        for (const p of probes) {
          expect(p.capBytes).to.equal(DEFAULT_PROBE_BUDGET.bytes);
          expect(Number(p.bytes)).to.be.at.most(Number(p.capBytes));
        }
        expect(served).to.have.length(PROBES);
        for (const s of served) expect(Number(s.bytes)).to.be.at.most(DEFAULT_PROBE_BUDGET.bytes);
        expect(status!.lastProbe!.bytes).to.be.at.most(DEFAULT_PROBE_BUDGET.bytes);
      });
    });
  }
});
