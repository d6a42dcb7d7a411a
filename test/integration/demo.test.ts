/**
 * The demo's set-up against the shared real control plane: the lab room created through the API,
 * `offline-first plan` showing the moves without writing anything, then the operator and the
 * simulated KubeVirt placing the VMs and bringing them home before the announced departure.
 */
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../src/controlplane/tools.js';
import { isMigrationFinal, type VirtualMachineInstance, type VirtualMachineInstanceMigration } from '../../src/kube/kubevirt.js';
import type { OfflineFirstPlacement } from '../../src/kube/placement.js';
import { Resources } from '../../src/kube/resources.js';
import { Operator } from '../../src/operator/operator.js';
import { announceDepartures, applyScenario, isolateScenario } from '../../src/sim/demo/setup.js';
import { SimulatedKubevirt } from '../../src/sim/kubevirt/simulated-kubevirt.js';
import { builtinScenario } from '../../src/sim/scenario/load.js';
import { shippedParseOptions } from '../../src/sim/scenario/shipped-crd.js';
import { adminClient, controlPlane, eventually, newNamespace } from './support.js';

const cli = join(projectRoot, 'dist', 'src', 'cli.js');
const MS_PER_SIM_SECOND = 5;

interface PlanJson {
  decisions: { vmKey: string; action: string; reason: string }[];
  migrations: { vmKey: string; targetNode: string; wouldCreate: boolean }[];
}

describe('demo set-up and plan', function () {
  this.timeout(120_000);
  let ns: string | undefined;

  // Whatever happens, leave no placement and no open migration behind: the operators of later
  // tests plan cluster-wide, and open migrations count against KubeVirt's cluster limit.
  afterEach(async () => {
    if (!ns) return;
    const client = adminClient();
    for (const p of (await client.list<OfflineFirstPlacement>(Resources.placement, ns)).items) await client.delete(Resources.placement, ns, p.metadata.name!);
    for (const m of (await client.list<VirtualMachineInstanceMigration>(Resources.migration, ns)).items) {
      if (!isMigrationFinal(m)) await client.delete(Resources.migration, ns, m.metadata.name!);
    }
  });

  it('creates the lab room; plan shows the moves read-only; the operator places 22 of 24 VMs and brings them home before the departure', async () => {
    const client = adminClient();
    ns = await newNamespace(client, 'demo');
    const scenario = isolateScenario(builtinScenario('lab-room', shippedParseOptions()), ns, ns);
    await applyScenario(client, scenario, { nowMs: Date.now() });
    const placementName = scenario.placements[0]!.name;

    const planText = spawnSync(process.execPath, [cli, 'plan', '--kubeconfig', controlPlane().kubeconfigPath, '--namespace', ns], { encoding: 'utf8' });
    expect(planText.status, planText.stderr).to.equal(0);
    expect(planText.stdout).to.match(new RegExp(`^${ns}/student-07\\s.*\\sStay\\s+-\\s+DirtyRateTooHigh\\s`, 'm'));
    expect(planText.stdout).to.match(new RegExp(`^${ns}/student-19\\s.*\\sBlocked\\s+-\\s+NotOfflineCapable\\s`, 'm'));
    expect(planText.stdout).to.contain('Migrations the operator would start now:');
    expect(planText.stdout).to.contain('the operator creates');
    const planJson = spawnSync(process.execPath, [cli, 'plan', '--kubeconfig', controlPlane().kubeconfigPath, '--namespace', ns, '--json'], { encoding: 'utf8' });
    const plan = JSON.parse(planJson.stdout) as PlanJson;
    expect(plan.decisions).to.have.length(24);
    // maxPerPlacement 5 and KubeVirt's cluster limit 5, which open migrations elsewhere in the cluster share.
    expect(plan.migrations.length).to.be.within(1, 5);
    expect(plan.migrations.every((m) => m.wouldCreate && m.targetNode.startsWith(`${ns}-ws-237-`))).to.equal(true);
    expect((await client.list(Resources.migration, ns)).items, 'plan never writes').to.deep.equal([]);

    const kubevirt = await SimulatedKubevirt.start(client, { namespace: ns, ca: controlPlane().ca, realMsPerSimSecond: MS_PER_SIM_SECOND });
    const operator = new Operator(client, { identity: `demo-test-${randomBytes(3).toString('hex')}`, resyncMs: 1000, timeScale: MS_PER_SIM_SECOND / 1000 });
    await operator.start();
    const vmis = async () => (await client.list<VirtualMachineInstance>(Resources.vmi, ns)).items;
    try {
      const placed = await eventually(
        '22 of 24 VMs on their workstations',
        async () => {
          const p = await client.get<OfflineFirstPlacement>(Resources.placement, ns, placementName);
          return p.status?.placed === '22/24' ? p : undefined;
        },
        60_000,
      );
      const reasons = Object.fromEntries((placed.status?.decisions ?? []).map((d) => [d.vm, d.reason]));
      expect(reasons).to.include({ 'student-07': 'DirtyRateTooHigh', 'student-19': 'NotOfflineCapable' });
      for (const v of await vmis()) {
        const onClient = v.status?.nodeName?.startsWith(`${ns}-ws-237-`);
        expect(onClient, v.metadata.name).to.equal(v.metadata.name !== 'student-07' && v.metadata.name !== 'student-19');
      }

      await announceDepartures(client, scenario, Date.now() + 60_000);
      await eventually(
        'every VM back in the data centre, no migration open',
        async () => {
          const home = (await vmis()).every((v) => v.status?.nodeName?.startsWith(`${ns}-dc-`));
          const open = (await client.list<VirtualMachineInstanceMigration>(Resources.migration, ns)).items.filter((m) => !isMigrationFinal(m));
          return home && open.length === 0 ? true : undefined;
        },
        60_000,
      );
      const migrations = (await client.list<VirtualMachineInstanceMigration>(Resources.migration, ns)).items;
      expect(migrations.filter((m) => m.status?.phase === 'Failed').map((m) => m.metadata.name)).to.deep.equal([]);
      expect(migrations).to.have.length(44);
    } finally {
      await operator.stop();
      await kubevirt.stop();
      await client.delete(Resources.placement, ns, placementName);
    }
  });
});
