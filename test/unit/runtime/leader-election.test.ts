import { expect } from 'chai';
import type { KubeClient } from '../../../src/kube/client.js';
import { KubeApiError } from '../../../src/kube/errors.js';
import { toMicroTime, type Lease, type LeaseSpec } from '../../../src/kube/lease.js';
import { LeaderElector, type LeaderElectionOptions, type LeadershipEnd } from '../../../src/runtime/leader-election.js';
import { until } from './until.js';

/** The one Lease the elector uses, behind `request()` as KubeClient has it, with resourceVersion checks. */
class FakeLeaseApi {
  lease: Lease | undefined;
  partitioned = false;
  /** Runs before the elector's next write reaches the "server", e.g. to let a rival write first. */
  beforeNextWrite: (() => void) | undefined;
  private resourceVersion = 1;

  seed(spec: LeaseSpec): void {
    this.lease = { metadata: { name: 'lock', namespace: 'ns', resourceVersion: String(++this.resourceVersion) }, spec };
  }

  /** Another writer (a rival candidate, kubectl) replaces the spec. */
  overwrite(spec: LeaseSpec): void {
    if (!this.lease) throw new Error('no Lease');
    this.lease = { ...this.lease, metadata: { ...this.lease.metadata, resourceVersion: String(++this.resourceVersion) }, spec };
  }

  async request<T>(method: string, path: string, opts: { body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve));
    if (opts.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    if (this.partitioned) throw new KubeApiError(method, path, 0, 'Unreachable', 'partitioned');
    const fail = (status: number, reason: string) => new KubeApiError(method, path, status, reason, reason);
    const body = opts.body as Lease | undefined;
    if (method !== 'GET') {
      const hook = this.beforeNextWrite;
      this.beforeNextWrite = undefined;
      hook?.();
    }
    switch (method) {
      case 'GET':
        if (!this.lease) throw fail(404, 'NotFound');
        return structuredClone(this.lease) as T;
      case 'POST':
        if (this.lease) throw fail(409, 'AlreadyExists');
        this.lease = { metadata: { ...body!.metadata, resourceVersion: String(++this.resourceVersion) }, spec: body!.spec };
        return structuredClone(this.lease) as T;
      case 'PUT':
        if (!this.lease) throw fail(404, 'NotFound');
        if (body!.metadata.resourceVersion !== this.lease.metadata.resourceVersion) throw fail(409, 'Conflict');
        this.lease = { metadata: { ...this.lease.metadata, resourceVersion: String(++this.resourceVersion) }, spec: body!.spec };
        return structuredClone(this.lease) as T;
      default:
        throw fail(405, 'MethodNotAllowed');
    }
  }
}

