import { expect } from 'chai';
import type { KubeClient } from '../../src/kube/client.js';
import { PlacementAnnotations } from '../../src/kube/placement.js';
import { putVmi } from '../../src/sim/fixtures/vmis.js';
import { SIM_THROUGHPUT_FACTOR_ANNOTATION } from '../../src/sim/kubevirt/predicted-run.js';
import { OperatorWorld } from './operator-support.js';
import { adminClient, eventually, newNamespace } from './support.js';

describe('the operator learns from finished migrations', function () {
  this.timeout(60_000);
  let client: KubeClient;
  let w: OperatorWorld;
  before(() => {
    client = adminClient();
  });
  beforeEach(async () => {
    w = new OperatorWorld(client, await newNamespace(client, 'learn'));
  });
  afterEach(async () => {
    await w.stop();
  });

  it("corrects later predictions for a client whose migrations get half its measured link, and shows the factor in status and metrics", async () => {
    const home = await w.server('server-1', { memory: '64Gi' });
    // The probe says 100 Mbit/s; migrations over it get 50.
    const half = await w.workstation('half', '100Mbit/s', { memory: '64Gi', annotations: { [SIM_THROUGHPUT_FACTOR_ANNOTATION]: '0.5' } });
    const names = ['vm-1', 'vm-2', 'vm-3', 'vm-4', 'vm-5'];
    for (const name of names) {
      await putVmi(client, { name, namespace: w.ns, node: home, memory: '2Gi', labels: { app: 'lab' }, annotations: { 'offline-first.io/dirty-rate': '1MB/s' } });
    }
    await w.startKubevirt();
    const op = await w.startOperator();
    // One move into the client at a time (the default), so the later VMs wait with a prediction.
    await w.placement('room');

    // While VMs wait for the client, their predictions show the learned factor once a move has ended.
    const learned = await eventually('a prediction for the client with a learned correction', async () => {
      const p = await w.getPlacement('room');
      return p.status?.decisions?.find((d) => d.desiredNode === half && d.node === home && d.predicted?.linkCorrection !== undefined);
    }, 30_000);
    expect(learned.predicted!.linkCorrection).to.be.within(0.4, 0.65);
    for (const name of names) await w.nodeOf(name, half, 40_000);

    // Each migration records what its prediction used. The first was predicted from the link as
    // measured and ran about twice as long; the later ones, predicted with the correction, about
    // twice as long as the first's prediction, run about as predicted.
    // KubeVirt writes the VMI and the migration separately: the last migration may show Succeeded just after its VMI moved.
    const succeeded = await eventually('every move Succeeded', async () => {
      const done = (await w.migrations()).filter((m) => m.status?.phase === 'Succeeded');
      return done.length >= names.length ? done : undefined;
    });
    const moves = succeeded
      .sort((a, b) => Number(a.metadata.annotations?.[PlacementAnnotations.attempt]) - Number(b.metadata.annotations?.[PlacementAnnotations.attempt]) || (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    expect(moves).to.have.length(names.length);
    const facts = await Promise.all(
      moves.map((m) =>
        eventually(`${m.metadata.name}'s actual seconds`, async () => {
          const a = (await w.migrations()).find((x) => x.metadata.name === m.metadata.name)?.metadata.annotations ?? {};
          const actual = Number(a[PlacementAnnotations.actualSeconds]);
          if (!(actual > 0)) return undefined;
          expect(a).to.include({ [PlacementAnnotations.linkNode]: half, [PlacementAnnotations.linkBandwidth]: '12500000' });
          return { correction: Number(a[PlacementAnnotations.linkCorrection]), predicted: Number(a[PlacementAnnotations.predictedSeconds]), actual };
        }),
      ),
    );
    const firstMove = facts.find((f) => f.correction === 1)!;
    expect(firstMove, 'a move predicted before anything was learned').to.not.equal(undefined);
    expect(firstMove.actual / firstMove.predicted).to.be.within(1.8, 2.6);
    const corrected = facts.filter((f) => f.correction !== 1);
    expect(corrected.length).to.be.at.least(3);
    const last = corrected.at(-1)!;
    expect(last.correction).to.be.within(0.4, 0.6);
    expect(last.predicted / firstMove.predicted, 'the corrected prediction against the uncorrected one').to.be.within(1.7, 2.6);
    expect(last.actual / last.predicted, 'the corrected prediction against the run').to.be.within(0.85, 1.2);

    const gauge = await eventually('the correction gauge', async () => {
      const metric = await op.metrics.registry.getSingleMetric('offline_first_link_correction')?.get();
      return metric?.values.find((v) => v.labels.node === half);
    });
    expect(gauge.value).to.be.within(0.4, 0.6);
  });
});
