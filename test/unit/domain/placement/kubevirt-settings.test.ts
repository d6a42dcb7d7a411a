/**
 * The planner predicts with the settings KubeVirt will use for the VM when they are known (its
 * KubeVirt resource, then the matching MigrationPolicy), the placement's spec.migration otherwise.
 */
import { expect } from 'chai';
import { KUBEVIRT_MIGRATION_DEFAULTS, type EffectiveMigrationSettings } from '../../../../src/domain/migration/kubevirt-settings.js';
import { planPlacements, Reasons } from '../../../../src/domain/placement/index.js';
import { clientNode, goodWorld, homeNode, MB, mapVms, planInput, policy, vm, withMigration, type World } from './fixtures.js';

const decide = (w: World) => planPlacements(planInput(w)).decisions[0]!;
const withSettings = (w: World, s: Partial<EffectiveMigrationSettings>): World => mapVms(w, (v) => ({ ...v, migrationSettings: { ...KUBEVIRT_MIGRATION_DEFAULTS, ...s } }));

describe("planPlacements: KubeVirt's effective migration settings", () => {
  it("predicts an abort from KubeVirt's completion budget, not the placement's", () => {
    const w = withSettings({ ...goodWorld(), policy: withMigration(goodWorld().policy, { completionTimeoutPerGiB: 800 }) }, { completionTimeoutPerGiB: 1 });
    expect(decide(w)).to.include({ action: 'Stay', reason: Reasons.KubevirtWouldAbort });
  });

  it("moves under a policy's generous budget although the placement's would abort, and names the policy", () => {
    const w = withSettings({ ...goodWorld(), policy: withMigration(goodWorld().policy, { completionTimeoutPerGiB: 1 }) }, { completionTimeoutPerGiB: 150, policy: 'slow-wan' });
    const d = decide(w);
    expect(d).to.include({ action: 'MoveToClient' });
    expect(d.prediction?.migrationPolicy).to.equal('slow-wan');
  });

  it("predicts at KubeVirt's bandwidthPerMigration when it is below the link", () => {
    const unlimited = decide(withSettings(goodWorld(), {}));
    const limited = decide(withSettings(goodWorld(), { bandwidthPerMigrationBytesPerSecond: 10 * MB }));
    expect(limited.prediction?.bandwidthBytesPerSecond).to.equal(10 * MB);
    expect(limited.prediction!.seconds).to.be.greaterThan(unlimited.prediction!.seconds);
  });

  describe('link classes', () => {
    const settings = (s: Partial<EffectiveMigrationSettings>): EffectiveMigrationSettings => ({ ...KUBEVIRT_MIGRATION_DEFAULTS, ...s });
    const classed = (nodes: World['nodes'], vmNode = 'home-1'): World => ({
      policy: policy({ linkClasses: ['wan'] }),
      nodes,
      vms: [vm('vm-1', { nodeName: vmNode, migrationSettings: settings({ policy: 'base' }), classSettings: { wan: settings({ policy: 'base.wan', bandwidthPerMigrationBytesPerSecond: 10 * MB }) } })],
    });
    const wan = (name: string, o: Parameters<typeof clientNode>[1] = {}) => clientNode(name, { linkClasses: { 'lab/ofp': 'wan' }, ...o });

    it("predicts a move to a client of a class with the class's policy, and asks for the VMI's class label", () => {
      const plan = planPlacements(planInput(classed([homeNode('home-1'), wan('pc-1')])));
      expect(plan.decisions[0]!.prediction).to.include({ migrationPolicy: 'base.wan', bandwidthBytesPerSecond: 10 * MB });
      expect(plan.migrations[0]).to.include({ targetNode: 'pc-1', linkClass: 'wan' });
    });

    it('predicts a move to a client in no class with the base policy, and asks to remove the label', () => {
      const plan = planPlacements(planInput(classed([homeNode('home-1'), clientNode('pc-1')])));
      expect(plan.decisions[0]!.prediction?.migrationPolicy).to.equal('base');
      expect(plan.migrations[0]).to.include({ targetNode: 'pc-1', linkClass: null });
    });

    it("returns home from a leaving client of a class with the class's policy and label", () => {
      const plan = planPlacements(planInput(classed([homeNode('home-1'), wan('pc-1', { leaving: {} })], 'pc-1')));
      expect(plan.decisions[0]).to.include({ action: 'ReturnHome' });
      expect(plan.decisions[0]!.prediction?.migrationPolicy).to.equal('base.wan');
      expect(plan.migrations[0]).to.include({ direction: 'Home', linkClass: 'wan' });
    });

    it('leaves the label alone when the placement has no link classes', () => {
      expect(planPlacements(planInput(goodWorld())).migrations[0]).not.to.have.property('linkClass');
    });
  });

  it("keeps the placement's settings when the VM has none", () => {
    const w = { ...goodWorld(), policy: withMigration(goodWorld().policy, { completionTimeoutPerGiB: 1 }) };
    expect(decide(w)).to.include({ action: 'Stay', reason: Reasons.KubevirtWouldAbort });
    expect(decide(goodWorld()).prediction?.migrationPolicy).to.equal(undefined);
  });
});
