import { expect } from 'chai';
import { KubeClient } from '../../src/kube/client.js';
import { KubeApiError } from '../../src/kube/errors.js';
import type { Lease } from '../../src/kube/lease.js';
import { Resources } from '../../src/kube/resources.js';
import { LeaderElector, type LeaderElectionOptions, type LeaderElectionPhase, type LeadershipEnd } from '../../src/runtime/leader-election.js';
import { adminClient, eventually, newNamespace } from './support.js';

/** A client whose requests fail while `partitioned`, as if its node lost the API server. */
class PartitionableClient extends KubeClient {
  partitioned = false;
  override request<T>(method: string, path: string, opts?: Parameters<KubeClient['request']>[2]): Promise<T> {
    if (this.partitioned) return Promise.reject(new KubeApiError(method, path, 0, 'Unreachable', 'partitioned by the test'));
    return super.request<T>(method, path, opts);
  }
}

/** One candidate and what happened to it, in real time (ms since the epoch). */
interface Candidate {
  identity: string;
  elector: LeaderElector;
  client: KubeClient;
  ended: Promise<LeadershipEnd>;
  startedAt: number[];
  drainedAt: number[];
  stoppedAt: number[];
  newLeaders: string[];
  errors: { phase: LeaderElectionPhase; err: unknown }[];
}

// Short enough for a test, with the same ratios as client-go's defaults.
const FAST = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 };