/** Time moves only when the test says so; the elector's timers still run (briefly) in real time. */
class ManualClock {
  constructor(public ms = Date.parse('2026-11-25T10:00:00Z')) {}
  now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

const TIMING = { leaseDurationMs: 1_000, renewDeadlineMs: 500, retryPeriodMs: 20 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LeaderElector', () => {
  let api: FakeLeaseApi;
  let clock: ManualClock;
  let elector: LeaderElector;
  let log: string[];
  let errors: string[];
  let signal: AbortSignal | undefined;
  let ended: Promise<LeadershipEnd>;

  function campaign(opts: Partial<LeaderElectionOptions> & { drain?: () => Promise<void> } = {}): void {
    const { drain, ...rest } = opts;
    elector = new LeaderElector(api as unknown as KubeClient, {
      ...TIMING,
      namespace: 'ns',
      name: 'lock',
      identity: 'me',
      clock,
      random: () => 0,
      onError: (err, phase) => errors.push(`${phase}: ${String(err)}`),
      ...rest,
    });
    ended = elector.run({
      onStartedLeading: async (s) => {
        signal = s;
        log.push('started');
        await new Promise((resolve) => s.addEventListener('abort', resolve, { once: true }));
        await drain?.();
        log.push('drained');
      },
      onStoppedLeading: () => log.push('stopped'),
      onNewLeader: (id) => log.push(`leader ${id}`),
    });
  }

  beforeEach(() => {
    api = new FakeLeaseApi();
    clock = new ManualClock();
    log = [];
    errors = [];
    signal = undefined;
  });
  afterEach(async () => {
    await elector?.stop();
  });

  it('creates an absent Lease and leads: holder, MicroTime times, no transitions yet', async () => {
    campaign();
    await until('leading', () => elector.isLeader());
    expect(api.lease?.spec).to.deep.equal({
      holderIdentity: 'me',
      leaseDurationSeconds: 1,
      acquireTime: '2026-11-25T10:00:00.000000Z',
      renewTime: '2026-11-25T10:00:00.000000Z',
      leaseTransitions: 0,
    });
    expect(log).to.deep.equal(['leader me', 'started']);
    expect(errors).to.deep.equal([]);
  });

  it('respects a lease held by another until it has been unchanged for its duration by our clock, then takes it over', async () => {
    // The renewTime is ancient, but it is another machine's clock: only our observation counts.
    api.seed({ holderIdentity: 'other', leaseDurationSeconds: 1, renewTime: '2000-01-01T00:00:00.000000Z', leaseTransitions: 4 });
    campaign();
    await until('seeing the holder', () => elector.leader() === 'other');
    await pause(60);
    expect(elector.isLeader()).to.equal(false);
    expect(api.lease?.spec?.holderIdentity).to.equal('other');

    clock.advance(1_001);
    await until('taking over', () => elector.isLeader());
    expect(api.lease?.spec).to.include({ holderIdentity: 'me', leaseTransitions: 5, acquireTime: toMicroTime(clock.ms) });
    expect(log).to.deep.equal(['leader other', 'leader me', 'started']);
  });

  it('does not lead after losing a write race (409 Conflict), and respects the winner', async () => {
    api.seed({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 2 });
    api.beforeNextWrite = () => api.overwrite({ holderIdentity: 'rival', leaseDurationSeconds: 1, leaseTransitions: 3 });
    campaign();
    await until('seeing the winner', () => elector.leader() === 'rival');
    await pause(60);
    expect(elector.isLeader()).to.equal(false);
    expect(api.lease?.spec).to.include({ holderIdentity: 'rival', leaseTransitions: 3 });
    expect(log).to.deep.equal(['leader rival']);
    // Losing a race is normal, not an error.
    expect(errors).to.deep.equal([]);
  });

  it('steps down when renewals fail for renewDeadline: the signal aborts, onStoppedLeading runs, run() says "lost"', async () => {
    campaign();
    await until('leading', () => elector.isLeader());
    api.partitioned = true;
    await pause(60);
    expect(elector.isLeader(), 'still within renewDeadline').to.equal(true);
    expect(errors.length).to.be.greaterThan(0);

    clock.advance(TIMING.renewDeadlineMs);
    expect(elector.isLeader()).to.equal(false);
    expect(await ended).to.equal('lost');
    expect(signal?.aborted).to.equal(true);
    expect(log).to.deep.equal(['leader me', 'started', 'drained', 'stopped']);
    // Nothing was released: the Lease still names us and expires on its own.
    expect(api.lease?.spec?.holderIdentity).to.equal('me');
  });

  it('steps down at once when the Lease turns out to name another holder', async () => {
    campaign();
    await until('leading', () => elector.isLeader());
    api.overwrite({ holderIdentity: 'usurper', leaseDurationSeconds: 15, leaseTransitions: 1 });
    expect(await ended).to.equal('lost');
    expect(elector.isLeader()).to.equal(false);
    expect(log).to.deep.equal(['leader me', 'started', 'leader usurper', 'drained', 'stopped']);
    expect(api.lease?.spec?.holderIdentity).to.equal('usurper');
  });

  it('on stop(), keeps renewing while the leader work drains, then releases the Lease', async () => {
    let versionsDuringDrain: string[] = [];
    campaign({
      drain: async () => {
        const before = api.lease?.metadata.resourceVersion ?? '';
        await pause(100);
        versionsDuringDrain = [before, api.lease?.metadata.resourceVersion ?? ''];
        expect(api.lease?.spec?.holderIdentity).to.equal('me');
      },
    });
    await until('leading', () => elector.isLeader());
    await elector.stop();

    expect(await ended).to.equal('stopped');
    expect(versionsDuringDrain[1]).to.not.equal(versionsDuringDrain[0]);
    expect(api.lease?.spec).to.include({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(log).to.deep.equal(['leader me', 'started', 'drained', 'stopped']);
    expect(elector.isLeader()).to.equal(false);
  });

  it('stopped while a candidate, it never leads and leaves the Lease alone', async () => {
    api.seed({ holderIdentity: 'other', leaseDurationSeconds: 15 });
    campaign();
    await until('seeing the holder', () => elector.leader() === 'other');
    await elector.stop();
    expect(await ended).to.equal('stopped');
    expect(log).to.deep.equal(['leader other']);
    expect(api.lease?.spec?.holderIdentity).to.equal('other');
  });

  it('refuses timings under which two candidates could lead at once', () => {
    const make = (o: Partial<LeaderElectionOptions>) => () =>
      new LeaderElector(api as unknown as KubeClient, { namespace: 'ns', name: 'lock', identity: 'me', ...o });
    expect(make({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).to.throw(/leaseDurationMs .* greater than renewDeadlineMs/);
    expect(make({ renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).to.throw(/renewDeadlineMs .* 1.2 x retryPeriodMs/);
    expect(make({ identity: '' })).to.throw(/identity/);
    expect(make({})).to.not.throw();
  });
});
