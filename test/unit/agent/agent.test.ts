import { expect } from 'chai';
import { runAgent, type AgentDeps } from '../../../src/agent/agent.js';
import { scheduleFor } from '../../../src/agent/schedule.js';
import type { NodeLinkStatus } from '../../../src/kube/node-link.js';
import { ProbeError, type ProbeOutcome } from '../../../src/link/probe.js';

const MB = 1e6;
const measured = (mbPerSecond: number, rttMs = 20): ProbeOutcome => ({
  kind: 'measured',
  measurement: { bandwidthBytesPerSecond: mbPerSecond * MB, rttMs, rttSamplesMs: [rttMs], bytes: 8 * 1024 * 1024, seconds: 1.8, granted: { bytes: 8 * 1024 * 1024, seconds: 2 } },
});
const unreachable = new ProbeError('Unreachable', 'cannot connect to the reflector r:7480: ECONNREFUSED');

/** Runs the agent over scripted probe outcomes with a fake clock; returns what it published and slept. */
async function script(outcomes: (ProbeOutcome | Error)[], opts: { failPublish?: number[]; startImmediately?: boolean } = {}) {
  const published: NodeLinkStatus[] = [];
  const sleeps: number[] = [];
  const logs: string[] = [];
  let nowMs = Date.UTC(2026, 11, 7, 9);
  let call = 0;
  const deps: AgentDeps = {
    probe: async () => {
      const o = outcomes[call++]!;
      if (o instanceof Error) throw o;
      return o;
    },
    sink: {
      publish: async (s) => {
        if (opts.failPublish?.includes(published.length + logs.filter((l) => l === 'publish failed').length)) throw new Error('API server unreachable');
        published.push(s);
      },
    },
    now: () => new Date(nowMs),
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
      nowMs += ms;
    },
    log: (msg) => logs.push(msg),
  };
  const summary = await runAgent(
    { nodeName: 'client-7', reflector: 'r:7480', schedule: scheduleFor(300_000), maxProbes: outcomes.length, startImmediately: opts.startImmediately ?? true },
    deps,
    new AbortController().signal,
  );
  return { published, sleeps, logs, summary };
}

describe('link agent loop', () => {
  it('publishes the smoothed estimate, the newest probe and its size after each probe', async () => {
    const { published, sleeps, summary } = await script([measured(4.4), measured(0.5), measured(4.5)]);
    expect(published.map((s) => s.bandwidthBytesPerSecond)).to.deep.equal([4.4 * MB, 2.45 * MB, 4.4 * MB]);
    const last = published[2]!;
    expect(last).to.deep.include({ reflector: 'r:7480', probes: 3, rttMs: 20, measuredAt: '2026-12-07T09:10:00.000Z' });
    expect(last.lastProbe).to.deep.equal({ measuredAt: '2026-12-07T09:10:00.000Z', bandwidthBytesPerSecond: 4.5 * MB, rttMs: 20, bytes: 8 * 1024 * 1024, seconds: 1.8 });
    expect(sleeps).to.deep.equal([300_000, 300_000]);
    expect(summary).to.deep.include({ attempts: 3, measured: 3, lastOutcome: 'measured' });
  });

  it('backs off while the reflector is unreachable, keeps the estimate, and writes the same error once', async () => {
    const { published, sleeps } = await script([measured(4.4), unreachable, unreachable, unreachable, measured(4.6)]);
    expect(sleeps).to.deep.equal([300_000, 15_000, 30_000, 60_000]);
    expect(published).to.have.length(3);
    expect(published[1]).to.deep.include({ bandwidthBytesPerSecond: 4.4 * MB, lastError: `Unreachable: ${unreachable.message}` });
    expect(published[2]!.lastError).to.equal(undefined);
    expect(published[2]!.bandwidthBytesPerSecond).to.equal(4.5 * MB);
  });

  it('backs off from a busy reflector no sooner than its hint, and publishes nothing for it', async () => {
    const { published, sleeps, summary } = await script([{ kind: 'busy', retryAfterMs: 20_000 }, { kind: 'busy', retryAfterMs: 20_000 }, measured(4.4)]);
    expect(sleeps).to.deep.equal([20_000, 30_000]);
    expect(published).to.have.length(1);
    expect(summary.lastOutcome).to.equal('measured');
  });

  it('goes on probing when a publish fails, and publishes with the next probe', async () => {
    const { published, logs } = await script([measured(4.4), measured(4.5), measured(4.6)], { failPublish: [0] });
    expect(logs.filter((l) => l === 'publish failed')).to.have.length(1);
    expect(published.map((s) => s.probes)).to.deep.equal([2, 3]);
  });

  it('waits a random part of the interval before its first probe unless told to start at once', async () => {
    expect((await script([measured(4.4)], { startImmediately: false })).sleeps).to.deep.equal([150_000]);
    expect((await script([measured(4.4)])).sleeps).to.deep.equal([]);
  });

  it('stops when its signal aborts, in the middle of a wait', async () => {
    const stop = new AbortController();
    let probes = 0;
    const summary = await runAgent(
      { nodeName: 'n', reflector: 'r:1', schedule: scheduleFor(300_000), startImmediately: true },
      {
        probe: async () => (probes++, measured(4)),
        sink: { publish: async () => undefined },
        now: () => new Date(0),
        random: () => 0.5,
        sleep: async () => stop.abort(),
        log: () => undefined,
      },
      stop.signal,
    );
    expect(probes).to.equal(1);
    expect(summary.attempts).to.equal(1);
  });
});
