/**
 * "Never make things worse": the operator under faults, on a real control plane of its own (so
 * restarting kube-apiserver and etcd disturbs no other suite) with the simulated KubeVirt. Each
 * test samples the invariants throughout its run (invariants.ts) and prints its counts as
 * `[faults] ...` lines; docs/reliability.md records them. FAULTS_SEED=<n> replays a run's random
 * choices (kill times); the seed is printed.
 */
import { expect } from 'chai';
import { ControlPlane } from '../../src/controlplane/control-plane.js';
import { installCrds, kubevirtSimCrdDir, projectCrdDir } from '../../src/controlplane/crds.js';
import { KubeClient } from '../../src/kube/client.js';
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import type { OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { SimulatedMigrationController } from '../../src/sim/kubevirt/migration-controller.js';
import { seeded } from '../support/seeded.js';
import { BINDING_LABEL, FAULT_MS_PER_SIM_SECOND, FaultWorld, freshLink, sleep, type OperatorProcess } from './fault-support.js';
import { checkHistory, checkOutcomes, directionOf, endedAtMs, InvariantMonitor, isOurs, maxEventsWithin, migrationCounts, placementLimits } from './invariants.js';
import { eventually } from './support.js';

const SEED = Number(process.env.FAULTS_SEED ?? 20261207);
const BINDING = BINDING_LABEL;
const PENDING_ACTIONS = new Set(['MoveToClient', 'ReturnHome']);

/** Every VM on the client it is bound to. */
const onClients = (clientOf: ReadonlyMap<string, string>) => (vmis: Map<string, VirtualMachineInstance>) => [...clientOf].every(([vm, ws]) => vmis.get(vm)?.status?.nodeName === ws);

function report(line: string): void {
  console.log(`[faults] ${line}`);
}

/** Prints a clean run's counts and checks that each planned migration happened exactly once and none failed. */
function expectEachPlannedOnce(fault: string, details: string, migrations: VirtualMachineInstanceMigration[], planned: number, startedMs: number): void {
  const c = migrationCounts(migrations);
  report(`${fault}: ${details}, ${c.total} migrations (${c.toClient} to clients, ${c.home} home), ${c.failed} failed, ${c.total - planned} duplicates, ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
  expect(c.total, 'migrations beyond the plan').to.equal(planned);
  expect(c.failed).to.equal(0);
}

describe('faults: the operator never makes things worse', function () {
  this.timeout(10 * 60_000);
  let plane: ControlPlane;
  let client: KubeClient;
  let w: FaultWorld | undefined;
  let monitor: InvariantMonitor | undefined;
  const extraControllers: SimulatedMigrationController[] = [];

  before(async function () {
    this.timeout(180_000);
    plane = await ControlPlane.start();
    client = KubeClient.load(plane.kubeconfigPath);
    await installCrds(client, [projectCrdDir, kubevirtSimCrdDir]);
    report(`seed ${SEED} (FAULTS_SEED=${SEED} replays the random choices)`);
  });

  after(async () => {
    await plane?.stop();
  });

  afterEach(async function () {
    this.timeout(120_000);
    await monitor?.stop();
    monitor = undefined;
    for (const c of extraControllers.splice(0)) await c.stop();
    const world = w;
    w = undefined;
    if (this.currentTest?.state === 'failed' && world) {
      for (const op of world.processes) console.log(`--- ${op.name} (last lines)\n${op.logTail(15)}`);
    }
    await world?.stop();
  });

  async function begin(prefix: string): Promise<FaultWorld> {
    w = await FaultWorld.create(plane, client, prefix);
    monitor = new InvariantMonitor(client, w.ns);
    return w;
  }

  /** Waits until nothing of ours is open (but the exempt VMs') and no placement has a move or return pending, and `done` holds. */
  async function converged(
    world: FaultWorld,
    what: string,
    done: (vmis: Map<string, VirtualMachineInstance>, migrations: VirtualMachineInstanceMigration[]) => boolean,
    timeoutMs = 120_000,
    exempt: { vms?: ReadonlySet<string>; placements?: ReadonlySet<string> } = {},
  ): Promise<VirtualMachineInstanceMigration[]> {
    return eventually(what, async () => {
      const [vmis, migrations, placements] = await Promise.all([world.vmis(), world.migrations(), world.placements()]);
      if (migrations.some((m) => isOurs(m) && !isMigrationFinal(m) && !exempt.vms?.has(m.spec.vmiName))) return undefined;
      const settled = (p: OfflineFirstPlacement) => exempt.placements?.has(p.metadata.name!) || (p.status?.decisions && !p.status.decisions.some((d) => PENDING_ACTIONS.has(d.action)));
      if (!placements.every(settled)) return undefined;
      return done(new Map(vmis.map((v) => [v.metadata.name!, v])), migrations) ? migrations : undefined;
    }, timeoutMs);
  }

  /** The checks every run ends with: sampled invariants, cooldown and backoff, outcomes counted once. */
  async function finalChecks(world: FaultWorld): Promise<{ migrations: VirtualMachineInstanceMigration[]; placements: OfflineFirstPlacement[] }> {
    await monitor!.stop();
    expect(monitor!.violations, 'invariants sampled during the run').to.deep.equal([]);
    expect(monitor!.samples, 'samples taken').to.be.greaterThan(10);
    // The outcome of a migration that ended just before the last kill is reported by the operator now running.
    const outcomes = await eventually('every finished migration observed in its final phase', async () => {
      const r = await checkOutcomes(client, world.ns, await world.migrations(), monitor!.vanished());
      return r.unobserved.length === 0 ? r : undefined;
    }, 30_000);
    expect(outcomes.duplicates, 'outcome events beyond one per migration').to.deep.equal([]);
    const [current, placements] = await Promise.all([world.migrations(), world.placements()]);
    const migrations = monitor!.withCollected(current);
    expect(checkHistory(migrations, placements), 'moves inside cooldown or backoff').to.deep.equal([]);
    report(`  invariants: ${monitor!.samples} samples (${monitor!.failedSamples} missed while the API was down), peak ${monitor!.peak.active} active / ${monitor!.peak.open} open migrations, 0 violations; ${outcomes.events} outcome events, 0 duplicates, ${outcomes.missing} not recorded; ${monitor!.vanished().length} deleted by KubeVirt (aborted or garbage-collected)`);
    return { migrations, placements };
  }

  it('SIGKILL at random points: every planned migration happens exactly once and the plan completes', async () => {
    const world = await begin('kill');
    const rand = seeded(SEED);
    const started = Date.now();
    const servers = [await world.server('server-1'), await world.server('server-2'), await world.server('server-3')];
    const n = 30;
    const clientOf = await world.boundLab(n, servers, (i) => ({ group: i % 2 ? 'b' : 'a' }));
    await world.startKubevirt();
    const policy = { clientBinding: { labelKey: BINDING }, concurrency: { maxPerPlacement: 3, maxPerClientNode: 1 }, cooldown: { base: '30s', max: '5m' } };
    await world.placement('room-a', { ...policy, vmSelector: { matchLabels: { app: 'lab', group: 'a' } } });
    await world.placement('room-b', { ...policy, vmSelector: { matchLabels: { app: 'lab', group: 'b' } } });
    monitor!.start();

    let op = await world.startProcess('kill-0');
    let kills = 0;
    let done = false;
    const killer = (async () => {
      while (!done) {
        // Anywhere from before it has connected to well into a planning round.
        await sleep(400 + rand() * 3600);
        if (done) break;
        await op.kill('SIGKILL');
        kills++;
        op = await world.startProcess(`kill-${kills}`);
      }
    })();
    try {
      await converged(world, 'every VM on its client', onClients(clientOf), 180_000);
      const outKills = kills;
      for (const c of clientOf.values()) await world.annotateNode(c, { 'offline-first.io/leaving': 'true' });
      await converged(world, 'every VM back home', (vmis) => [...vmis.values()].every((v) => servers.includes(v.status?.nodeName ?? '')), 180_000);
      report(`SIGKILL: ${kills} kills (${outKills} while moving out, ${kills - outKills} while returning home)`);
    } finally {
      done = true;
      await killer;
    }
    const { migrations } = await finalChecks(world);
    expectEachPlannedOnce('SIGKILL', `${kills} kills`, migrations, 2 * n, started);
    expect(kills).to.be.at.least(10);
    expect(migrationCounts(migrations).home, 'one return per VM').to.equal(n);
    await op.kill('SIGTERM');
  });

  it('leader failover: two replicas never act at once, and the survivor finishes the plan', async () => {
    const world = await begin('failover');
    const started = Date.now();
    const server = await world.server('server-1');
    const n = 20;
    const clientOf = await world.boundLab(n, [server]);
    await world.startKubevirt();
    await world.placement('room', { clientBinding: { labelKey: BINDING }, concurrency: { maxPerPlacement: 2, maxPerClientNode: 1 } });
    monitor!.start();

    const replicas: OperatorProcess[] = [await world.startProcess('replica-a', true), await world.startProcess('replica-b', true)];
    let maxActing = 0;
    let actingSamples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const gauges = await Promise.all(replicas.filter((r) => r.alive).map((r) => r.gauge('offline_first_leader')));
        const acting = gauges.filter((g) => g === 1).length;
        maxActing = Math.max(maxActing, acting);
        actingSamples++;
        await sleep(100);
      }
    })();
    const leader = () => eventually('a replica to lead', async () => {
      for (const r of replicas) if (r.alive && (await r.gauge('offline_first_leader')) === 1) return r;
      return undefined;
    }, 60_000);
    const succeeded = async () => (await world.migrations()).filter((m) => m.status?.phase === 'Succeeded').length;

    const failovers: string[] = [];
    try {
      for (const after of [4, 10]) {
        await eventually(`${after} migrations done`, async () => ((await succeeded()) >= after ? true : undefined), 90_000);
        const victim = await leader();
        const t0 = Date.now();
        await victim.kill('SIGKILL');
        const next = await leader();
        failovers.push(`${victim.name} -> ${next.name} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        replicas.push(await world.startProcess(`replica-${String.fromCharCode(97 + replicas.length)}`, true));
      }
      await converged(world, 'every VM on its client', onClients(clientOf), 120_000);
    } finally {
      sampling = false;
      await sampler;
    }
    const lease = await client.get<{ metadata: object; spec: { holderIdentity?: string; leaseTransitions?: number } }>(Resources.lease, world.ns, 'offline-first-operator');
    const { migrations } = await finalChecks(world);
    expectEachPlannedOnce('failover', `${failovers.length} leader kills (${failovers.join('; ')}), at most ${maxActing} acting replica in ${actingSamples} samples, lease transitions ${lease.spec.leaseTransitions}`, migrations, n, started);
    expect(maxActing, 'replicas acting at once').to.equal(1);
  });

  it('kube-apiserver and etcd restarts mid-run: watches recover, /readyz follows the API server, the Lease lost in the outage is won back, and the plan completes', async () => {
    const world = await begin('restart');
    const started = Date.now();
    const servers = [await world.server('server-1'), await world.server('server-2')];
    const n = 16;
    const clientOf = await world.boundLab(n, servers);
    await world.startKubevirt();
    await world.placement('room', { clientBinding: { labelKey: BINDING }, concurrency: { maxPerPlacement: 3, maxPerClientNode: 1 } });
    monitor!.start();
    // With leader election: an outage longer than the renew deadline (10 s) loses the Lease.
    const op = await world.startProcess('restart-op', true);
    await eventually('operator ready', async () => ((await op.readyz()) === 200 ? true : undefined), 30_000);
    await eventually('operator leading', async () => ((await op.gauge('offline_first_leader')) === 1 ? true : undefined), 30_000);
    const succeeded = async () => (await world.migrations()).filter((m) => m.status?.phase === 'Succeeded').length;

    await eventually('3 migrations done', async () => ((await succeeded()) >= 3 ? true : undefined), 60_000);
    let t0 = Date.now();
    await plane.stopComponent('kube-apiserver');
    await eventually('/readyz 503 while the API server is down', async () => ((await op.readyz()) === 503 ? true : undefined), 30_000);
    await eventually('the Lease lost past the renew deadline', async () => ((await op.gauge('offline_first_leader')) === 0 ? true : undefined), 30_000);
    await plane.startComponent('kube-apiserver');
    await eventually('/readyz 200 once it is back', async () => ((await op.readyz()) === 200 ? true : undefined), 30_000);
    const apiDown = (Date.now() - t0) / 1000;
    await eventually('leading again after the outage', async () => ((await op.gauge('offline_first_leader')) === 1 ? true : undefined), 60_000);
    const releadSeconds = (Date.now() - t0) / 1000 - apiDown;

    await eventually('8 migrations done', async () => ((await succeeded()) >= 8 ? true : undefined), 90_000);
    t0 = Date.now();
    await plane.restartEtcd({ downMs: 3000 });
    const etcdDown = (Date.now() - t0) / 1000;

    await converged(world, 'every VM on its client', onClients(clientOf), 120_000);
    expect(op.alive, 'the operator rode out both restarts in one process').to.equal(true);
    const { migrations } = await finalChecks(world);
    // The simulated KubeVirt's informers list once at start; every further list is a relist after 410 Gone.
    const sim = world.kubevirt!.controller;
    const relists = [sim.migrations, sim.vmis, sim.nodes].reduce((sum, inf) => sum + inf.relists - 1, 0);
    expectEachPlannedOnce('restarts', `kube-apiserver down ${apiDown.toFixed(1)} s (readyz 503 then 200; the Lease lost, won back ${releadSeconds.toFixed(1)} s after), etcd down ${etcdDown.toFixed(1)} s, ${relists} relists after 410 Gone in the simulated KubeVirt's watches`, migrations, n, started);
    await op.kill('SIGTERM');
  });

  it('a flapping link: moves stay within what cooldown and hysteresis allow', async () => {
    const world = await begin('flap');
    const started = Date.now();
    const server = await world.server('server-1');
    const good = '900Mbit/s';
    const bad = '10Mbit/s'; // below the default minBandwidth of 20Mbit/s
    // Bound VMs whose own client's link flaps, and free VMs between two clients flapping in antiphase.
    const bound: string[] = [];
    for (let i = 1; i <= 3; i++) {
      bound.push(await world.workstation(`own-${i}`, bad, { labels: { 'test.offline-first.io/flap': 'own' } }));
      await world.addVmi(`own-${i}`, server, { labels: { group: 'own', [BINDING]: bound[i - 1]! } });
    }
    const pair = [await world.workstation('pair-a', good, { labels: { 'test.offline-first.io/flap': 'pair' } }), await world.workstation('pair-b', bad, { labels: { 'test.offline-first.io/flap': 'pair' } })];
    for (let i = 1; i <= 3; i++) await world.addVmi(`free-${i}`, server, { labels: { group: 'free' } });
    // A control: a VM whose binding hops between two seats with steady links wants to move at every
    // hop, so only its cooldown holds it back.
    const seats = [await world.workstation('seat-a', good, { labels: { 'test.offline-first.io/flap': 'own' } }), await world.workstation('seat-b', good, { labels: { 'test.offline-first.io/flap': 'own' } })];
    await world.addVmi('hop', server, { labels: { group: 'own', [BINDING]: seats[1]! } });
    await world.startKubevirt();
    const cooldown = { base: '10s', max: '40s' };
    const clientsOf = (flap: string) => ({ matchLabels: { 'offline-first.io/pool': 'client', 'test.offline-first.io/flap': flap, ...world.pool } });
    await world.placement('own', { vmSelector: { matchLabels: { app: 'lab', group: 'own' } }, clientNodeSelector: clientsOf('own'), clientBinding: { labelKey: BINDING }, cooldown, hysteresisPercent: 20 });
    await world.placement('free', {
      vmSelector: { matchLabels: { app: 'lab', group: 'free' } },
      clientNodeSelector: clientsOf('pair'),
      triggers: { offlineCapabilityWanted: false, cloudLatencyAbove: '40ms' },
      concurrency: { maxPerPlacement: 3, maxPerClientNode: 3 },
      cooldown,
      hysteresisPercent: 20,
    });
    monitor!.start();
    const op = await world.startProcess('flap-op');

    // Every 3 s each flapping link crosses the threshold: the bound clients together, the pair in antiphase.
    const flapSeconds = 90;
    const periodMs = 3000;
    let crossings = 0;
    const flapStart = Date.now();
    for (let k = 0; Date.now() - flapStart < flapSeconds * 1000; k++) {
      const up = k % 2 === 0;
      for (const node of bound) await world.annotateNode(node, freshLink(up ? good : bad, '25ms'));
      await world.annotateNode(pair[0]!, freshLink(up ? bad : good, up ? '42ms' : '200ms'));
      await world.annotateNode(pair[1]!, freshLink(up ? good : bad, up ? '200ms' : '42ms'));
      crossings += bound.length + 2;
      await client.mergePatch(Resources.vmi, world.ns, 'hop', { metadata: { labels: { [BINDING]: seats[k % 2]! } } });
      for (const seat of seats) await world.annotateNode(seat, freshLink(good, '25ms'));
      await sleep(periodMs);
    }
    for (const node of [...bound, ...pair, ...seats]) await world.annotateNode(node, freshLink(good, '200ms'));
    await converged(world, 'the flapping placements to settle', (vmis) => bound.every((c, i) => vmis.get(`own-${i + 1}`)?.status?.nodeName === c), 120_000);
    const { migrations, placements } = await finalChecks(world);
    const runSeconds = (Date.now() - flapStart) / 1000;
    const limits = placementLimits(placements.find((p) => p.metadata.name === 'own')!);
    const perVm = maxEventsWithin(limits.cooldown, runSeconds);
    const moves = migrations.filter((m) => isOurs(m) && directionOf(m) === 'ToClient');
    const byVm = new Map<string, number>();
    for (const m of moves) byVm.set(m.spec.vmiName, (byVm.get(m.spec.vmiName) ?? 0) + 1);
    const vms = 7;
    // The control VM's waits: from the end of each move to the creation of the next.
    const hops = moves.filter((m) => m.spec.vmiName === 'hop').sort((a, b) => Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!));
    const waits = hops.slice(1).map((m, i) => ((Date.parse(m.metadata.creationTimestamp!) - (endedAtMs(hops[i]!) ?? 0)) / 1000).toFixed(0));
    report(`flapping: ${crossings} threshold crossings over ${flapSeconds} s (every ${periodMs / 1000} s), ${moves.length} moves for ${vms} VMs (per VM ${[...byVm].map(([k, v]) => `${k}=${v}`).join(', ')}; hop waited ${waits.join(', ')} s between moves, from whole-second creation times); cooldown ${limits.cooldown.baseSeconds}/${limits.cooldown.maxSeconds} s allows at most ${perVm} per VM in ${runSeconds.toFixed(0)} s (${vms * perVm} in all); ${((Date.now() - started) / 1000).toFixed(0)} s`);
    for (const [vm, count] of byVm) expect(count, `moves of ${vm}`).to.be.at.most(perVm);
    expect(moves.length).to.be.at.most(vms * perVm);
    // The flapping links themselves: a VM on a client whose link dropped stays, so each moved once.
    for (let i = 1; i <= 3; i++) expect(byVm.get(`own-${i}`), `own-${i} moved to its client once`).to.equal(1);
    for (let i = 1; i <= 3; i++) expect(byVm.get(`free-${i}`) ?? 0, `free-${i}`).to.be.at.most(1);
    await op.kill('SIGTERM');
  });

  it('failing, aborted and hanging migrations: attempts stay bounded and everything else completes', async () => {
    const world = await begin('fail');
    const started = Date.now();
    const servers = [await world.server('server-1'), await world.server('server-2')];
    const ws = async (name: string) => world.workstation(name, '900Mbit/s');
    const vm = async (name: string, node: string, extra: Record<string, string> = {}, seconds = 8, group = 'main') =>
      world.addVmi(name, node, { labels: { group, [BINDING]: await ws(`ws-${name}`) }, annotations: extra }, seconds);
    await vm('doomed', servers[0]!, { 'sim.offline-first.io/fail': 'simulated: target unreachable' });
    await vm('retry', servers[1]!, { 'sim.offline-first.io/fail': 'simulated: target unreachable' }, 8, 'retry');
    await vm('aborted', servers[0]!, {}, 200);
    await vm('hang', servers[1]!, {}, 1_000_000);
    const fine = ['ok-1', 'ok-2', 'ok-3', 'ok-4', 'ok-5', 'ok-6'];
    for (const [i, name] of fine.entries()) await vm(name, servers[i % 2]!);
    await world.startKubevirt();
    const backoff = { base: '2s', max: '8s' };
    await world.placement('main', { vmSelector: { matchLabels: { app: 'lab', group: 'main' } }, clientBinding: { labelKey: BINDING }, concurrency: { maxPerPlacement: 3, maxPerClientNode: 1 }, failureBackoff: { ...backoff, maxFailuresPerTarget: 3 } }  );
    await world.placement('retry', { vmSelector: { matchLabels: { app: 'lab', group: 'retry' } }, clientBinding: { labelKey: BINDING }, failureBackoff: { ...backoff, maxFailuresPerTarget: 100 } }  );
    monitor!.start();
    const op = await world.startProcess('fail-op');

    // Abort: delete the long migration once it runs, and let its retry be quick.
    const abortedMigration = await eventually('the long migration to run', async () => (await world.migrations()).find((m) => m.spec.vmiName === 'aborted' && m.status?.phase === 'Running'), 60_000);
    await client.mergePatch(Resources.vmi, world.ns, 'aborted', { metadata: { annotations: { 'sim.offline-first.io/duration-seconds': '8' } } });
    await client.delete(Resources.migration, world.ns, abortedMigration.metadata.name!);

    // KubeVirt stalls for a while: whatever is created meanwhile waits in Pending (or without a phase).
    await world.kubevirt!.controller.stop();
    await sleep(5000);
    const stalled = (await world.migrations()).filter((m) => !isMigrationFinal(m) && ['', 'Pending'].includes(m.status?.phase ?? '')).length;
    const restarted = new SimulatedMigrationController(client, { namespace: world.ns, realMsPerSimSecond: FAULT_MS_PER_SIM_SECOND });
    extraControllers.push(restarted);
    await restarted.start();

    const fineDone = (vmis: Map<string, VirtualMachineInstance>) => [...fine, 'aborted'].every((name) => vmis.get(name)?.status?.nodeName === world.node(`ws-${name}`));
    await converged(world, 'the VMs that can move to have moved', fineDone, 120_000, { vms: new Set(['hang', 'retry', 'doomed']), placements: new Set(['retry']) });
    const doomed = await eventually('doomed blocked after repeated failures', async () => {
      const p = await client.get<OfflineFirstPlacement>(Resources.placement, world.ns, 'main');
      const d = p.status?.decisions?.find((x) => x.vm === 'doomed');
      return d && d.reason === 'RepeatedFailures' ? d : undefined;
    }, 60_000);
    // Give the always-failing VM of the unblocked placement a while to show its backoff.
    const attemptsOf = async (vmi: string) => (await world.migrations()).filter((m) => isOurs(m) && m.spec.vmiName === vmi);
    // Five failures: waits of base, 2 × base, then max (2, 4, 8, 8 s plus jitter).
    await eventually('retry to have failed five times', async () => ((await attemptsOf('retry')).filter((m) => m.status?.phase === 'Failed').length >= 5 ? true : undefined), 120_000);
    const retries = monitor!.withCollected(await world.migrations()).filter((m) => isOurs(m) && m.spec.vmiName === 'retry');
    const firstAttempt = Math.min(...retries.map((m) => Date.parse(m.metadata.creationTimestamp!)));
    const windowSeconds = (Date.now() - firstAttempt) / 1000 + 1;
    const hang = (await world.migrations()).filter((m) => m.spec.vmiName === 'hang');
    const { migrations, placements } = await finalChecks(world);
    const mainLimits = placementLimits(placements.find((p) => p.metadata.name === 'main')!);
    const retryLimits = placementLimits(placements.find((p) => p.metadata.name === 'retry')!);
    const retryBound = maxEventsWithin(retryLimits.backoff, windowSeconds);
    const doomedAttempts = migrations.filter((m) => isOurs(m) && m.spec.vmiName === 'doomed').length;
    const c = migrationCounts(migrations);
    report(`failures: doomed ${doomedAttempts} attempts then ${doomed.action}/${doomed.reason} (maxFailuresPerTarget ${mainLimits.backoff.maxFailuresPerTarget}); retry ${retries.length} attempts in ${windowSeconds.toFixed(0)} s (backoff ${retryLimits.backoff.baseSeconds}/${retryLimits.backoff.maxSeconds} s allows ${retryBound}); 1 abort, retried to success; 1 hang (${hang.length} migration, ${hang[0]?.status?.phase}); KubeVirt stalled 5 s with ${stalled} migrations waiting; ${c.total} migrations, ${c.failed} failed; ${((Date.now() - started) / 1000).toFixed(0)} s`);
    expect(doomedAttempts).to.be.at.most(mainLimits.backoff.maxFailuresPerTarget);
    expect(retries.length).to.be.at.most(retryBound);
    expect(hang, 'the hanging migration is never duplicated').to.have.length(1);
    // Deleting is how one aborts: KubeVirt cancels the migration, then it is gone. One retry, which succeeded.
    const abortedVm = [...(await world.migrations()), ...monitor!.vanished()].filter((m) => m.spec.vmiName === 'aborted');
    expect(abortedVm.map((m) => m.metadata.uid)).to.have.length(2);
    expect(abortedVm.filter((m) => m.status?.phase === 'Succeeded')).to.have.length(1);
    for (const name of fine) expect(migrations.filter((m) => m.spec.vmiName === name), name).to.have.length(1);
    await op.kill('SIGTERM');
  });
});