describe('leader election on a real API server', function () {
  this.timeout(30_000);
  let admin: KubeClient;
  let ns: string;
  let candidates: Candidate[];

  before(() => {
    admin = adminClient();
  });
  beforeEach(async () => {
    ns = await newNamespace(admin, 'lease');
    candidates = [];
  });
  afterEach(async () => {
    for (const c of candidates) await c.elector.stop();
  });

  function candidate(identity: string, opts: Partial<LeaderElectionOptions> & { drainMs?: number; client?: KubeClient } = {}): Candidate {
    const { drainMs = 0, client = adminClient(), ...electorOpts } = opts;
    const c: Candidate = {
      identity,
      client,
      elector: new LeaderElector(client, {
        ...FAST,
        ...electorOpts,
        namespace: ns,
        name: 'offline-first',
        identity,
        onError: (err, phase) => c.errors.push({ phase, err }),
      }),
      ended: Promise.resolve('stopped'),
      startedAt: [],
      drainedAt: [],
      stoppedAt: [],
      newLeaders: [],
      errors: [],
    };
    c.ended = c.elector.run({
      onStartedLeading: async (signal) => {
        c.startedAt.push(Date.now());
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        // Stands for reconciles still in flight when leadership ends.
        await new Promise((resolve) => setTimeout(resolve, drainMs));
        c.drainedAt.push(Date.now());
      },
      onStoppedLeading: () => c.stoppedAt.push(Date.now()),
      onNewLeader: (id) => c.newLeaders.push(id),
    });
    candidates.push(c);
    return c;
  }

  /** How many candidates consider themselves leader, every 20 ms until `stop()`. */
  function sampleLeaders(): { stop(): number[] } {
    const samples: number[] = [];
    const timer = setInterval(() => samples.push(candidates.filter((c) => c.elector.isLeader()).length), 20);
    return {
      stop() {
        clearInterval(timer);
        return samples;
      },
    };
  }

  const lease = () => admin.get<Lease>(Resources.lease, ns, 'offline-first');
  const leaderOf = (cs: Candidate[]) => eventually('a leader', () => cs.find((c) => c.elector.isLeader()), 10_000);
  const apiErrors = (c: Candidate) => c.errors.map((e) => `${e.phase}: ${String(e.err)}`);

  it('lets exactly one of two candidates lead at every moment, and the Lease names it', async () => {
    const sampler = sampleLeaders();
    const a = candidate(`${ns}-a`);
    const b = candidate(`${ns}-b`);
    const leader = await leaderOf([a, b]);
    const follower = leader === a ? b : a;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const samples = sampler.stop();

    expect(samples.length).to.be.greaterThan(50);
    expect(Math.max(...samples)).to.equal(1);
    // Once someone led, someone led at every later sample: renewals kept the Lease.
    expect(samples.slice(samples.indexOf(1))).to.not.include(0);
    expect(leader.startedAt).to.have.length(1);
    expect(follower.startedAt).to.have.length(0);
    expect(follower.newLeaders).to.deep.equal([leader.identity]);
    expect(follower.elector.leader()).to.equal(leader.identity);

    const l = await lease();
    expect(l.spec?.holderIdentity).to.equal(leader.identity);
    expect(l.spec?.leaseDurationSeconds).to.equal(2);
    expect(l.spec?.leaseTransitions).to.equal(0);
    expect(l.spec?.acquireTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Date.parse(l.spec?.renewTime ?? '')).to.be.greaterThan(Date.parse(l.spec?.acquireTime ?? ''));
    expect([...apiErrors(a), ...apiErrors(b)]).to.deep.equal([]);
  });

  it('hands over soon after the leader stops gracefully, once its work has drained, long before the Lease would expire', async () => {
    const slowExpiry = { leaseDurationMs: 10_000, renewDeadlineMs: 6_000, retryPeriodMs: 100, drainMs: 300 };
    const a = candidate(`${ns}-a`, slowExpiry);
    const first = await leaderOf([a]);
    const b = candidate(`${ns}-b`, slowExpiry);
    await eventually('the follower to see the leader', () => (b.elector.leader() === a.identity ? true : undefined));
    const sampler = sampleLeaders();

    const stopping = Date.now();
    await first.elector.stop();
    expect(await first.ended).to.equal('stopped');
    expect(first.elector.isLeader()).to.equal(false);
    const second = await leaderOf([b]);
    const handoverMs = second.startedAt[0]! - stopping;
    const samples = sampler.stop();

    expect(Math.max(...samples)).to.equal(1);
    // Released, not expired: the follower did not wait out the 10 s lease (generous bound).
    expect(handoverMs).to.be.lessThan(5_000);
    // The old leader's work had drained, and it had stopped leading, before the new one started.
    expect(first.drainedAt[0]).to.be.at.most(second.startedAt[0]!);
    expect(first.stoppedAt[0]).to.be.at.most(second.startedAt[0]!);
    const l = await lease();
    expect(l.spec?.holderIdentity).to.equal(b.identity);
    expect(l.spec?.leaseTransitions).to.equal(1);
    expect([...apiErrors(a), ...apiErrors(b)]).to.deep.equal([]);
  });

  it('a leader cut off from the API server steps down, and the other takes over only after the lease expires', async () => {
    const partitionable = new PartitionableClient(adminClient().credentials);
    const a = candidate(`${ns}-a`, { client: partitionable });
    await leaderOf([a]);
    const b = candidate(`${ns}-b`);
    await eventually('the follower to see the leader', () => (b.elector.leader() === a.identity ? true : undefined));
    const sampler = sampleLeaders();

    const cutAt = Date.now();
    partitionable.partitioned = true;
    expect(await a.ended).to.equal('lost');
    const lostAt = Date.now();
    const second = await leaderOf([b]);
    const samples = sampler.stop();

    expect(Math.max(...samples)).to.equal(1);
    expect(a.elector.isLeader()).to.equal(false);
    expect(a.stoppedAt).to.have.length(1);
    expect(a.errors.map((e) => e.phase)).to.include('renew');
    // It kept leading while renewals failed, for no longer than renewDeadline after its last renewal.
    expect(lostAt - cutAt).to.be.at.most(FAST.renewDeadlineMs + 2_000);
    expect(second.startedAt[0]).to.be.at.least(a.stoppedAt[0]!);
    // Lower bound only: the follower must wait a whole lease after the last renewal it saw.
    expect(second.startedAt[0]! - cutAt).to.be.at.least(FAST.leaseDurationMs - FAST.retryPeriodMs - 50);
    const l = await lease();
    expect(l.spec?.holderIdentity).to.equal(b.identity);
    expect(l.spec?.leaseTransitions).to.equal(1);
  });

  it('a leader stopped without release keeps the Lease until it expires; transitions count every change of holder', async () => {
    const a = candidate(`${ns}-a`, { releaseOnStop: false });
    await leaderOf([a]);
    const b = candidate(`${ns}-b`);
    await eventually('the follower to see the leader', () => (b.elector.leader() === a.identity ? true : undefined));

    const stoppedAt = Date.now();
    await a.elector.stop();
    expect((await lease()).spec?.holderIdentity).to.equal(a.identity);
    await leaderOf([b]);
    expect(b.startedAt[0]! - stoppedAt).to.be.at.least(FAST.leaseDurationMs - FAST.retryPeriodMs - 50);
    expect((await lease()).spec?.leaseTransitions).to.equal(1);

    // Back to a: b releases on stop, a new candidate with a's identity takes the Lease at once.
    const a2 = candidate(`${ns}-a`);
    await b.elector.stop();
    await leaderOf([a2]);
    const l = await lease();
    expect(l.spec?.holderIdentity).to.equal(a.identity);
    expect(l.spec?.leaseTransitions).to.equal(2);
  });
});
